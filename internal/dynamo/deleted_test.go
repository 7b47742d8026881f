package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// A deleted account's token stays valid for a while: the authorization step refuses it even
// where a membership of it survived.
func TestAuthorizationRefusesADeletedAccount(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	v := w.orgWithMember(t, roles.Admin)
	acc, err := w.orgs.Store.Account(ctx, caller(2).ID)
	if err != nil {
		t.Fatal(err)
	}
	// The account's data goes, but its membership of v is left behind (a deletion racing a
	// join, before the writes were guarded).
	acc.Memberships = nil
	if err := w.store().DeleteAccountData(ctx, acc, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.orgs.Authorize(ctx, caller(2), v.ID); !errors.Is(err, orgs.ErrAccountDeleted) {
		t.Errorf("the deleted account's authorization: %v, want ErrAccountDeleted", err)
	}
}

// Writes that add a membership hold only while the account exists: an org created (or an
// invite accepted) from a read made before the account was deleted writes nothing.
func TestMembershipWritesAreConditionedOnTheProfile(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ada := caller(1)
	if _, err := w.orgs.Account(ctx, ada); err != nil {
		t.Fatal(err)
	}
	acc, err := w.orgs.Store.Account(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store().DeleteAccountData(ctx, acc, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	now := w.clock.Now()
	o := orgs.Org{ID: "01jd0000000000000000000001", Kind: orgs.Shared, Handle: "ghost-org", Name: "Ghost", CreatedAt: now,
		CreatedBy: orgs.Person{ID: ada.ID, Email: acc.Profile.Email}, AdminCount: 1, MemberCount: 1, SupportTicketVisibility: orgs.VisibilityOwn}
	m := orgs.Member{OrgID: o.ID, UserID: ada.ID, Email: acc.Profile.Email, Role: roles.Admin, JoinedAt: now, Source: orgs.SourceCreator}
	ev := audit.Event{OrgID: o.ID, Category: audit.Organization, Action: "org.created", Summary: "x"}
	ev.Stamp(ctx, "01jd0000000000000000000002", now)
	if err := w.store().CreateOrg(ctx, o, m, ev, nil); !errors.Is(err, orgs.ErrAccountDeleted) {
		t.Errorf("creating an org for a deleted account: %v, want ErrAccountDeleted", err)
	}
	if got := w.count(t, "ORG#"+o.ID); got != 0 {
		t.Errorf("%d items of the ghost org were written", got)
	}
}

// An account deletion that read the memberships before an accept committed fails instead of
// leaving the new membership behind; run again, it takes that one too.
func TestAccountDeletionRacingAnAcceptLeavesNoGhostMember(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	admin, bob := caller(1), caller(2)
	orgID := w.newOrg(admin)
	if _, err := w.orgs.Account(ctx, bob); err != nil {
		t.Fatal(err)
	}
	stale, err := w.orgs.Store.Account(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.join(orgID, admin, bob, roles.Admin) // commits after the deletion's read
	err = w.store().DeleteAccountData(ctx, stale, w.clock.Now().Add(time.Second))
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("deleting from a read older than the accept: %v, want a conflict", err)
	}
	if _, err := w.orgs.Authorize(ctx, bob, orgID); err != nil {
		t.Errorf("the account must still work after the refused deletion: %v", err)
	}
}
