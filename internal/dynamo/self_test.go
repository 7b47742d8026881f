package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/account"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	outboxpkg "github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
)

// directory records what the identity provider is asked to do.
type directory struct {
	emails  map[string]string
	deleted []string
}

func (d *directory) SetEmail(_ context.Context, userID, email string) error {
	if d.emails == nil {
		d.emails = map[string]string{}
	}
	d.emails[userID] = email
	return nil
}

func (d *directory) DeleteUser(_ context.Context, userID string) error {
	d.deleted = append(d.deleted, userID)
	return nil
}

func newSelf(f *world, clock *time.Time) (*account.Service, *mail.Recorder, *directory) {
	rec, dir := &mail.Recorder{}, &directory{}
	f.orgs.Now = func() time.Time { return *clock }
	self := &account.Service{Orgs: f.orgs, Members: f.orgs.Store.(members.Store), Directory: dir, Mail: rec, AppURL: "https://app.example.com"}
	f.handlers[outboxpkg.KindEmail] = outboxpkg.SendEmail(rec)
	f.handlers[account.KindEmailChangeLink] = self.SendEmailChangeLink
	return self, rec, dir
}

func tokenFrom(t *testing.T, m mail.Message) string {
	t.Helper()
	_, after, ok := strings.Cut(m.Text, "token=")
	if !ok {
		t.Fatalf("no token in %q", m.Text)
	}
	return strings.Fields(after)[0]
}

func TestEmailChangeLinkExpiresAfter24Hours(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, rec, dir := newSelf(f, &clock)
	ctx := context.Background()
	if _, err := self.RequestEmailChange(ctx, caller(1), "new@example.com"); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	token := tokenFrom(t, rec.Sent[0])
	clock = clock.Add(account.EmailChangeTTL)
	if _, err := self.ConfirmEmailChange(ctx, caller(1), token); !apperr.Is(err, apperr.Gone) {
		t.Fatalf("confirming at the expiry instant: %v", err)
	}
	if len(dir.emails) != 0 {
		t.Error("the identity provider was changed by an expired link")
	}
	clock = clock.Add(-time.Second)
	if _, err := self.RequestEmailChange(ctx, caller(1), "new@example.com"); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	p, err := self.ConfirmEmailChange(ctx, caller(1), tokenFrom(t, rec.Sent[1]))
	if err != nil || p.Email != "new@example.com" || dir.emails["user-1"] != "new@example.com" {
		t.Fatalf("confirm: %+v %v %v", p, err, dir.emails)
	}
	f.deliver()
	if last := rec.Sent[len(rec.Sent)-1]; last.To != "user1@example.com" || !strings.Contains(last.Text, "new@example.com") {
		t.Errorf("no notice to the old address: %+v", last)
	}
}

func TestEmailChangeWhoseLinkCantBeMailedSucceedsAndTheLinkIsRetried(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, rec, dir := newSelf(f, &clock)
	rec.Err = errors.New("ses down")
	ch, err := self.RequestEmailChange(context.Background(), caller(1), "new@example.com")
	if err != nil {
		t.Fatalf("the request must succeed while SES is down: %v", err)
	}
	f.deliver()
	m, err := f.store().OutboxMessage(context.Background(), ch.MessageID)
	if err != nil || m.Status != outboxpkg.StatusPending || m.Attempts != 1 || !m.NotBefore.After(clock) || m.LastError == "" {
		t.Fatalf("after a failed send the link's message is %+v (%v), want pending with a retry time", m, err)
	}
	rec.Err = nil
	clock = m.NotBefore
	if err := f.redrive(); err != nil {
		t.Fatal(err)
	}
	if len(rec.Sent) != 1 {
		t.Fatalf("%d mails after the retry, want 1", len(rec.Sent))
	}
	if _, err := self.ConfirmEmailChange(context.Background(), caller(1), tokenFrom(t, rec.Sent[0])); err != nil || dir.emails["user-1"] != "new@example.com" {
		t.Fatalf("confirm with the retried link: %v", err)
	}
	if err := f.redrive(); err != nil || len(rec.Sent) != 2 {
		t.Fatalf("after the job runs again: %d mails (the notice makes 2), %v", len(rec.Sent), err)
	}
}

func TestProfileNameIsCopiedOntoMemberships(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, _, _ := newSelf(f, &clock)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := self.UpdateProfile(ctx, caller(1), account.ProfileInput{Name: ptr("Ada")}); err != nil {
		t.Fatal(err)
	}
	if a := f.authorize(t, caller(1), v.ID); a.Member.Name != "Ada" {
		t.Errorf("membership name %q", a.Member.Name)
	}
}

func TestEmailAndNameChangesReachMemberSearchAndTheEmailGuard(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, rec, _ := newSelf(f, &clock)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := self.UpdateProfile(ctx, caller(1), account.ProfileInput{Name: ptr("Zed Zulu")}); err != nil {
		t.Fatal(err)
	}
	if _, err := self.RequestEmailChange(ctx, caller(1), "renamed@example.com"); err != nil {
		t.Fatal(err)
	}
	f.deliver()
	if _, err := self.ConfirmEmailChange(ctx, caller(1), tokenFrom(t, rec.Sent[0])); err != nil {
		t.Fatal(err)
	}
	memberSvc := &members.Service{Store: f.orgs.Store.(*dynamotest.Store), Now: f.orgs.Now, NewID: f.orgs.NewID}
	a := f.authorize(t, caller(1), v.ID)
	for q, want := range map[string]int{"renamed": 1, "user1": 0, "zed": 1, "zulu": 0} {
		page, err := memberSvc.List(ctx, a, "", q, "", paging.Request{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Members) != want {
			t.Errorf("q=%s: %d members, want %d", q, len(page.Members), want)
		}
	}
	inviteSvc := &invites.Service{Store: f.orgs.Store.(*dynamotest.Store), Accounts: f.orgs, Mail: &mail.Recorder{}, AppURL: "https://app.example.com", Now: f.orgs.Now, NewID: f.orgs.NewID}
	if _, err := inviteSvc.Create(ctx, a, invites.Input{Email: "user1@example.com", Role: "user"}); err != nil {
		t.Errorf("the old address is still guarded as a member's: %v", err)
	}
	if _, err := inviteSvc.Create(ctx, a, invites.Input{Email: "renamed@example.com", Role: "user"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("inviting the member's new address: %v, want a conflict", err)
	}
}

// TestAccountDeletionCost measures the DynamoDB calls of deleting the account of a user in N
// shared orgs: account + orgs (2), one transaction per org and one for the personal account
// (N+1), the profile's transaction and the batch delete of the user's items (2).
func TestAccountDeletionCost(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, _, dir := newSelf(f, &clock)
	self.Members = f.orgs.Store.(*dynamotest.Store)
	ctx := context.Background()
	const n = 3
	for i := range n {
		if _, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: fmt.Sprint("Org ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	cctx, counter := dynamo.WithCallCounter(ctx)
	if err := self.DeleteAccount(cctx, caller(1)); err != nil {
		t.Fatal(err)
	}
	t.Logf("deleting the account of a user in %d shared orgs: %d DynamoDB calls", n, counter.Calls())
	if want := 2 + (n + 1) + 2; counter.Calls() != want {
		t.Errorf("%d calls, want %d", counter.Calls(), want)
	}
	if len(dir.deleted) != 1 {
		t.Errorf("identity deletions: %v", dir.deleted)
	}
	if _, err := f.orgs.Account(ctx, caller(1)); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("the deleted account answers %v", err)
	}
}

// TestRenameOfAUserInManyOrgsReachesEveryMembership: the copies that don't fit in the
// profile's transaction go in transactions of their own, before it.
func TestRenameOfAUserInManyOrgsReachesEveryMembership(t *testing.T) {
	f := newWorld(t)
	clock := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	self, _, _ := newSelf(f, &clock)
	ctx := context.Background()
	var ids []string
	for i := range 25 {
		v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: fmt.Sprint("Org ", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	if _, err := self.UpdateProfile(ctx, caller(1), account.ProfileInput{Name: ptr("Ada")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if a := f.authorize(t, caller(1), id); a.Member.Name != "Ada" {
			t.Fatalf("org %s still has the name %q", id, a.Member.Name)
		}
	}
}
