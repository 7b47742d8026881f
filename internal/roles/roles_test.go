package roles

import "testing"

// TestMatrixMatchesContract spells out the contract's permission matrix cell by cell.
func TestMatrixMatchesContract(t *testing.T) {
	type row struct {
		perm                                        Permission
		admin, viewerAdmin, billingAdmin, user, sup bool
	}
	rows := []row{
		{OrgRead, true, true, true, true, true},
		{ProductsAccess, true, true, true, true, false},
		{TokenView, true, true, false, true, false},
		{SupportAccess, true, true, true, true, true},
		{MembersRead, true, true, false, false, false},
		{InvitesRead, true, true, false, false, false},
		{EventsRead, true, true, false, false, false},
		{SettingsRead, true, true, false, false, false},
		{LicensesRead, true, true, true, false, false},
		{UsageRead, true, true, true, false, false},
		{BillingRead, true, true, true, false, false},
		{BillingManage, true, false, true, false, false},
		{MembersManage, true, false, false, false, false},
		{InvitesManage, true, false, false, false, false},
		{InvitesCreate, true, false, false, false, false}, // user too with membersCanInvite: orgs.Access.Allows
		{SettingsManage, true, false, false, false, false},
		{LicensesManage, true, false, false, false, false},
		{TokenRegenerate, true, false, false, false, false},
		{AuthReset, true, false, false, false, false},
		{OrgDelete, true, false, false, false, false},
	}
	for _, r := range rows {
		want := map[Role]bool{Admin: r.admin, ViewerAdmin: r.viewerAdmin, BillingAdmin: r.billingAdmin, User: r.user, SupportOnly: r.sup}
		for role, w := range want {
			if got := role.Has(r.perm); got != w {
				t.Errorf("%s.Has(%s) = %v, want %v", role, r.perm, got, w)
			}
		}
	}
	if Role("owner").Has(OrgRead) {
		t.Error("an unknown role must carry no permission")
	}
}

func TestNoOneGrantsMoreThanTheirOwn(t *testing.T) {
	cases := []struct {
		granter, target Role
		want            bool
	}{
		{Admin, Admin, true},
		{Admin, SupportOnly, true},
		{ViewerAdmin, Admin, false},
		{ViewerAdmin, User, true},
		{ViewerAdmin, BillingAdmin, false}, // billing.manage
		{BillingAdmin, User, false},        // token.view
		{User, User, true},
		{User, SupportOnly, true},
		{User, ViewerAdmin, false},
		{SupportOnly, User, false},
		{Admin, Role("owner"), false},
	}
	for _, c := range cases {
		if got := c.granter.CanGrant(c.target); got != c.want {
			t.Errorf("%s.CanGrant(%s) = %v, want %v", c.granter, c.target, got, c.want)
		}
	}
}
