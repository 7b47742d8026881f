package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	outboxpkg "github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// changedInCognito is c after changing their address in the identity provider directly: an
// ID token issued later carries the new, verified address.
func changedInCognito(c orgs.Caller, email string, issued time.Time) orgs.Caller {
	c.Email, c.EmailVerified, c.IssuedAt = email, true, issued
	return c
}

// The identity that counts is the verified email claim of an ID token: a user who changed
// their address in Cognito directly is caught up on their next call, the profile and every
// copy (memberships, member search, the email guard) following the claim.
func TestAVerifiedClaimNewerThanTheProfileCatchesUpEveryCopy(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ada := caller(1)
	orgID := w.newOrg(ada)
	w.clock.Advance(time.Hour)
	moved := changedInCognito(ada, "Ada.New@Example.com", w.clock.Now())
	acc, err := w.orgs.Account(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Profile.Email != "ada.new@example.com" {
		t.Fatalf("profile email %q, want the verified claim's", acc.Profile.Email)
	}
	a := w.authorize(t, moved, orgID)
	if a.Member.Email != "ada.new@example.com" {
		t.Errorf("membership copy %q", a.Member.Email)
	}
	page, err := w.members.List(ctx, a, "", "ada.new", "", paging.Request{Limit: 10})
	if err != nil || len(page.Members) != 1 {
		t.Errorf("member search by the new address: %v %v", page.Members, err)
	}
	if got := w.actions(acc.Profile.PersonalOrgID, "account.email"); len(got) != 1 {
		t.Errorf("events %v, want one account.email_changed", got)
	}
	// The old address is free in the org; the new one is the member's.
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "user1@example.com", Role: "user"}); err != nil {
		t.Errorf("inviting the old address: %v", err)
	}
	if _, err := w.invites.Create(ctx, a, invites.Input{Email: "ada.new@example.com", Role: "user"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("inviting the member's new address: %v, want a conflict", err)
	}
}

// A token issued before the product's own email change still carries the old address: it
// never takes the profile back.
func TestAStaleTokenDoesNotRevertTheProductsEmailChange(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	clock := w.clock.Now()
	self, rec, _ := newSelf(w, &clock)
	ada := caller(1)
	ada.IssuedAt = clock
	if _, err := w.orgs.Account(ctx, ada); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	if _, err := self.RequestEmailChange(ctx, ada, "changed@example.com"); err != nil {
		t.Fatal(err)
	}
	w.deliver()
	if _, err := self.ConfirmEmailChange(ctx, ada, tokenFrom(t, rec.Sent[0])); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	acc, err := w.orgs.Account(ctx, ada) // the old token: iat before the change
	if err != nil {
		t.Fatal(err)
	}
	if acc.Profile.Email != "changed@example.com" {
		t.Errorf("profile email %q after a call with a token from before the change", acc.Profile.Email)
	}
}

// Accepting an invite counts the verified claim, not a stale profile.
func TestAcceptCountsTheVerifiedClaimOverAStaleProfile(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	admin, bob := caller(1), caller(2)
	orgID := w.newOrg(admin)
	if _, err := w.orgs.Account(ctx, bob); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	moved := changedInCognito(bob, "bob@new.example.com", w.clock.Now())
	_, token := w.invite(orgID, admin, "bob@new.example.com", roles.User)
	m, err := w.invites.Accept(ctx, moved, token)
	if err != nil {
		t.Fatalf("accept with the verified claim of the invited address: %v", err)
	}
	if m.Email != "bob@new.example.com" {
		t.Errorf("member email %q", m.Email)
	}
	// And the old address, still on the stale profile, is no longer the user's.
	_, token2 := w.invite(w.newOrg(caller(3)), caller(3), "user2@example.com", roles.User)
	if _, err := w.invites.Accept(ctx, moved, token2); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("accepting an invite to the old address: %v, want forbidden", err)
	}
}

// failingConfirm is the store failing the first ConfirmEmailChange (after the identity
// provider was changed).
type failingConfirm struct {
	orgs.Store
	failed bool
}

func (f *failingConfirm) ConfirmEmailChange(ctx context.Context, acc orgs.Account, after orgs.Profile, ch orgs.EmailChange, ev audit.Event, notice outboxpkg.Message) error {
	if !f.failed {
		f.failed = true
		return errors.New("dynamodb: throttled")
	}
	return f.Store.ConfirmEmailChange(ctx, acc, after, ch, ev, notice)
}

// ConfirmEmailChange is safe when the table write fails after Cognito changed: confirming
// again completes it (and so does the next call with a token carrying the new address).
func TestConfirmEmailChangeCompletesAfterTheTableWriteFailed(t *testing.T) {
	ctx := context.Background()
	for _, retry := range []string{"confirm again", "next call with a new token"} {
		t.Run(retry, func(t *testing.T) {
			w := newWorld(t)
			clock := w.clock.Now()
			self, rec, dir := newSelf(w, &clock)
			ada := caller(1)
			orgID := w.newOrg(ada)
			store := &failingConfirm{Store: w.orgs.Store}
			w.orgs.Store = store
			if _, err := self.RequestEmailChange(ctx, ada, "changed@example.com"); err != nil {
				t.Fatal(err)
			}
			w.deliver()
			token := tokenFrom(t, rec.Sent[0])
			clock = clock.Add(time.Minute)
			if _, err := self.ConfirmEmailChange(ctx, ada, token); err == nil {
				t.Fatal("the failing store's confirm succeeded")
			}
			if dir.emails[ada.ID] != "changed@example.com" {
				t.Fatalf("the identity provider has %q", dir.emails[ada.ID])
			}
			clock = clock.Add(time.Minute)
			var p orgs.Profile
			switch retry {
			case "confirm again":
				var err error
				if p, err = self.ConfirmEmailChange(ctx, ada, token); err != nil {
					t.Fatalf("confirming again: %v", err)
				}
			default:
				acc, err := w.orgs.Account(ctx, changedInCognito(ada, "changed@example.com", clock))
				if err != nil {
					t.Fatal(err)
				}
				p = acc.Profile
			}
			if p.Email != "changed@example.com" || w.authorize(t, ada, orgID).Member.Email != "changed@example.com" {
				t.Errorf("profile %q, membership %q", p.Email, w.authorize(t, ada, orgID).Member.Email)
			}
		})
	}
}
