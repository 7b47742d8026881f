package orgs

import (
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
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

// customOrg is an org with two custom roles.
func customOrg() Org {
	return Org{Kind: Shared, CustomRoles: []roles.Definition{
		{ID: "role_01jdq3zq0v8m2x7k5c9h4n6p1r", Name: "Release manager", Permissions: []roles.Permission{roles.TokenView, roles.TokenRegenerate, roles.LicensesRead}},
		{ID: "role_01jdq3zq0v8m2x7k5c9h4n6p1s", Name: "People lead", Permissions: []roles.Permission{roles.OrgRead, roles.SupportAccess, roles.MembersRead, roles.MembersManage, roles.InvitesManage}},
	}}
}

func TestACustomRoleAllowsExactlyItsPermissions(t *testing.T) {
	o := customOrg()
	rm := Access{Org: o, Member: Member{Role: o.CustomRoles[0].ID}}
	for _, p := range roles.Assignable {
		want := p == roles.TokenView || p == roles.TokenRegenerate || p == roles.LicensesRead
		if rm.Allows(p) != want {
			t.Errorf("Release manager allows %s: %v", p, !want)
		}
	}
	lead := Access{Org: o, Member: Member{Role: o.CustomRoles[1].ID}}
	if !lead.Allows(roles.InvitesCreate) {
		t.Error("invites.manage brings invites.create")
	}
	o.MembersCanInvite = true
	if (Access{Org: o, Member: Member{Role: o.CustomRoles[0].ID}}).Allows(roles.InvitesCreate) {
		t.Error("membersCanInvite widened a custom role")
	}
	if (Access{Org: Org{}, Member: Member{Role: o.CustomRoles[0].ID}}).Allows(roles.TokenView) {
		t.Error("a role the org does not define carried permissions")
	}
}

func TestGivingARoleNeedsEveryPermissionItHolds(t *testing.T) {
	o := customOrg()
	lead := Access{Org: o, Member: Member{Role: o.CustomRoles[1].ID}}
	admin := Access{Org: o, Member: Member{Role: roles.Admin}}
	cases := []struct {
		a      Access
		role   string
		assign bool
		invite bool
	}{
		{admin, string(o.CustomRoles[0].ID), true, true},
		{lead, string(o.CustomRoles[0].ID), false, false}, // token.* and licenses.read
		{lead, string(o.CustomRoles[1].ID), true, true},   // its own
		{lead, string(roles.SupportOnly), true, true},
		{lead, string(roles.User), false, false}, // products.access, token.view
		{lead, string(roles.Admin), false, false},
	}
	for _, c := range cases {
		_, err := c.a.AssignableRole(c.role)
		if (err == nil) != c.assign {
			t.Errorf("%s assigning %s: %v", c.a.RoleName(), c.role, err)
		}
		_, err = c.a.InvitableRole(c.role)
		if (err == nil) != c.invite {
			t.Errorf("%s inviting as %s: %v", c.a.RoleName(), c.role, err)
		}
	}
	if _, err := admin.AssignableRole("role_01jdq3zq0v8m2x7k5c9h4n6p1t"); err == nil || !strings.Contains(err.Error(), "custom roles") {
		t.Errorf("an unknown custom id: %v", err)
	}
	on := func(r roles.Role) Member { return Member{UserID: "someone-else", Role: r} }
	if !apperr.Is(lead.MayActOn(on(roles.Admin), "remove"), apperr.Forbidden) || lead.MayActOn(on(roles.SupportOnly), "remove") != nil ||
		admin.MayActOn(on(o.CustomRoles[1].ID), "remove") != nil {
		t.Error("MayActOn: the outrank rule")
	}
	if lead.MayActOn(Member{UserID: lead.Member.UserID, Role: lead.Member.Role}, "change") != nil {
		t.Error("MayActOn: acting on oneself is not acting on another")
	}
	if c := admin.ActOnCheck(on(o.CustomRoles[0].ID)); !c.Needed {
		t.Error("acting on a custom role's holder depends on the roles")
	}
	if !lead.CanDefine(nil) || !lead.CanDefine([]roles.Permission{roles.MembersRead}) || lead.CanDefine([]roles.Permission{roles.SettingsManage}) {
		t.Error("CanDefine")
	}
	if c := lead.RolesCheck(); !c.Needed {
		t.Error("a custom role's holder's writes depend on the roles")
	}
	if c := admin.RolesCheck(roles.User); c.Needed {
		t.Error("built-ins never change")
	}
	if c := admin.RolesCheck(o.CustomRoles[0].ID); !c.Needed {
		t.Error("giving a custom role depends on it")
	}
}
