package scimapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
)

type scimUserOut struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   bool   `json:"active"`
	Name     struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	ExternalID string `json:"externalId"`
	Groups     []struct {
		Value string `json:"value"`
	} `json:"groups"`
}

func decodeSCIM[T any](t *testing.T, r apitest.Reply, status int) T {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSCIMTokenNamesTheOrgAndIsShownOnce(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	if r := a.SCIM(scimapi.SCIMServiceProviderConfig, "scim_nonsense", nil, nil, ""); r.Status != 401 || r.Calls != 0 || !strings.Contains(r.Body, "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("a malformed token: %d (%d calls) %s, want a SCIM 401 without a DynamoDB call", r.Status, r.Calls, r.Body)
	}
	first := a.SCIMToken(ada, org)
	r := a.SCIM(scimapi.SCIMServiceProviderConfig, first, nil, nil, "")
	if r.Status != 200 || r.Calls != 1 || !strings.Contains(r.Body, `"patch":{"supported":true}`) {
		t.Fatalf("discovery: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	second := a.SCIMToken(ada, org)
	if r := a.SCIM(scimapi.SCIMListUsers, first, nil, nil, ""); r.Status != 401 {
		t.Errorf("the replaced token: %d, want 401", r.Status)
	}
	forged := second[:len(second)-4] + "AAAA"
	if r := a.SCIM(scimapi.SCIMListUsers, forged, nil, nil, ""); r.Status != 401 {
		t.Errorf("a forged token: %d, want 401", r.Status)
	}
	if r := a.Do(scimapi.RevokeSCIMToken, &ada, map[string]string{"orgId": org}, nil, ""); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMListUsers, second, nil, nil, ""); r.Status != 401 {
		t.Errorf("the revoked token: %d, want 401", r.Status)
	}
	bob := apitest.Person("bob")
	a.Member(org, bob, roles.User)
	if r := a.Do(scimapi.CreateSCIMToken, &bob, map[string]string{"orgId": org}, nil, ""); r.Status != 403 {
		t.Errorf("a user making a SCIM token: %d, want 403", r.Status)
	}
}

// TestSCIMOktaSequence replays what Okta sends for an existing member: look up by userName,
// deactivate, reactivate, push a group, remove the user.
func TestSCIMOktaSequence(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)

	r := a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"filter": `userName eq "BOB@example.com"`, "startIndex": "1", "count": "100"}, "")
	list := decodeSCIM[struct {
		TotalResults int           `json:"totalResults"`
		Resources    []scimUserOut `json:"Resources"`
	}](t, r, 200)
	if list.TotalResults != 1 || list.Resources[0].ID != bob.ID || r.Calls > 2 {
		t.Fatalf("filter by userName: %+v (%d calls)", list, r.Calls)
	}
	user := map[string]string{"id": bob.ID}
	deactivate := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	r = a.SCIM(scimapi.SCIMPatchUser, tok, user, nil, deactivate)
	if u := decodeSCIM[scimUserOut](t, r, 200); u.Active || r.Calls > 3 {
		t.Fatalf("deactivate: %+v (%d calls)", u, r.Calls)
	}
	if r := a.Do(orgsapi.GetOrg, &bob, map[string]string{"orgId": org}, nil, ""); r.Status != 404 {
		t.Errorf("a suspended member reading the org: %d, want 404", r.Status)
	}
	if r := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": org}, nil, ""); !strings.Contains(r.Body, bob.ID) {
		t.Errorf("a suspended member is still listed: %s", r.Body)
	}
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, user, nil, deactivate); r.Status != 200 {
		t.Errorf("deactivating again: %d", r.Status)
	}
	r = a.SCIM(scimapi.SCIMPatchUser, tok, user, nil, `{"Operations":[{"op":"replace","value":{"active":true}}]}`)
	if u := decodeSCIM[scimUserOut](t, r, 200); !u.Active {
		t.Fatalf("reactivate: %+v", u)
	}
	if r := a.Do(orgsapi.GetOrg, &bob, map[string]string{"orgId": org}, nil, ""); r.Status != 200 {
		t.Errorf("a reactivated member reading the org: %d", r.Status)
	}
	r = a.SCIM(scimapi.SCIMGetUser, tok, user, nil, "")
	if u := decodeSCIM[scimUserOut](t, r, 200); u.UserName != bob.Email || !u.Active || r.Calls != 1 {
		t.Errorf("read: %+v (%d calls)", u, r.Calls)
	}
	r = a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+bob.ID+`","display":"bob@example.com"}]}]}`)
	if r.Status != 200 || !strings.Contains(r.Body, bob.ID) {
		t.Fatalf("push group admin: %d %s", r.Status, r.Body)
	}
	if m := a.Do(orgsapi.GetOrg, &bob, map[string]string{"orgId": org}, nil, "").JSON(t); m["role"] != "admin" {
		t.Errorf("after the group push bob is %v", m["role"])
	}
	r = a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"Operations":[{"op":"remove","path":"members[value eq \"`+ada.ID+`\"]"},{"op":"remove","path":"members[value eq \"`+bob.ID+`\"]"}]}`)
	if r.Status != 409 {
		t.Errorf("removing both admins: %d %s, want 409 (the last admin stays)", r.Status, r.Body)
	}
	if m := a.Do(orgsapi.GetOrg, &ada, map[string]string{"orgId": org}, nil, "").JSON(t); m["role"] != "admin" {
		t.Errorf("a refused group change demoted ada halfway: %v", m["role"])
	}
	if r := a.SCIM(scimapi.SCIMDeleteUser, tok, user, nil, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMGetUser, tok, user, nil, ""); r.Status != 404 {
		t.Errorf("the deleted user: %d, want 404", r.Status)
	}
	evs := a.Do(eventsapi.ListEvents, &ada, map[string]string{"orgId": org}, nil, "").Body
	for _, action := range []string{"member.suspended", "member.reactivated", "member.role_changed", "member.removed"} {
		if !strings.Contains(evs, `"`+action+`"`) {
			t.Errorf("no %s event: %s", action, evs)
		}
	}
	if !strings.Contains(evs, `"type":"token"`) {
		t.Errorf("the events' actor is not the token: %s", evs)
	}
}

// TestSCIMEntraSequence replays Entra ID's habits: "Replace" with a path, booleans as strings,
// name parts by path, the email filter, externalId.
func TestSCIMEntraSequence(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	user := map[string]string{"id": bob.ID}

	r := a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"filter": `emails[type eq "work"].value eq "bob@example.com"`}, "")
	if !strings.Contains(r.Body, bob.ID) || r.Status != 200 {
		t.Fatalf("filter by work email: %d %s", r.Status, r.Body)
	}
	r = a.SCIM(scimapi.SCIMPatchUser, tok, user, nil, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"name.givenName","value":"Robert"},
		{"op":"Replace","path":"name.familyName","value":"Builder"},
		{"op":"Add","path":"externalId","value":"entra-0042"},
		{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]}`)
	u := decodeSCIM[scimUserOut](t, r, 200)
	if u.Name.GivenName != "Robert" || u.Name.FamilyName != "Builder" || u.ExternalID != "entra-0042" {
		t.Fatalf("patched: %+v", u)
	}
	r = a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"filter": `externalId eq "entra-0042"`}, "")
	if !strings.Contains(r.Body, bob.ID) || r.Calls > 3 {
		t.Fatalf("filter by externalId: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	r = a.SCIM(scimapi.SCIMPatchUser, tok, user, nil, `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if u := decodeSCIM[scimUserOut](t, r, 200); u.Active {
		t.Fatalf(`active "False": %+v`, u)
	}
	for name, c := range map[string]struct {
		query map[string]string
		body  string
		route *httpapi.Route
		want  string
	}{
		"an or filter":     {map[string]string{"filter": `userName eq "a" or userName eq "b"`}, "", scimapi.SCIMListUsers, "invalidFilter"},
		"a broken filter":  {map[string]string{"filter": `userName eq`}, "", scimapi.SCIMListUsers, "invalidFilter"},
		"a bad op":         {nil, `{"Operations":[{"op":"merge","value":{}}]}`, scimapi.SCIMPatchUser, "invalidValue"},
		"a bad active":     {nil, `{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`, scimapi.SCIMPatchUser, "invalidValue"},
		"a new userName":   {nil, `{"Operations":[{"op":"replace","path":"userName","value":"x@example.com"}]}`, scimapi.SCIMPatchUser, "mutability"},
		"no operations":    {nil, `{"Operations":[]}`, scimapi.SCIMPatchUser, "invalidValue"},
		"not json":         {nil, `{`, scimapi.SCIMPatchUser, "invalidSyntax"},
		"an unknown group": {nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}`, scimapi.SCIMPatchGroup, `"status":"404"`},
	} {
		params := user
		if c.route == scimapi.SCIMPatchGroup {
			params = map[string]string{"id": "no-such-role"}
		}
		r := a.SCIM(c.route, tok, params, c.query, c.body)
		if r.Status/100 != 4 || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s: %d %s, want a SCIM error %s", name, r.Status, r.Body, c.want)
		}
	}
	if r := a.SCIM(scimapi.SCIMListGroups, tok, nil, nil, ""); r.Status != 200 || !strings.Contains(r.Body, `"id":"support_only"`) {
		t.Errorf("groups: %d %s", r.Status, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "user"}, nil, ""); r.Status != 200 || !strings.Contains(r.Body, bob.ID) || r.Calls > 2 {
		t.Errorf("group user: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	for _, route := range []*httpapi.Route{scimapi.SCIMResourceTypes, scimapi.SCIMSchemas} {
		if r := a.SCIM(route, tok, nil, nil, ""); r.Status != 200 {
			t.Errorf("%s: %d", route.Name, r.Status)
		}
	}
	// The single resources the lists' meta.location point at.
	if r := a.SCIM(scimapi.SCIMResourceType, tok, map[string]string{"name": "User"}, nil, ""); r.Status != 200 || !strings.Contains(r.Body, `"endpoint":"/Users"`) {
		t.Errorf("resource type User: %d %s", r.Status, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMSchema, tok, map[string]string{"uri": scim.SchemaUser}, nil, ""); r.Status != 200 || !strings.Contains(r.Body, `"userName"`) {
		t.Errorf("schema of User: %d %s", r.Status, r.Body)
	}
	other := apitest.Person("olly")
	otherOrg := a.Org(other, "Other")
	otherTok := a.SCIMToken(other, otherOrg)
	if r := a.SCIM(scimapi.SCIMGetUser, otherTok, user, nil, ""); r.Status != 404 {
		t.Errorf("another org's token reading bob: %d, want 404", r.Status)
	}
}

func TestSCIMSuspensionFreesTheMembersSeats(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	a.PutProduct("widget", apitest.WidgetJSON)
	lic := a.GrantLicense(org, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.AssignSeat(ada, org, lic, bob.ID); r.Status != 200 {
		t.Fatalf("seat: %d %s", r.Status, r.Body)
	}
	tok := a.SCIMToken(ada, org)
	r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":false}}]}`)
	if r.Status != 200 {
		t.Fatalf("suspend: %d %s", r.Status, r.Body)
	}
	seats := a.Do(licensingapi.ListSeats, &ada, map[string]string{"orgId": org, "licenseId": lic}, nil, "")
	if strings.Contains(seats.Body, bob.ID) {
		t.Errorf("the suspended member still holds a seat: %s", seats.Body)
	}
	if r := a.AssignSeat(ada, org, lic, ada.ID); r.Status != 200 {
		t.Errorf("the freed seat can't be given to another member: %d %s", r.Status, r.Body)
	}
}

func TestSCIMTokenNeedsTheStandingToGrantAdmin(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, cy := apitest.Person("ada"), apitest.Person("cy")
	org := a.Org(ada, "Acme")
	keeper := a.CustomRole(ada, org, "Settings keeper", roles.OrgRead, roles.SettingsRead, roles.SettingsManage)
	a.Member(org, cy, roles.Role(keeper))
	r := a.Do(scimapi.CreateSCIMToken, &cy, map[string]string{"orgId": org}, nil, "")
	if r.Status != 403 {
		t.Errorf("a custom role with settings.manage but not admin's standing made a SCIM token: %d %s", r.Status, r.Body)
	}
	// Had it worked, the token would have made cy admin through the admin group.
	if r.Status == 201 {
		tok := r.JSON(t)["token"].(string)
		a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil,
			`{"Operations":[{"op":"add","path":"members","value":[{"value":"`+cy.ID+`"}]}]}`)
	}
	if acc, err := a.Store.Access(context.Background(), org, cy.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.Role(keeper) {
		t.Fatalf("cy's role: %v %v", acc.Member.Role, err)
	}
}

func TestSCIMGroupPushThatWouldDemoteEveryAdminChangesNoOne(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	members := func(ids ...string) string {
		var vs []string
		for _, id := range ids {
			vs = append(vs, `{"value":"`+id+`"}`)
		}
		return `{"Operations":[{"op":"add","path":"members","value":[` + strings.Join(vs, ",") + `]}]}`
	}
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil, members(bob.ID)); r.Status != 200 {
		t.Fatalf("make bob admin: %d %s", r.Status, r.Body)
	}
	// Both admins pushed into another group: the second would be the last admin.
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, members(ada.ID, bob.ID)); r.Status != 409 {
		t.Errorf("pushing every admin into viewer_admin: %d %s, want 409", r.Status, r.Body)
	}
	for _, c := range []orgs.Caller{ada, bob} {
		if acc, err := a.Store.Access(context.Background(), org, c.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.Admin {
			t.Errorf("a refused group push changed %s halfway: %v %v", c.ID, acc.Member.Role, err)
		}
	}
}

func TestSCIMListUsersPastTheLastMemberReadsNoMembers(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	for _, q := range []map[string]string{
		{"startIndex": "1000000000", "count": "200"},
		{"startIndex": "3"},
		{"count": "0"},
	} {
		r := a.SCIM(scimapi.SCIMListUsers, tok, nil, q, "")
		list := decodeSCIM[struct {
			TotalResults int   `json:"totalResults"`
			Resources    []any `json:"Resources"`
		}](t, r, 200)
		if len(list.Resources) != 0 || list.TotalResults != 2 || r.Calls != 1 {
			t.Errorf("%v: %d users of %d in %d DynamoDB calls, want none of 2 in 1 (the token's read)", q, len(list.Resources), list.TotalResults, r.Calls)
		}
	}
	r := a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"startIndex": "2", "count": "5"}, "")
	if !strings.Contains(r.Body, ada.ID) && !strings.Contains(r.Body, bob.ID) {
		t.Errorf("the second user: %s", r.Body)
	}
}

func TestSCIMGroupPatchNamingAMemberTwiceIsNoServerError(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	for _, body := range []string{
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"},{"value":"` + bob.ID + `"}]}]}`,
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"}]},{"op":"remove","path":"members[value eq \"` + bob.ID + `\"]"}]}`,
	} {
		if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, body); r.Status != 200 {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
}

func TestSCIMGroupPatchNamingAStrangerChangesNoOne(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	body := `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"},{"value":"user-nobody"}]}]}`
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, body); r.Status != 400 {
		t.Errorf("a push naming a non-member: %d %s, want 400", r.Status, r.Body)
	}
	if acc, err := a.Store.Access(context.Background(), org, bob.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.User {
		t.Errorf("a refused group push changed bob: %v %v", acc.Member.Role, err)
	}
}

// TestSCIMCreatesUsersAsADirectCreationDoes: Okta's first push: look the user up, create them
// (source scim, a mailed password, the name and external id kept), and a second create of the
// same address is 409 uniqueness; active: false creates a suspended member.
func TestSCIMCreatesUsersAsADirectCreationDoes(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	tok := a.SCIMToken(ada, org)
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new.hire@example.com","name":{"givenName":"New","familyName":"Hire"},"emails":[{"value":"new.hire@example.com","type":"work","primary":true}],"externalId":"okta-1","active":true}`
	if r := a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"filter": `userName eq "new.hire@example.com"`}, ""); !strings.Contains(r.Body, `"totalResults":0`) {
		t.Fatalf("lookup before create: %s", r.Body)
	}
	a.Writes.Reset()
	r := a.SCIM(scimapi.SCIMCreateUser, tok, nil, nil, body)
	u := decodeSCIM[scimUserOut](t, r, 201)
	if u.UserName != "new.hire@example.com" || u.ExternalID != "okta-1" || u.Name.GivenName != "New" || !u.Active || r.Calls > 4 {
		t.Fatalf("created: %+v (%d calls)", u, r.Calls)
	}
	if dir.User("new.hire@example.com") == nil {
		t.Fatal("no user in the directory")
	}
	if mails := a.SealedMails(); len(mails) != 1 || mails[0].Message.To != "new.hire@example.com" {
		t.Errorf("credentials emails %+v, want one to the new member", mails)
	}
	members := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": org}, nil, "").Body
	if !strings.Contains(members, `"source":"scim"`) {
		t.Errorf("the member's source is not scim: %s", members)
	}
	if r := a.SCIM(scimapi.SCIMCreateUser, tok, nil, nil, body); r.Status != 409 || !strings.Contains(r.Body, `"scimType":"uniqueness"`) {
		t.Errorf("creating again: %d %s, want 409 uniqueness", r.Status, r.Body)
	}
	r = a.SCIM(scimapi.SCIMCreateUser, tok, nil, nil, `{"userName":"later@example.com","active":false}`)
	if u := decodeSCIM[scimUserOut](t, r, 201); u.Active {
		t.Errorf("created with active false: %+v", u)
	}
	if r := a.SCIM(scimapi.SCIMCreateUser, tok, nil, nil, `{"name":{"givenName":"No"}}`); r.Status != 400 {
		t.Errorf("no userName: %d %s", r.Status, r.Body)
	}
}
