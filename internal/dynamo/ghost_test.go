package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// provisioning's add of an existing account (a create in a DNS-verified domain, SCIM, the
// legacy migration, auto-join) goes through the one membership primitive: racing the
// account's deletion, it ends one way only — never a member left behind without an account.
func TestProvisioningAddRacingAnAccountDeletionLeavesNoGhostMember(t *testing.T) {
	ctx := context.Background()
	for round := range 4 {
		w := newWorld(t)
		admin, bob := caller(1), caller(2)
		orgID := w.newOrg(admin)
		if _, err := w.orgs.Account(ctx, bob); err != nil {
			t.Fatal(err)
		}
		self, _, _ := newSelf(w, new(w.clock.Now()))
		ev := audit.Event{OrgID: orgID, Category: audit.Organization, Action: "member.joined", Summary: "x"}
		ev.Stamp(ctx, fmt.Sprintf("01jd00000000000000000000%02d", round), w.clock.Now())
		add := provisioning.MemberWrite{
			Member: orgs.Member{OrgID: orgID, UserID: bob.ID, Email: "user2@example.com", Role: roles.User, JoinedAt: w.clock.Now(), Source: orgs.SourceDomain},
			Event:  ev,
		}
		errs := race(2, func(i int) error {
			if i == 0 {
				return w.store().AddMember(ctx, add)
			}
			return self.DeleteAccount(ctx, bob)
		})
		if errs[1] != nil {
			t.Fatalf("round %d: the deletion failed: %v", round, errs[1])
		}
		if errs[0] != nil && !errors.Is(errs[0], provisioning.ErrNoProfile) && !errors.Is(errs[0], orgs.ErrAccountDeleted) {
			t.Fatalf("round %d: the add failed with %v", round, errs[0])
		}
		// The account is gone, and so is every membership of it, whichever won.
		if got := w.partition("USER#" + bob.ID); len(got) != 1 { // the tombstone
			t.Errorf("round %d: %d items left in the deleted user's partition", round, len(got))
		}
		o := w.org(orgID)
		if o.MemberCount != 1 {
			t.Errorf("round %d: the org counts %d members; want its admin only (add: %v)", round, o.MemberCount, errs[0])
		}
		if _, err := w.orgs.Authorize(ctx, bob, orgID); err == nil {
			t.Errorf("round %d: the deleted account is still a member", round)
		}
	}
}

// The primitive's condition, without a race: an add from a read made before the deletion
// writes nothing.
func TestProvisioningAddAfterTheAccountsDeletionWritesNothing(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	admin, bob := caller(1), caller(2)
	orgID := w.newOrg(admin)
	if _, err := w.orgs.Account(ctx, bob); err != nil {
		t.Fatal(err)
	}
	self, _, _ := newSelf(w, new(w.clock.Now()))
	if err := self.DeleteAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	ev := audit.Event{OrgID: orgID, Category: audit.Organization, Action: "member.added", Summary: "x"}
	ev.Stamp(ctx, "01jd0000000000000000000099", w.clock.Now())
	err := w.store().AddMember(ctx, provisioning.MemberWrite{
		Member: orgs.Member{OrgID: orgID, UserID: bob.ID, Email: "user2@example.com", Role: roles.User, JoinedAt: w.clock.Now(), Source: orgs.SourceSCIM},
		Event:  ev,
	})
	if !errors.Is(err, provisioning.ErrNoProfile) {
		t.Fatalf("adding a deleted account: %v, want ErrNoProfile", err)
	}
	if o := w.org(orgID); o.MemberCount != 1 {
		t.Errorf("the org counts %d members", o.MemberCount)
	}
}
