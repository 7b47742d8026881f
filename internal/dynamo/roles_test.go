package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func (w *world) roles() *customroles.Service {
	return &customroles.Service{Store: w.store(), Now: w.clock.Now, NewID: app.NewULID}
}

// role has admin create a custom role and returns its id.
func (w *world) role(orgID string, admin orgs.Caller, name string, perms ...roles.Permission) roles.Role {
	w.t.Helper()
	r, err := w.roles().Create(context.Background(), w.access(admin, orgID, orgs.Subject{}), customroles.Input{Name: name, Permissions: append([]roles.Permission{}, perms...)})
	if err != nil {
		w.t.Fatalf("create role %s: %v", name, err)
	}
	return r.ID
}

// holders reads the org's counts of r: members and pending invites.
func (w *world) holders(orgID string, r roles.Role) (int, int) {
	w.t.Helper()
	o := w.org(orgID)
	return o.RoleMembers[r], o.RoleInvites[r]
}

func (w *world) wantHolders(orgID string, r roles.Role, members, invites int, when string) {
	w.t.Helper()
	if m, i := w.holders(orgID, r); m != members || i != invites {
		w.t.Errorf("%s: %s is held by %d members and %d invites, want %d and %d", when, r, m, i, members, invites)
	}
}

// TestHolderCountsFollowEveryWriteThatGivesOrTakesARole walks a custom role through invite,
// revocation, acceptance, role change, removal and expiry, checking its counts at each step.
func TestHolderCountsFollowEveryWriteThatGivesOrTakesARole(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ada := person("ada")
	orgID := w.newOrg(ada)
	rm := w.role(orgID, ada, "Release manager", roles.TokenView, roles.LicensesRead)
	w.wantHolders(orgID, rm, 0, 0, "created")

	inv, _ := w.invite(orgID, ada, "bob@example.com", rm)
	w.wantHolders(orgID, rm, 0, 1, "invited")
	if err := w.invites.Revoke(ctx, w.access(ada, orgID, orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: inv.ID}}})); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 0, 0, "revoked")

	bob := person("bob")
	w.join(orgID, ada, bob, rm)
	w.wantHolders(orgID, rm, 1, 0, "accepted")

	r := roles.User
	if _, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}), members.Update{Role: &r}); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 0, 0, "changed to user")
	w.wantHolders(orgID, roles.User, 1, 0, "changed to user")
	r = rm
	if _, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}), members.Update{Role: &r}); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 1, 0, "changed back")
	if err := w.members.Remove(ctx, w.access(bob, orgID, orgs.Subject{UserID: bob.ID, SelfAllowed: true})); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 0, 0, "left")

	w.invite(orgID, ada, "cy@example.com", rm)
	w.wantHolders(orgID, rm, 0, 1, "invited again")
	w.clock.Advance(invites.Lifetime + time.Minute)
	if err := w.invites.ProcessDue(ctx, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 0, 0, "expired by the job")
	if err := w.invites.ProcessDue(ctx, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.wantHolders(orgID, rm, 0, 0, "the job run twice")
	if err := w.roles().Delete(ctx, w.access(ada, orgID, orgs.Subject{}), string(rm)); err != nil {
		t.Fatalf("deleting the role no one holds: %v", err)
	}
	if got := w.actions(orgID, "role."); fmt.Sprint(got) != "[role.created role.deleted]" {
		t.Errorf("role events: %v", got)
	}
}

// TestConcurrentCreatesNeverPassTheLimit: at 19 custom roles, two creations at once end with
// one role more and a conflict, never 21; two of one name at once end with one.
func TestConcurrentCreatesNeverPassTheLimit(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ada := person("ada")
	orgID := w.newOrg(ada)
	for i := range roles.MaxCustom - 1 {
		w.role(orgID, ada, fmt.Sprintf("Role %d", i))
	}
	a := w.access(ada, orgID, orgs.Subject{})
	errs := race(2, func(i int) error {
		_, err := w.roles().Create(ctx, a, customroles.Input{Name: fmt.Sprintf("Racer %d", i), Permissions: []roles.Permission{}})
		return err
	})
	if ok, kinds := tally(errs); ok != 1 || kinds[apperr.Conflict] != 1 {
		t.Errorf("two creates at %d roles: %v", roles.MaxCustom-1, errs)
	}
	if n := len(w.org(orgID).CustomRoles); n != roles.MaxCustom {
		t.Errorf("%d custom roles", n)
	}

	bo := person("bo")
	other := w.newOrg(bo)
	b := w.access(bo, other, orgs.Subject{})
	errs = race(2, func(i int) error {
		_, err := w.roles().Create(ctx, b, customroles.Input{Name: []string{"Auditor", "AUDITOR"}[i], Permissions: []roles.Permission{}})
		return err
	})
	if ok, _ := tally(errs); ok != 1 || len(w.org(other).CustomRoles) != 1 {
		t.Errorf("two creates of one name: %v, %v", errs, w.org(other).CustomRoles)
	}
}

// TestDeleteRacingAnAssignmentEndsConsistent: a role deleted while an admin gives it to a
// member ends either deleted with the member keeping their old role, or given with the
// deletion refused; never a member holding a role that no longer exists.
func TestDeleteRacingAnAssignmentEndsConsistent(t *testing.T) {
	for round := range 4 {
		w := newWorld(t)
		ctx := context.Background()
		ada, bob := person("ada"), person("bob")
		orgID := w.newOrg(ada)
		rm := w.role(orgID, ada, "Release manager", roles.TokenView)
		w.join(orgID, ada, bob, roles.User)
		assign := w.access(ada, orgID, orgs.Subject{UserID: bob.ID})
		del := w.access(ada, orgID, orgs.Subject{})
		errs := race(2, func(i int) error {
			if i == 0 {
				_, err := w.members.Update(ctx, assign, members.Update{Role: &rm})
				return err
			}
			return w.roles().Delete(ctx, del, string(rm))
		})
		o := w.org(orgID)
		_, exists := o.Role(rm)
		m := w.access(bob, orgID, orgs.Subject{}).Member
		switch {
		case errs[0] == nil && errs[1] == nil:
			t.Fatalf("round %d: both the assignment and the deletion succeeded", round)
		case errs[0] == nil:
			if !exists || m.Role != rm || o.RoleMembers[rm] != 1 {
				t.Errorf("round %d: assigned, but role exists=%v, bob=%s, holders=%d", round, exists, m.Role, o.RoleMembers[rm])
			}
		case errs[1] == nil:
			if exists || m.Role != roles.User || !errors.Is(errs[0], orgs.ErrRolesChanged) && apperr.KindOf(errs[0]) != apperr.Conflict {
				t.Errorf("round %d: deleted, but role exists=%v, bob=%s, assignment error %v", round, exists, m.Role, errs[0])
			}
		default:
			// Both lost to each other's transaction: nothing changed.
			if !exists || m.Role != roles.User {
				t.Errorf("round %d: both failed (%v), but exists=%v bob=%s", round, errs, exists, m.Role)
			}
		}
	}
}

// TestAWriteDecidedOnACustomRoleFailsWhenTheRolesChanged: a member whose custom role lost
// members.manage after the authorization step read it can't act on it; nor can an admin give
// a role on the strength of what it held before a change.
func TestAWriteDecidedOnACustomRoleFailsWhenTheRolesChanged(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ada, mo, bob := person("ada"), person("mo"), person("bob")
	orgID := w.newOrg(ada)
	mgr := w.role(orgID, ada, "Manager", roles.OrgRead, roles.MembersRead, roles.MembersManage, roles.SupportAccess)
	reader := w.role(orgID, ada, "Reader", roles.OrgRead)
	w.join(orgID, ada, mo, mgr)
	w.join(orgID, ada, bob, roles.SupportOnly)
	stale := w.access(mo, orgID, orgs.Subject{UserID: bob.ID})
	perms := []roles.Permission{roles.OrgRead, roles.MembersRead}
	if _, err := w.roles().Update(ctx, w.access(ada, orgID, orgs.Subject{}), string(mgr), customroles.Patch{Permissions: &perms}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.members.Update(ctx, stale, members.Update{Role: &reader}); !errors.Is(err, orgs.ErrRolesChanged) {
		t.Errorf("a change decided on a role that lost members.manage: %v", err)
	}
	// From the next request on, the authorization step sees the change.
	if _, err := w.orgs.AuthorizeFor(ctx, mo, orgID, orgs.Subject{UserID: bob.ID}, roles.MembersManage); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("the next request: %v", err)
	}
	if m := w.access(bob, orgID, orgs.Subject{}).Member; m.Role != roles.SupportOnly {
		t.Errorf("bob is %s", m.Role)
	}
}
