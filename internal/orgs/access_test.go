package orgs

import (
	"testing"

	"github.com/vendorportal/orgs/internal/roles"
)

func TestMembersCanInviteLetsUsersCreateInvitesOnly(t *testing.T) {
	for _, on := range []bool{false, true} {
		for _, r := range roles.All {
			a := Access{Org: Org{MembersCanInvite: on}, Member: Member{Role: r}}
			want := r == roles.Admin || on && r == roles.User
			if got := a.Allows(roles.InvitesCreate); got != want {
				t.Errorf("membersCanInvite=%v, %s: Allows(invites.create) = %v", on, r, got)
			}
			// The setting widens nothing else.
			for _, p := range []roles.Permission{roles.InvitesManage, roles.InvitesRead, roles.MembersManage} {
				if a.Allows(p) != r.Has(p) {
					t.Errorf("membersCanInvite=%v, %s: Allows(%s) differs from the matrix", on, r, p)
				}
			}
		}
	}
}

func TestWhoMayInviteAsWhichRole(t *testing.T) {
	cases := []struct {
		inviter          roles.Role
		membersCanInvite bool
		allowed          []roles.Role
	}{
		{roles.Admin, false, roles.All},
		{roles.User, false, nil},
		{roles.User, true, []roles.Role{roles.User, roles.SupportOnly}},
		{roles.ViewerAdmin, true, nil},
		{roles.BillingAdmin, true, nil},
		{roles.SupportOnly, true, nil},
	}
	for _, c := range cases {
		a := Access{Org: Org{MembersCanInvite: c.membersCanInvite}, Member: Member{Role: c.inviter}}
		for _, r := range append(roles.All, "owner") {
			want := false
			for _, ok := range c.allowed {
				want = want || ok == r
			}
			if got := a.CanInvite(r); got != want {
				t.Errorf("%s (membersCanInvite=%v) inviting as %s: %v, want %v", c.inviter, c.membersCanInvite, r, got, want)
			}
		}
	}
}

func TestOnlyMemberManagersAssignRolesAndNeverAboveTheirOwn(t *testing.T) {
	for _, holder := range roles.All {
		a := Access{Member: Member{Role: holder}}
		for _, r := range roles.All {
			want := holder == roles.Admin
			if got := a.CanAssign(r); got != want {
				t.Errorf("%s assigning %s: %v", holder, r, got)
			}
		}
	}
	if (Access{Member: Member{Role: roles.Admin}}).CanAssign("owner") {
		t.Error("an unknown role was assignable")
	}
}

func TestInviteStatusIsExpiredFromTheInstantOn(t *testing.T) {
	inv := Invite{Status: InvitePending}
	inv.ExpiresAt = inv.ExpiresAt.AddDate(2026, 0, 0)
	if inv.StatusAt(inv.ExpiresAt.Add(-1)) != InvitePending || inv.StatusAt(inv.ExpiresAt) != InviteExpired {
		t.Error("expiry is not exact")
	}
	inv.Status = InviteAccepted
	if inv.StatusAt(inv.ExpiresAt.Add(1)) != InviteAccepted {
		t.Error("an accepted invite turned expired")
	}
}
