package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
)

func inputs(prefix string, n int) []invites.Input {
	in := make([]invites.Input, n)
	for i := range in {
		in[i] = invites.Input{Email: fmt.Sprintf("%s%03d@example.com", prefix, i), Role: "user"}
	}
	return in
}

func TestABulkThatWouldPassTheDailyEmailBudgetIsRefusedWhole(t *testing.T) {
	w := newWorld(t)
	w.invites.DailyEmailLimit = 150
	ada := person("ada")
	orgID := w.newOrg(ada)
	ctx := context.Background()
	a := w.access(ada, orgID, orgs.Subject{})
	if _, err := w.invites.CreateMany(ctx, a, inputs("first", 100)); err != nil {
		t.Fatal(err)
	}
	// 50 left: a bulk of 100 is refused, nothing written.
	_, err := w.invites.CreateMany(ctx, a, inputs("second", 100))
	var ae *apperr.Error
	if !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfterOf(err) <= 0 || !errorsAs(err, &ae) {
		t.Fatalf("a bulk of 100 with 50 left: %v; want rate limited with a retry time", err)
	}
	if got := len(w.listInvites(orgID, ada, "pending")); got != 100 {
		t.Errorf("%d pending invites after the refused bulk, want 100", got)
	}
	// The 50 left are still there: a bulk of 50 passes, then a single invite is refused.
	results, err := w.invites.CreateMany(ctx, a, inputs("third", 50))
	if err != nil {
		t.Fatalf("a bulk of 50 with 50 left: %v", err)
	}
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("item %d: %v", i, r.Err)
		}
	}
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "one-more@example.com", Role: "user"}); !apperr.Is(err, apperr.RateLimited) {
		t.Errorf("one more with none left: %v", err)
	}
	// A new UTC day, a new budget.
	w.clock.Set(w.clock.Now().Truncate(24 * time.Hour).Add(24 * time.Hour))
	if _, err := w.invites.Create(ctx, w.access(ada, orgID, orgs.Subject{}), invites.Input{Email: "next-day@example.com", Role: "user"}); err != nil {
		t.Errorf("the next day: %v", err)
	}
}

func TestBulkItemsThatFailGiveTheirEmailBudgetBack(t *testing.T) {
	w := newWorld(t)
	w.invites.DailyEmailLimit = 3
	ada := person("ada")
	orgID := w.newOrg(ada)
	ctx := context.Background()
	w.invite(orgID, ada, "taken@example.com", roles.User) // 1 used
	a := w.access(ada, orgID, orgs.Subject{})
	results, err := w.invites.CreateMany(ctx, a, []invites.Input{
		{Email: "taken@example.com", Role: "user"}, {Email: "new@example.com", Role: "user"},
	})
	if err != nil || results[0].Err == nil || results[1].Err != nil {
		t.Fatalf("results %+v %v", results, err)
	}
	// 1 + 1 used: the failed item gave its use back, so one more fits.
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "last@example.com", Role: "user"}); err != nil {
		t.Errorf("the last of 3: %v", err)
	}
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "over@example.com", Role: "user"}); !apperr.Is(err, apperr.RateLimited) {
		t.Errorf("the 4th: %v", err)
	}
}

func TestABulkItemThatFailsValidationDoesNotBlockALaterOneWithTheSameAddress(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	results, err := w.invites.CreateMany(context.Background(), w.access(ada, orgID, orgs.Subject{}), []invites.Input{
		{Email: "bob@example.com", Role: "owner"}, // no such role
		{Email: "Bob@Example.com", Role: "user"},
		{Email: "bob@example.com", Role: "user"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !apperr.Is(results[0].Err, apperr.Invalid) || results[1].Err != nil || !apperr.Is(results[2].Err, apperr.Conflict) {
		t.Fatalf("results %v %v %v; want invalid, created, conflict (invited by item 1)", results[0].Err, results[1].Err, results[2].Err)
	}
}

func TestElevenEmailChangesInAnHourAreRateLimited(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, _, _ := newSelf(f, &clock)
	ctx := context.Background()
	for i := range ratelimit.EmailChanges.Max {
		if _, err := self.RequestEmailChange(ctx, caller(1), fmt.Sprintf("new%d@example.com", i)); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	_, err := self.RequestEmailChange(ctx, caller(1), "one-more@example.com")
	if !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfterOf(err) != time.Hour {
		t.Fatalf("the 11th request in the hour: %v (retry after %s)", err, apperr.RetryAfterOf(err))
	}
	// Another user is not limited by this one; the next hour starts again.
	if _, err := self.RequestEmailChange(ctx, caller(2), "other@example.com"); err != nil {
		t.Errorf("another user: %v", err)
	}
	clock = clock.Add(time.Hour)
	if _, err := self.RequestEmailChange(ctx, caller(1), "next-hour@example.com"); err != nil {
		t.Errorf("the next hour: %v", err)
	}
}

func TestAStandaloneUseIsOneConditionalUpdateAndRefusesPastTheMax(t *testing.T) {
	w := newWorld(t)
	rule := ratelimit.Rule{Name: "test", Max: 10, Window: time.Minute, What: "tries a minute"}
	at := w.clock.Now()
	ctx := context.Background()
	for i := range 10 {
		if err := w.store().Use(ctx, ratelimit.Use{Rule: rule, Scope: "org#a@example.com", N: 1, At: at}); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	err := w.store().Use(ctx, ratelimit.Use{Rule: rule, Scope: "org#a@example.com", N: 1, At: at.Add(30 * time.Second)})
	if !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfterOf(err) != 30*time.Second {
		t.Fatalf("the 11th: %v, retry after %s", err, apperr.RetryAfterOf(err))
	}
	if err := w.store().Use(ctx, ratelimit.Use{Rule: rule, Scope: "org#a@example.com", N: 1, At: at.Add(time.Minute)}); err != nil {
		t.Errorf("the next minute: %v", err)
	}
}

func errorsAs(err error, target **apperr.Error) bool { return errors.As(err, target) }

// Orgs are free to make, so the org's budget alone is no limit: the acting user's emails are
// counted across all the orgs they act in (USER_DAILY_EMAIL_LIMIT), in the same transaction
// as the org's, and a request that would pass either budget is refused whole.
func TestTheUsersDailyEmailBudgetSpansAllTheirOrgs(t *testing.T) {
	w := newWorld(t)
	w.invites.DailyEmailLimit, w.invites.UserDailyEmailLimit = 100, 4
	ada, bob := person("ada"), person("bob")
	ctx := context.Background()
	first, second := w.newOrg(ada), w.newOrg(ada)
	if _, err := w.invites.CreateMany(ctx, w.access(ada, first, orgs.Subject{}), inputs("first", 3)); err != nil {
		t.Fatal(err)
	}
	// One left for ada, anywhere: a bulk of 2 from her fresh org is refused whole.
	_, err := w.invites.CreateMany(ctx, w.access(ada, second, orgs.Subject{}), inputs("second", 2))
	if !apperr.Is(err, apperr.RateLimited) || apperr.RetryAfterOf(err) <= 0 {
		t.Fatalf("a bulk of 2 from a second org with 1 left for the user: %v; want 429 with a retry time", err)
	}
	if got := len(w.listInvites(second, ada, "pending")); got != 0 {
		t.Errorf("%d invites written by the refused bulk, want none", got)
	}
	if _, err := w.invites.Create(ctx, w.access(ada, second, orgs.Subject{}), invites.Input{Email: "last@example.com", Role: "user"}); err != nil {
		t.Fatalf("the user's 4th email: %v", err)
	}
	if _, err := w.invites.Create(ctx, w.access(ada, first, orgs.Subject{}), invites.Input{Email: "over@example.com", Role: "user"}); !apperr.Is(err, apperr.RateLimited) {
		t.Errorf("the user's 5th email, from the first org: %v; want 429", err)
	}
	// The budget is the user's, not the org's: another admin of the same org still sends.
	if _, err := w.orgs.Account(ctx, bob); err != nil {
		t.Fatal(err)
	}
	seed := orgs.Member{OrgID: first, UserID: bob.ID, Email: bob.Email, Role: roles.Admin, JoinedAt: w.clock.Now(), Source: orgs.SourceInvite}
	if err := w.store().SeedMember(ctx, seed, orgs.Shared); err != nil {
		t.Fatal(err)
	}
	if _, err := w.invites.Create(ctx, w.access(bob, first, orgs.Subject{}), invites.Input{Email: "bobs@example.com", Role: "user"}); err != nil {
		t.Errorf("another member's email from the same org: %v", err)
	}
}
