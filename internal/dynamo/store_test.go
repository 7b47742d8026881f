package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func TestConcurrentFirstCallsCreateExactlyOneAccount(t *testing.T) {
	f := newWorld(t)
	c := caller(1)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	errs := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			me, err := f.orgs.Me(context.Background(), c)
			errs[i] = err
			if err == nil {
				ids[i] = me.Profile.PersonalOrgID
			}
		})
	}
	wg.Wait()
	for i := range 10 {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("call %d saw personal org %s, call 0 saw %s", i, ids[i], ids[0])
		}
	}
	if n := f.count(t, "USER#"+c.ID); n != 2 { // the profile and one membership
		t.Errorf("user partition holds %d items, want 2", n)
	}
	if n := f.count(t, "ORG#"+ids[0]+"#EV"); n != 1 {
		t.Errorf("personal org has %d events, want 1", n)
	}
	me, err := f.orgs.Me(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(me.Orgs) != 1 || me.Orgs[0].Kind != orgs.Personal || me.Orgs[0].Role != roles.Admin || me.Profile.Email != "user1@example.com" {
		t.Errorf("me = %+v", me)
	}
}

func TestTwoOrgsRacingForOneHandleOneWins(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, results[i] = f.orgs.Create(ctx, caller(i), orgs.CreateInput{Name: "Acme", Handle: "acme"})
		})
	}
	wg.Wait()
	won, lost := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, orgs.ErrHandleTaken):
			lost++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("won %d, lost %d; want one each", won, lost)
	}
}

func TestDerivedHandlesStayUnique(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	a, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme Robotics"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.orgs.Create(ctx, caller(2), orgs.CreateInput{Name: "Acme Robotics"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Handle != "acme-robotics" || b.Handle == a.Handle || orgs.ValidateHandle(b.Handle) != nil {
		t.Errorf("handles %q and %q", a.Handle, b.Handle)
	}
}

func TestCreateOrgWritesOrgMembershipGuardAndOneEvent(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme", ContactEmail: "Ops@Acme.io", SupportTicketVisibility: orgs.VisibilityAll})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "ORG#"+v.ID+"#EV"); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	if n := f.count(t, "HANDLE#"+v.Handle); n != 1 {
		t.Errorf("no handle guard")
	}
	acc, err := f.orgs.Authorize(ctx, caller(1), v.ID, roles.OrgDelete)
	if err != nil {
		t.Fatal(err)
	}
	o := acc.Org
	if o.AdminCount != 1 || o.MemberCount != 1 || o.ContactEmail != "ops@acme.io" || o.SupportTicketVisibility != orgs.VisibilityAll ||
		acc.Member.Role != roles.Admin || acc.Member.Source != orgs.SourceCreator || acc.Member.Email != "user1@example.com" {
		t.Errorf("access = %+v", acc)
	}
	list, err := f.orgs.List(ctx, caller(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Kind != orgs.Personal || list[1].ID != v.ID {
		t.Errorf("list = %+v", list)
	}
}

func TestNonMemberAndUnknownOrgAreNotFound(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.orgs.Authorize(ctx, caller(2), v.ID, roles.OrgRead); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("non-member: %v", err)
	}
	if _, err := f.orgs.Authorize(ctx, caller(1), "nope", roles.OrgRead); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown org: %v", err)
	}
}

// TestRoundTrips counts DynamoDB calls per use case with the SDK middleware counter.
func TestRoundTrips(t *testing.T) {
	f := newWorld(t)
	calls := func(name string, max int, fn func(ctx context.Context) error) {
		t.Helper()
		ctx, counter := dynamo.WithCallCounter(context.Background())
		if err := fn(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %d DynamoDB calls", name, counter.Calls())
		if counter.Calls() > max {
			t.Errorf("%s made %d DynamoDB calls, want at most %d", name, counter.Calls(), max)
		}
	}
	c := caller(1)
	var orgID string
	calls("first GET /v1/me", 2, func(ctx context.Context) error { _, err := f.orgs.Me(ctx, c); return err })
	calls("GET /v1/me", 2, func(ctx context.Context) error { _, err := f.orgs.Me(ctx, c); return err })
	calls("POST /v1/orgs", 2, func(ctx context.Context) error {
		v, err := f.orgs.Create(ctx, c, orgs.CreateInput{Name: "Acme"})
		orgID = v.ID
		return err
	})
	calls("GET /v1/orgs", 2, func(ctx context.Context) error { _, err := f.orgs.List(ctx, c); return err })
	calls("authorization", 1, func(ctx context.Context) error { _, err := f.orgs.Authorize(ctx, c, orgID, roles.OrgRead); return err })
	calls("first POST /v1/orgs of a new user", 2, func(ctx context.Context) error {
		_, err := f.orgs.Create(ctx, caller(9), orgs.CreateInput{Name: "Beta"})
		return err
	})
}

// TestFirstCreateWhoseHandleIsThePersonalOnesSucceeds: a new user's first call creates the
// account and the org in one transaction; when the org's handle is the one the personal
// account would get, the personal account takes another (DynamoDB refuses two writes of one
// item in a transaction).
func TestFirstCreateWhoseHandleIsThePersonalOnesSucceeds(t *testing.T) {
	f := newWorld(t)
	c := orgs.Caller{ID: "user-alice", Email: "alice@example.com", EmailVerified: true}
	v, err := f.orgs.Create(context.Background(), c, orgs.CreateInput{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := f.orgs.Account(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.orgs.List(context.Background(), c)
	if err != nil || len(list) != 2 || v.Handle != "alice" || list[0].Handle == "alice" || acc.Profile.PersonalOrgID != list[0].ID {
		t.Errorf("org %s, list %+v, %v", v.Handle, list, err)
	}
}

func TestIdempotencyKeyIsRememberedForADay(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.orgs.Now = func() time.Time { return clock }
	c := caller(1)
	ctx := dynamo.WithIdempotencyKey(context.Background(), c.ID, "create-org /v1/orgs", "k", "body-1")
	first, err := f.orgs.Create(ctx, c, orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var replay *dynamo.Replay
	ctx = dynamo.WithIdempotencyKey(context.Background(), c.ID, "create-org /v1/orgs", "k", "body-1")
	if _, err := f.orgs.Create(ctx, c, orgs.CreateInput{Name: "Acme"}); !errors.As(err, &replay) || replay.Target.ID != first.ID {
		t.Fatalf("a repeat within the day: %v", err)
	}
	clock = clock.Add(dynamo.IdempotencyTTL)
	ctx = dynamo.WithIdempotencyKey(context.Background(), c.ID, "create-org /v1/orgs", "k", "body-2")
	second, err := f.orgs.Create(ctx, c, orgs.CreateInput{Name: "Beta"})
	if err != nil || second.ID == first.ID {
		t.Fatalf("a key past its day still answers: %+v %v", second, err)
	}
}
