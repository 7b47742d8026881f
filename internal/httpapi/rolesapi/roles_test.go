package rolesapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/sheets"
)

// testRoles are custom roles for the permission matrix: what each holds decides every route.
var testRoles = map[string][]roles.Permission{
	"Release manager": {roles.TokenView, roles.TokenRegenerate, roles.LicensesRead},
	"Member manager":  {roles.OrgRead, roles.SupportAccess, roles.MembersRead, roles.MembersManage, roles.InvitesRead, roles.InvitesManage},
	"Auditor":         {roles.OrgRead, roles.EventsRead, roles.SettingsRead},
	"Billing clerk":   {roles.OrgRead, roles.BillingManage},
	"Nothing":         {},
}

// TestEveryOrgRouteAllowsExactlyWhatACustomRoleHolds is the permission matrix for custom
// roles: each org route lets a custom role's holder through exactly when the role holds the
// route's permission (invites.manage bringing the right to create invites), and costs the
// holder's authorization one DynamoDB call.
func TestEveryOrgRouteAllowsExactlyWhatACustomRoleHolds(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	h.Env.UseDirectory(apitest.NewFakeDirectory())
	h.Env.UseSpreadsheets(sheets.XLSX{})
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	holders := map[string]orgs.Caller{}
	ids := map[string]string{}
	for name, perms := range testRoles {
		ids[name] = h.CustomRole(ada, orgID, name, perms...)
		c := h.Caller(strings.ToLower(strings.ReplaceAll(name, " ", "-")))
		h.Join(orgID, ada, c, roles.Role(ids[name]))
		holders[name] = c
	}
	spare := h.CustomRole(ada, orgID, "Spare", roles.OrgRead)
	target := h.Caller("target")
	h.Join(orgID, ada, target, roles.SupportOnly)
	a, _ := h.Env.Orgs().Authorize(context.Background(), ada, orgID, "")
	inv, err := h.Inviter().Create(context.Background(), a, invites.Input{Email: h.Address("pending"), Role: "support_only"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	body := func(r *httpapi.Route) string {
		n++
		switch r.Name {
		case "update-member":
			return `{"role":"support_only"}`
		case "update-org":
			return `{"billingContacts":[]}`
		case "create-invite":
			return fmt.Sprintf(`{"email":%q,"role":"support_only"}`, h.Address(fmt.Sprint("new", n)))
		case "create-invites-bulk":
			return fmt.Sprintf(`{"invites":[{"email":%q,"role":"support_only"}]}`, h.Address(fmt.Sprint("bulk", n)))
		case "create-role":
			return fmt.Sprintf(`{"name":"Role %d","permissions":["org.read"]}`, n)
		case "update-role":
			return `{"description":"changed"}`
		}
		return ""
	}
	for _, r := range routes.All() {
		if !r.OrgScoped() {
			continue
		}
		for name, c := range holders {
			def := roles.Definition{Permissions: testRoles[name]}
			want := r.AllowedBy(def.Has)
			params := map[string]string{"orgId": orgID, "userId": target.ID, "inviteId": inv.ID, "roleId": spare}
			got := h.Do(r, &c, params, nil, body(r))
			if want == (got.Status == 403) {
				t.Errorf("%s as %s %v: %d %s; want allowed=%v", r.Name, name, testRoles[name], got.Status, got.Body, want)
			}
		}
	}
	// Authorization reads the custom role with the org: one call for a holder.
	auditor, manager := holders["Auditor"], holders["Member manager"]
	if got := h.Do(orgsapi.GetOrg, &auditor, map[string]string{"orgId": orgID}, nil, ""); got.Status != 200 || got.Calls != 1 {
		t.Errorf("get-org as a custom role's holder: %d in %d calls, want 200 in 1: %s", got.Status, got.Calls, got.Body)
	}
	if got := h.Do(rolesapi.ListRoles, &manager, map[string]string{"orgId": orgID}, nil, ""); got.Status != 200 || got.Calls != 1 {
		t.Errorf("list-roles: %d in %d calls, want 200 in 1", got.Status, got.Calls)
	}
	if got := h.Do(membersapi.ListMembers, &manager, map[string]string{"orgId": orgID}, nil, ""); got.Status != 200 || got.Calls != 2 {
		t.Errorf("list-members as a custom role's holder: %d in %d calls, want 200 in 2", got.Status, got.Calls)
	}
}

// TestNoOneGivesOrDefinesARoleStrongerThanTheirOwn: a member managing members through a
// custom role can't create, extend, give or invite as a role holding what they lack, nor
// demote or remove those above them; taking permissions away is always allowed.
func TestNoOneGivesOrDefinesARoleStrongerThanTheirOwn(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	manager := h.CustomRole(ada, orgID, "Member manager", testRoles["Member manager"]...)
	release := h.CustomRole(ada, orgID, "Release manager", testRoles["Release manager"]...)
	weak := h.CustomRole(ada, orgID, "Reader", roles.OrgRead, roles.MembersRead)
	mona, bob := h.Caller("mona"), h.Caller("bob")
	h.Join(orgID, ada, mona, roles.Role(manager))
	h.Join(orgID, ada, bob, roles.SupportOnly)
	org := map[string]string{"orgId": orgID}
	with := func(k, v string) map[string]string { return map[string]string{"orgId": orgID, k: v} }
	cases := []struct {
		name   string
		route  *httpapi.Route
		params map[string]string
		body   string
		status int
	}{
		{"create a role with a permission she lacks", rolesapi.CreateRole, org, `{"name":"Boss","permissions":["members.manage","settings.manage"]}`, 403},
		{"create a role within her own", rolesapi.CreateRole, org, `{"name":"Helper","permissions":["members.read","invites.manage"]}`, 201},
		{"extend a role with a permission she lacks", rolesapi.UpdateRole, with("roleId", weak), `{"permissions":["org.read","members.read","token.view"]}`, 403},
		{"take away from a role that holds what she lacks", rolesapi.UpdateRole, with("roleId", release), `{"permissions":["token.view","licenses.read"]}`, 200},
		{"rename a role that holds what she lacks", rolesapi.UpdateRole, with("roleId", release), `{"name":"Releases"}`, 200},
		{"give a member the built-in admin", membersapi.UpdateMember, with("userId", bob.ID), `{"role":"admin"}`, 403},
		{"give a member a custom role holding what she lacks", membersapi.UpdateMember, with("userId", bob.ID), fmt.Sprintf(`{"role":%q}`, release), 403},
		{"give a member a role within her own", membersapi.UpdateMember, with("userId", bob.ID), fmt.Sprintf(`{"role":%q}`, weak), 200},
		{"demote the admin", membersapi.UpdateMember, with("userId", ada.ID), `{"role":"support_only"}`, 403},
		{"remove the admin", membersapi.RemoveMember, with("userId", ada.ID), ``, 403},
		{"invite as admin", invitesapi.CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":"admin"}`, h.Address("x1")), 403},
		{"invite as a custom role holding what she lacks", invitesapi.CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":%q}`, h.Address("x2"), release), 403},
		{"invite as her own role", invitesapi.CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":%q}`, h.Address("x3"), manager), 201},
		{"bulk-invite as a custom role holding what she lacks", invitesapi.CreateInvitesBulk, org, fmt.Sprintf(`{"invites":[{"email":%q,"role":%q}]}`, h.Address("x4"), release), 200},
		{"give herself a stronger role", membersapi.UpdateMember, with("userId", mona.ID), `{"role":"admin"}`, 403},
	}
	for _, c := range cases {
		got := h.Do(c.route, &mona, c.params, nil, c.body)
		if got.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, got.Status, got.Body, c.status)
		}
		if c.route == invitesapi.CreateInvitesBulk && !strings.Contains(got.Body, `"code":"forbidden"`) {
			t.Errorf("%s: the item is not refused: %s", c.name, got.Body)
		}
	}
	// An admin may give a custom role, and then the member holds exactly its permissions.
	if got := h.Do(membersapi.UpdateMember, &ada, with("userId", bob.ID), nil, fmt.Sprintf(`{"role":%q}`, release)); got.Status != 200 {
		t.Fatalf("an admin giving a custom role: %d %s", got.Status, got.Body)
	}
	if got := h.Do(membersapi.ListMembers, &bob, org, nil, ""); got.Status != 403 {
		t.Errorf("a Release manager listing members: %d", got.Status)
	}
}

// TestRoleRoutesRefuseBadInputAsTheContractSays covers names, permissions, ids and the limit.
func TestRoleRoutesRefuseBadInputAsTheContractSays(t *testing.T) {
	h := apitest.NewAPI(t)
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	other := h.Org(ada, "Other")
	foreign := h.CustomRole(ada, other, "Foreign", roles.OrgRead)
	release := h.CustomRole(ada, orgID, "Release manager", roles.TokenView)
	org := map[string]string{"orgId": orgID}
	role := func(id string) map[string]string { return map[string]string{"orgId": orgID, "roleId": id} }
	cases := []struct {
		name   string
		route  *httpapi.Route
		params map[string]string
		body   string
		status int
	}{
		{"an unknown permission", rolesapi.CreateRole, org, `{"name":"X","permissions":["token.steal"]}`, 400},
		{"the internal invites.create", rolesapi.CreateRole, org, `{"name":"X","permissions":["invites.create"]}`, 400},
		{"no name", rolesapi.CreateRole, org, `{"name":"  ","permissions":[]}`, 400},
		{"no permissions", rolesapi.CreateRole, org, `{"name":"X"}`, 400},
		{"a name with a line break", rolesapi.CreateRole, org, `{"name":"A\nB","permissions":[]}`, 400},
		{"a name with a bidi override", rolesapi.CreateRole, org, `{"name":"Admin\u202e","permissions":[]}`, 400},
		{"a name with a zero-width space", rolesapi.CreateRole, org, `{"name":"Ad\u200bmin","permissions":[]}`, 400},
		{"an unknown field", rolesapi.CreateRole, org, `{"name":"X","permissions":[],"builtIn":true}`, 400},
		{"a duplicate name in another case", rolesapi.CreateRole, org, `{"name":"RELEASE MANAGER","permissions":[]}`, 409},
		{"a built-in's name", rolesapi.CreateRole, org, `{"name":"Viewer Admin","permissions":[]}`, 409},
		{"a built-in's id", rolesapi.CreateRole, org, `{"name":"billing_admin","permissions":[]}`, 409},
		{"a built-in in PATCH", rolesapi.UpdateRole, role("admin"), `{"name":"Owner"}`, 409},
		{"a built-in in DELETE", rolesapi.DeleteRole, role("user"), ``, 409},
		{"another org's role", rolesapi.UpdateRole, role(foreign), `{"name":"Mine"}`, 404},
		{"another org's role in DELETE", rolesapi.DeleteRole, role(foreign), ``, 404},
		{"an id of the wrong shape", rolesapi.DeleteRole, role("role_../../x"), ``, 404},
		{"a null name", rolesapi.UpdateRole, role(release), `{"name":null}`, 400},
		{"an empty patch", rolesapi.UpdateRole, role(release), `{}`, 400},
		{"renaming onto another role's name", rolesapi.UpdateRole, role(release), `{"name":"release MANAGER"}`, 200},
		{"a member's unknown role", membersapi.UpdateMember, map[string]string{"orgId": orgID, "userId": ada.ID}, `{"role":"owner"}`, 400},
		{"another org's role for a member", membersapi.UpdateMember, map[string]string{"orgId": orgID, "userId": ada.ID}, fmt.Sprintf(`{"role":%q}`, foreign), 400},
	}
	for _, c := range cases {
		if got := h.Do(c.route, &ada, c.params, nil, c.body); got.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, got.Status, got.Body, c.status)
		}
	}
	// Up to 20 custom roles: the 21st is a conflict.
	for i := 2; i <= roles.MaxCustom; i++ {
		if got := h.Do(rolesapi.CreateRole, &ada, org, nil, fmt.Sprintf(`{"name":"Role %d","permissions":[]}`, i)); got.Status != 201 {
			t.Fatalf("role %d: %d %s", i, got.Status, got.Body)
		}
	}
	if got := h.Do(rolesapi.CreateRole, &ada, org, nil, `{"name":"One too many","permissions":[]}`); got.Status != 409 {
		t.Errorf("the 21st role: %d %s", got.Status, got.Body)
	}
}

// TestRoleListShowsBuiltInsFirstAndWhoHoldsEach checks the Role objects, their member counts,
// and that a held role can't be deleted, by a member or by a pending invite.
func TestRoleListShowsBuiltInsFirstAndWhoHoldsEach(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	got := h.Do(rolesapi.CreateRole, &ada, org, nil, `{"name":"Release manager","permissions":["licenses.read","token.view","token.view"]}`)
	if got.Status != 201 {
		t.Fatalf("create: %d %s", got.Status, got.Body)
	}
	created := got.JSON(t)
	id := created["id"].(string)
	if !roles.Role(id).Custom() || created["builtIn"] != false || created["description"] != nil || created["memberCount"] != float64(0) ||
		fmt.Sprint(created["permissions"]) != "[token.view licenses.read]" || len(created) != 6 {
		t.Errorf("the created role: %v", created)
	}
	bob := h.Caller("bob")
	h.Join(orgID, ada, bob, roles.Role(id))
	list := h.Do(rolesapi.ListRoles, &ada, org, nil, "").JSON(t)
	items := list["items"].([]any)
	var order []string
	for _, it := range items {
		order = append(order, it.(map[string]any)["id"].(string))
	}
	if !slices.Equal(order, []string{"admin", "viewer_admin", "billing_admin", "user", "support_only", id}) {
		t.Errorf("order: %v", order)
	}
	if adm := items[0].(map[string]any); adm["memberCount"] != float64(1) || adm["builtIn"] != true || adm["name"] != "Admin" {
		t.Errorf("admin: %v", adm)
	}
	if rm := items[5].(map[string]any); rm["memberCount"] != float64(1) {
		t.Errorf("the custom role's holders: %v", rm)
	}
	del := map[string]string{"orgId": orgID, "roleId": id}
	if got := h.Do(rolesapi.DeleteRole, &ada, del, nil, ""); got.Status != 409 {
		t.Errorf("deleting a role a member holds: %d %s", got.Status, got.Body)
	}
	// Bob leaves; a pending invite still holds the role.
	if got := h.Do(membersapi.RemoveMember, &bob, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""); got.Status != 204 {
		t.Fatalf("leaving: %d %s", got.Status, got.Body)
	}
	got = h.Do(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":%q}`, h.Address("cy"), id))
	if got.Status != 201 {
		t.Fatalf("invite as the custom role: %d %s", got.Status, got.Body)
	}
	inviteID := got.JSON(t)["id"].(string)
	if got := h.Do(rolesapi.DeleteRole, &ada, del, nil, ""); got.Status != 409 {
		t.Errorf("deleting a role a pending invite holds: %d %s", got.Status, got.Body)
	}
	if got := h.Do(invitesapi.RevokeInvite, &ada, map[string]string{"orgId": orgID, "inviteId": inviteID}, nil, ""); got.Status != 204 {
		t.Fatalf("revoke: %d %s", got.Status, got.Body)
	}
	if got := h.Do(rolesapi.DeleteRole, &ada, del, nil, ""); got.Status != 204 {
		t.Errorf("deleting a role no one holds: %d %s", got.Status, got.Body)
	}
	if got := h.Do(rolesapi.DeleteRole, &ada, del, nil, ""); got.Status != 404 {
		t.Errorf("deleting it again: %d %s", got.Status, got.Body)
	}
}
