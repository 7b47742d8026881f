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
	}
	for _, c := range cases {
		g, _ := BuiltIn(c.granter)
		r, _ := BuiltIn(c.target)
		if got := g.Covers(r); got != c.want {
			t.Errorf("%s covers %s = %v, want %v", c.granter, c.target, got, c.want)
		}
	}
}

func TestBuiltInDefinitionsAreTheMatrix(t *testing.T) {
	for _, d := range BuiltIns() {
		for _, p := range Assignable {
			if d.Has(p) != d.ID.Has(p) {
				t.Errorf("%s: definition and matrix disagree on %s", d.ID, p)
			}
		}
		if d.Has(InvitesCreate) != d.ID.Has(InvitesCreate) {
			t.Errorf("%s: invites.create", d.ID)
		}
	}
}

func TestCustomIDsCantBeBuiltInOnes(t *testing.T) {
	for _, r := range All {
		if r.Custom() {
			t.Errorf("%s looks custom", r)
		}
	}
	good := Role(CustomPrefix + "01jdq3zq0v8m2x7k5c9h4n6p1r")
	if !good.Custom() {
		t.Error("a prefixed ULID is a custom id")
	}
	for _, bad := range []string{"role_", "role_01JDQ3ZQ0V8M2X7K5C9H4N6P1R", "role_01jdq3zq0v8m2x7k5c9h4n6p1", "x_01jdq3zq0v8m2x7k5c9h4n6p1r", "role_01jdq3zq0v8m2x7k5c9h4n6p1u"} {
		if Role(bad).Custom() {
			t.Errorf("%q passed as a custom id", bad)
		}
	}
}

func TestCanonicalRefusesUnknownAndOrdersTheRest(t *testing.T) {
	got, bad := Canonical([]Permission{LicensesRead, TokenView, TokenView})
	if bad != "" || len(got) != 2 || got[0] != TokenView || got[1] != LicensesRead {
		t.Errorf("got %v, %q", got, bad)
	}
	if _, bad := Canonical([]Permission{OrgRead, "org.own"}); bad != "org.own" {
		t.Errorf("unknown permission passed: %q", bad)
	}
	if _, bad := Canonical([]Permission{InvitesCreate}); bad != InvitesCreate {
		t.Error("invites.create is not assignable: it comes with invites.manage")
	}
	if !NamedLikeBuiltIn("viewer ADMIN") || !NamedLikeBuiltIn("support_only") || NamedLikeBuiltIn("Release manager") {
		t.Error("built-in names")
	}
}
