package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/sheets"
)

func init() {
	// The completeness scenarios of the custom role routes.
	mutations["create-role"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(CreateRole, &ada, map[string]string{"orgId": id}, nil,
			`{"name":"Release manager","description":"Ships releases","permissions":["token.view","token.regenerate","licenses.read"]}`)
	}
	mutations["update-role"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		role := a.customRole(ada, id, "Release manager", roles.TokenView)
		return a.request(UpdateRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, `{"permissions":["token.view","licenses.read"]}`)
	}
	mutations["delete-role"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		role := a.customRole(ada, id, "Release manager", roles.TokenView)
		return a.request(DeleteRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, "")
	}
}

// customRole has admin define a custom role in the org and returns its id.
func (a *api) customRole(admin orgs.Caller, orgID, name string, perms ...roles.Permission) string {
	a.t.Helper()
	access, err := a.env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.t.Fatal(err)
	}
	r, err := a.env.CustomRoles().Create(context.Background(), access, customroles.Input{Name: name, Permissions: append([]roles.Permission{}, perms...)})
	if err != nil {
		a.t.Fatal(err)
	}
	return string(r.ID)
}

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
	h := newAPI(t)
	h.useSES()
	h.env.UseDirectory(newFakeDirectory())
	h.env.UseSpreadsheets(sheets.XLSX{})
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	holders := map[string]orgs.Caller{}
	ids := map[string]string{}
	for name, perms := range testRoles {
		ids[name] = h.customRole(ada, orgID, name, perms...)
		c := h.caller(strings.ToLower(strings.ReplaceAll(name, " ", "-")))
		h.join(orgID, ada, c, roles.Role(ids[name]))
		holders[name] = c
	}
	spare := h.customRole(ada, orgID, "Spare", roles.OrgRead)
	target := h.caller("target")
	h.join(orgID, ada, target, roles.SupportOnly)
	a, _ := h.env.Orgs().Authorize(context.Background(), ada, orgID, "")
	inv, err := h.inviter().Create(context.Background(), a, invites.Input{Email: h.address("pending"), Role: "support_only"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	body := func(r *Route) string {
		n++
		switch r.Name {
		case "update-member":
			return `{"role":"support_only"}`
		case "update-org":
			return `{"billingContacts":[]}`
		case "create-invite":
			return fmt.Sprintf(`{"email":%q,"role":"support_only"}`, h.address(fmt.Sprint("new", n)))
		case "create-invites-bulk":
			return fmt.Sprintf(`{"invites":[{"email":%q,"role":"support_only"}]}`, h.address(fmt.Sprint("bulk", n)))
		case "create-role":
			return fmt.Sprintf(`{"name":"Role %d","permissions":["org.read"]}`, n)
		case "update-role":
			return `{"description":"changed"}`
		}
		return ""
	}
	for _, r := range Routes() {
		if !r.OrgScoped() {
			continue
		}
		for name, c := range holders {
			def := roles.Definition{Permissions: testRoles[name]}
			want := r.AllowedBy(def.Has)
			params := map[string]string{"orgId": orgID, "userId": target.ID, "inviteId": inv.ID, "roleId": spare}
			got := h.do(r, &c, params, nil, body(r))
			if want == (got.status == 403) {
				t.Errorf("%s as %s %v: %d %s; want allowed=%v", r.Name, name, testRoles[name], got.status, got.body, want)
			}
		}
	}
	// Authorization reads the custom role with the org: one call for a holder.
	auditor, manager := holders["Auditor"], holders["Member manager"]
	if got := h.do(GetOrg, &auditor, map[string]string{"orgId": orgID}, nil, ""); got.status != 200 || got.calls != 1 {
		t.Errorf("get-org as a custom role's holder: %d in %d calls, want 200 in 1: %s", got.status, got.calls, got.body)
	}
	if got := h.do(ListRoles, &manager, map[string]string{"orgId": orgID}, nil, ""); got.status != 200 || got.calls != 1 {
		t.Errorf("list-roles: %d in %d calls, want 200 in 1", got.status, got.calls)
	}
	if got := h.do(ListMembers, &manager, map[string]string{"orgId": orgID}, nil, ""); got.status != 200 || got.calls != 2 {
		t.Errorf("list-members as a custom role's holder: %d in %d calls, want 200 in 2", got.status, got.calls)
	}
}

// TestNoOneGivesOrDefinesARoleStrongerThanTheirOwn: a member managing members through a
// custom role can't create, extend, give or invite as a role holding what they lack, nor
// demote or remove those above them; taking permissions away is always allowed.
func TestNoOneGivesOrDefinesARoleStrongerThanTheirOwn(t *testing.T) {
	h := newAPI(t)
	h.useSES()
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	manager := h.customRole(ada, orgID, "Member manager", testRoles["Member manager"]...)
	release := h.customRole(ada, orgID, "Release manager", testRoles["Release manager"]...)
	weak := h.customRole(ada, orgID, "Reader", roles.OrgRead, roles.MembersRead)
	mona, bob := h.caller("mona"), h.caller("bob")
	h.join(orgID, ada, mona, roles.Role(manager))
	h.join(orgID, ada, bob, roles.SupportOnly)
	org := map[string]string{"orgId": orgID}
	with := func(k, v string) map[string]string { return map[string]string{"orgId": orgID, k: v} }
	cases := []struct {
		name   string
		route  *Route
		params map[string]string
		body   string
		status int
	}{
		{"create a role with a permission she lacks", CreateRole, org, `{"name":"Boss","permissions":["members.manage","settings.manage"]}`, 403},
		{"create a role within her own", CreateRole, org, `{"name":"Helper","permissions":["members.read","invites.manage"]}`, 201},
		{"extend a role with a permission she lacks", UpdateRole, with("roleId", weak), `{"permissions":["org.read","members.read","token.view"]}`, 403},
		{"take away from a role that holds what she lacks", UpdateRole, with("roleId", release), `{"permissions":["token.view","licenses.read"]}`, 200},
		{"rename a role that holds what she lacks", UpdateRole, with("roleId", release), `{"name":"Releases"}`, 200},
		{"give a member the built-in admin", UpdateMember, with("userId", bob.ID), `{"role":"admin"}`, 403},
		{"give a member a custom role holding what she lacks", UpdateMember, with("userId", bob.ID), fmt.Sprintf(`{"role":%q}`, release), 403},
		{"give a member a role within her own", UpdateMember, with("userId", bob.ID), fmt.Sprintf(`{"role":%q}`, weak), 200},
		{"demote the admin", UpdateMember, with("userId", ada.ID), `{"role":"support_only"}`, 403},
		{"remove the admin", RemoveMember, with("userId", ada.ID), ``, 403},
		{"invite as admin", CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":"admin"}`, h.address("x1")), 403},
		{"invite as a custom role holding what she lacks", CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":%q}`, h.address("x2"), release), 403},
		{"invite as her own role", CreateInvite, org, fmt.Sprintf(`{"email":%q,"role":%q}`, h.address("x3"), manager), 201},
		{"bulk-invite as a custom role holding what she lacks", CreateInvitesBulk, org, fmt.Sprintf(`{"invites":[{"email":%q,"role":%q}]}`, h.address("x4"), release), 200},
		{"give herself a stronger role", UpdateMember, with("userId", mona.ID), `{"role":"admin"}`, 403},
	}
	for _, c := range cases {
		got := h.do(c.route, &mona, c.params, nil, c.body)
		if got.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, got.status, got.body, c.status)
		}
		if c.route == CreateInvitesBulk && !strings.Contains(got.body, `"code":"forbidden"`) {
			t.Errorf("%s: the item is not refused: %s", c.name, got.body)
		}
	}
	// An admin may give a custom role, and then the member holds exactly its permissions.
	if got := h.do(UpdateMember, &ada, with("userId", bob.ID), nil, fmt.Sprintf(`{"role":%q}`, release)); got.status != 200 {
		t.Fatalf("an admin giving a custom role: %d %s", got.status, got.body)
	}
	if got := h.do(ListMembers, &bob, org, nil, ""); got.status != 403 {
		t.Errorf("a Release manager listing members: %d", got.status)
	}
}

// TestRoleRoutesRefuseBadInputAsTheContractSays covers names, permissions, ids and the limit.
func TestRoleRoutesRefuseBadInputAsTheContractSays(t *testing.T) {
	h := newAPI(t)
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	other := h.org(ada, "Other")
	foreign := h.customRole(ada, other, "Foreign", roles.OrgRead)
	release := h.customRole(ada, orgID, "Release manager", roles.TokenView)
	org := map[string]string{"orgId": orgID}
	role := func(id string) map[string]string { return map[string]string{"orgId": orgID, "roleId": id} }
	cases := []struct {
		name   string
		route  *Route
		params map[string]string
		body   string
		status int
	}{
		{"an unknown permission", CreateRole, org, `{"name":"X","permissions":["token.steal"]}`, 400},
		{"the internal invites.create", CreateRole, org, `{"name":"X","permissions":["invites.create"]}`, 400},
		{"no name", CreateRole, org, `{"name":"  ","permissions":[]}`, 400},
		{"no permissions", CreateRole, org, `{"name":"X"}`, 400},
		{"a name with a line break", CreateRole, org, `{"name":"A\nB","permissions":[]}`, 400},
		{"a name with a bidi override", CreateRole, org, `{"name":"Admin\u202e","permissions":[]}`, 400},
		{"a name with a zero-width space", CreateRole, org, `{"name":"Ad\u200bmin","permissions":[]}`, 400},
		{"an unknown field", CreateRole, org, `{"name":"X","permissions":[],"builtIn":true}`, 400},
		{"a duplicate name in another case", CreateRole, org, `{"name":"RELEASE MANAGER","permissions":[]}`, 409},
		{"a built-in's name", CreateRole, org, `{"name":"Viewer Admin","permissions":[]}`, 409},
		{"a built-in's id", CreateRole, org, `{"name":"billing_admin","permissions":[]}`, 409},
		{"a built-in in PATCH", UpdateRole, role("admin"), `{"name":"Owner"}`, 409},
		{"a built-in in DELETE", DeleteRole, role("user"), ``, 409},
		{"another org's role", UpdateRole, role(foreign), `{"name":"Mine"}`, 404},
		{"another org's role in DELETE", DeleteRole, role(foreign), ``, 404},
		{"an id of the wrong shape", DeleteRole, role("role_../../x"), ``, 404},
		{"a null name", UpdateRole, role(release), `{"name":null}`, 400},
		{"an empty patch", UpdateRole, role(release), `{}`, 400},
		{"renaming onto another role's name", UpdateRole, role(release), `{"name":"release MANAGER"}`, 200},
		{"a member's unknown role", UpdateMember, map[string]string{"orgId": orgID, "userId": ada.ID}, `{"role":"owner"}`, 400},
		{"another org's role for a member", UpdateMember, map[string]string{"orgId": orgID, "userId": ada.ID}, fmt.Sprintf(`{"role":%q}`, foreign), 400},
	}
	for _, c := range cases {
		if got := h.do(c.route, &ada, c.params, nil, c.body); got.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, got.status, got.body, c.status)
		}
	}
	// Up to 20 custom roles: the 21st is a conflict.
	for i := 2; i <= roles.MaxCustom; i++ {
		if got := h.do(CreateRole, &ada, org, nil, fmt.Sprintf(`{"name":"Role %d","permissions":[]}`, i)); got.status != 201 {
			t.Fatalf("role %d: %d %s", i, got.status, got.body)
		}
	}
	if got := h.do(CreateRole, &ada, org, nil, `{"name":"One too many","permissions":[]}`); got.status != 409 {
		t.Errorf("the 21st role: %d %s", got.status, got.body)
	}
}

// TestRoleListShowsBuiltInsFirstAndWhoHoldsEach checks the Role objects, their member counts,
// and that a held role can't be deleted, by a member or by a pending invite.
func TestRoleListShowsBuiltInsFirstAndWhoHoldsEach(t *testing.T) {
	h := newAPI(t)
	h.useSES()
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	got := h.do(CreateRole, &ada, org, nil, `{"name":"Release manager","permissions":["licenses.read","token.view","token.view"]}`)
	if got.status != 201 {
		t.Fatalf("create: %d %s", got.status, got.body)
	}
	created := got.json(t)
	id := created["id"].(string)
	if !roles.Role(id).Custom() || created["builtIn"] != false || created["description"] != nil || created["memberCount"] != float64(0) ||
		fmt.Sprint(created["permissions"]) != "[token.view licenses.read]" || len(created) != 6 {
		t.Errorf("the created role: %v", created)
	}
	bob := h.caller("bob")
	h.join(orgID, ada, bob, roles.Role(id))
	list := h.do(ListRoles, &ada, org, nil, "").json(t)
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
	if got := h.do(DeleteRole, &ada, del, nil, ""); got.status != 409 {
		t.Errorf("deleting a role a member holds: %d %s", got.status, got.body)
	}
	// Bob leaves; a pending invite still holds the role.
	if got := h.do(RemoveMember, &bob, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""); got.status != 204 {
		t.Fatalf("leaving: %d %s", got.status, got.body)
	}
	got = h.do(CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":%q}`, h.address("cy"), id))
	if got.status != 201 {
		t.Fatalf("invite as the custom role: %d %s", got.status, got.body)
	}
	inviteID := got.json(t)["id"].(string)
	if got := h.do(DeleteRole, &ada, del, nil, ""); got.status != 409 {
		t.Errorf("deleting a role a pending invite holds: %d %s", got.status, got.body)
	}
	if got := h.do(RevokeInvite, &ada, map[string]string{"orgId": orgID, "inviteId": inviteID}, nil, ""); got.status != 204 {
		t.Fatalf("revoke: %d %s", got.status, got.body)
	}
	if got := h.do(DeleteRole, &ada, del, nil, ""); got.status != 204 {
		t.Errorf("deleting a role no one holds: %d %s", got.status, got.body)
	}
	if got := h.do(DeleteRole, &ada, del, nil, ""); got.status != 404 {
		t.Errorf("deleting it again: %d %s", got.status, got.body)
	}
}
