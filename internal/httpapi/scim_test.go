package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
)

func init() {
	// A group change reads the token's org and the members, writes each member changed, and
	// answers with the group's holders: 1 + n + 1.
	callBudgetExceptions["scim-patch-group"] = 3
	scimScenario := func(r *Route, params map[string]string, body string, setup func(a *api, org string, bob orgs.Caller)) mutation {
		return func(a *api) events.APIGatewayV2HTTPRequest {
			ada, bob := person("ada"), person("bob")
			org := a.org(ada, "Acme")
			a.member(org, bob, roles.User)
			tok := a.scimToken(ada, org)
			if setup != nil {
				setup(a, org, bob)
			}
			p := map[string]string{}
			for k, v := range params {
				p[k] = strings.ReplaceAll(v, "BOB", bob.ID)
			}
			return a.scimRequest(r, tok, p, nil, strings.ReplaceAll(body, "BOBID", bob.ID))
		}
	}
	mutations["create-scim-token"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		org := a.org(ada, "Acme")
		return a.request(CreateScimToken, &ada, map[string]string{"orgId": org}, nil, "")
	}
	mutations["revoke-scim-token"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		org := a.org(ada, "Acme")
		a.scimToken(ada, org)
		return a.request(RevokeScimToken, &ada, map[string]string{"orgId": org}, nil, "")
	}
	mutations["scim-patch-user"] = scimScenario(ScimPatchUser, map[string]string{"id": "BOB"},
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, nil)
	mutations["scim-replace-user"] = scimScenario(ScimReplaceUser, map[string]string{"id": "BOB"},
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@example.com","name":{"givenName":"Bob","familyName":"Builder"},"active":true}`, nil)
	mutations["scim-delete-user"] = scimScenario(ScimDeleteUser, map[string]string{"id": "BOB"}, "", nil)
	mutations["scim-patch-group"] = scimScenario(ScimPatchGroup, map[string]string{"id": "viewer_admin"},
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"BOBID"}]}]}`, nil)
}

// scimToken makes the org's SCIM token as its admin.
func (a *api) scimToken(admin orgs.Caller, orgID string) string {
	a.t.Helper()
	r := a.do(CreateScimToken, &admin, map[string]string{"orgId": orgID}, nil, "")
	if r.status != 201 {
		a.t.Fatalf("SCIM token: %d %s", r.status, r.body)
	}
	return r.json(a.t)["token"].(string)
}

// scimRequest is a SCIM call with the bearer token.
func (a *api) scimRequest(r *Route, token string, params map[string]string, query url.Values, body string) events.APIGatewayV2HTTPRequest {
	ev := a.request(r, nil, params, query, body)
	ev.Headers = map[string]string{"authorization": "Bearer " + token, "content-type": "application/scim+json"}
	return ev
}

func (a *api) scim(r *Route, token string, params map[string]string, query map[string]string, body string) reply {
	a.t.Helper()
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	resp, calls := a.invoke(r, a.scimRequest(r, token, params, q, body))
	return reply{status: resp.StatusCode, body: resp.Body, calls: calls}
}

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

func decodeSCIM[T any](t *testing.T, r reply, status int) T {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSCIMTokenNamesTheOrgAndIsShownOnce(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	org := a.org(ada, "Acme")
	if r := a.scim(ScimServiceProviderConfig, "scim_nonsense", nil, nil, ""); r.status != 401 || r.calls != 0 || !strings.Contains(r.body, "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("a malformed token: %d (%d calls) %s, want a SCIM 401 without a DynamoDB call", r.status, r.calls, r.body)
	}
	first := a.scimToken(ada, org)
	r := a.scim(ScimServiceProviderConfig, first, nil, nil, "")
	if r.status != 200 || r.calls != 1 || !strings.Contains(r.body, `"patch":{"supported":true}`) {
		t.Fatalf("discovery: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	second := a.scimToken(ada, org)
	if r := a.scim(ScimListUsers, first, nil, nil, ""); r.status != 401 {
		t.Errorf("the replaced token: %d, want 401", r.status)
	}
	forged := second[:len(second)-4] + "AAAA"
	if r := a.scim(ScimListUsers, forged, nil, nil, ""); r.status != 401 {
		t.Errorf("a forged token: %d, want 401", r.status)
	}
	if r := a.do(RevokeScimToken, &ada, map[string]string{"orgId": org}, nil, ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := a.scim(ScimListUsers, second, nil, nil, ""); r.status != 401 {
		t.Errorf("the revoked token: %d, want 401", r.status)
	}
	bob := person("bob")
	a.member(org, bob, roles.User)
	if r := a.do(CreateScimToken, &bob, map[string]string{"orgId": org}, nil, ""); r.status != 403 {
		t.Errorf("a user making a SCIM token: %d, want 403", r.status)
	}
}

// TestSCIMOktaSequence replays what Okta sends for an existing member: look up by userName,
// deactivate, reactivate, push a group, remove the user.
func TestSCIMOktaSequence(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)

	r := a.scim(ScimListUsers, tok, nil, map[string]string{"filter": `userName eq "BOB@example.com"`, "startIndex": "1", "count": "100"}, "")
	list := decodeSCIM[struct {
		TotalResults int           `json:"totalResults"`
		Resources    []scimUserOut `json:"Resources"`
	}](t, r, 200)
	if list.TotalResults != 1 || list.Resources[0].ID != bob.ID || r.calls > 2 {
		t.Fatalf("filter by userName: %+v (%d calls)", list, r.calls)
	}
	user := map[string]string{"id": bob.ID}
	deactivate := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	r = a.scim(ScimPatchUser, tok, user, nil, deactivate)
	if u := decodeSCIM[scimUserOut](t, r, 200); u.Active || r.calls > 3 {
		t.Fatalf("deactivate: %+v (%d calls)", u, r.calls)
	}
	if r := a.do(GetOrg, &bob, map[string]string{"orgId": org}, nil, ""); r.status != 404 {
		t.Errorf("a suspended member reading the org: %d, want 404", r.status)
	}
	if r := a.do(ListMembers, &ada, map[string]string{"orgId": org}, nil, ""); !strings.Contains(r.body, bob.ID) {
		t.Errorf("a suspended member is still listed: %s", r.body)
	}
	if r := a.scim(ScimPatchUser, tok, user, nil, deactivate); r.status != 200 {
		t.Errorf("deactivating again: %d", r.status)
	}
	r = a.scim(ScimPatchUser, tok, user, nil, `{"Operations":[{"op":"replace","value":{"active":true}}]}`)
	if u := decodeSCIM[scimUserOut](t, r, 200); !u.Active {
		t.Fatalf("reactivate: %+v", u)
	}
	if r := a.do(GetOrg, &bob, map[string]string{"orgId": org}, nil, ""); r.status != 200 {
		t.Errorf("a reactivated member reading the org: %d", r.status)
	}
	r = a.scim(ScimGetUser, tok, user, nil, "")
	if u := decodeSCIM[scimUserOut](t, r, 200); u.UserName != bob.Email || !u.Active || r.calls != 1 {
		t.Errorf("read: %+v (%d calls)", u, r.calls)
	}
	r = a.scim(ScimPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+bob.ID+`","display":"bob@example.com"}]}]}`)
	if r.status != 200 || !strings.Contains(r.body, bob.ID) {
		t.Fatalf("push group admin: %d %s", r.status, r.body)
	}
	if m := a.do(GetOrg, &bob, map[string]string{"orgId": org}, nil, "").json(t); m["role"] != "admin" {
		t.Errorf("after the group push bob is %v", m["role"])
	}
	r = a.scim(ScimPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"Operations":[{"op":"remove","path":"members[value eq \"`+ada.ID+`\"]"},{"op":"remove","path":"members[value eq \"`+bob.ID+`\"]"}]}`)
	if r.status != 409 {
		t.Errorf("removing both admins: %d %s, want 409 (the last admin stays)", r.status, r.body)
	}
	if m := a.do(GetOrg, &ada, map[string]string{"orgId": org}, nil, "").json(t); m["role"] != "admin" {
		t.Errorf("a refused group change demoted ada halfway: %v", m["role"])
	}
	if r := a.scim(ScimDeleteUser, tok, user, nil, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := a.scim(ScimGetUser, tok, user, nil, ""); r.status != 404 {
		t.Errorf("the deleted user: %d, want 404", r.status)
	}
	evs := a.do(ListEvents, &ada, map[string]string{"orgId": org}, nil, "").body
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
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)
	user := map[string]string{"id": bob.ID}

	r := a.scim(ScimListUsers, tok, nil, map[string]string{"filter": `emails[type eq "work"].value eq "bob@example.com"`}, "")
	if !strings.Contains(r.body, bob.ID) || r.status != 200 {
		t.Fatalf("filter by work email: %d %s", r.status, r.body)
	}
	r = a.scim(ScimPatchUser, tok, user, nil, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"name.givenName","value":"Robert"},
		{"op":"Replace","path":"name.familyName","value":"Builder"},
		{"op":"Add","path":"externalId","value":"entra-0042"},
		{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]}`)
	u := decodeSCIM[scimUserOut](t, r, 200)
	if u.Name.GivenName != "Robert" || u.Name.FamilyName != "Builder" || u.ExternalID != "entra-0042" {
		t.Fatalf("patched: %+v", u)
	}
	r = a.scim(ScimListUsers, tok, nil, map[string]string{"filter": `externalId eq "entra-0042"`}, "")
	if !strings.Contains(r.body, bob.ID) || r.calls > 3 {
		t.Fatalf("filter by externalId: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	r = a.scim(ScimPatchUser, tok, user, nil, `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if u := decodeSCIM[scimUserOut](t, r, 200); u.Active {
		t.Fatalf(`active "False": %+v`, u)
	}
	for name, c := range map[string]struct {
		query map[string]string
		body  string
		route *Route
		want  string
	}{
		"an or filter":     {map[string]string{"filter": `userName eq "a" or userName eq "b"`}, "", ScimListUsers, "invalidFilter"},
		"a broken filter":  {map[string]string{"filter": `userName eq`}, "", ScimListUsers, "invalidFilter"},
		"a bad op":         {nil, `{"Operations":[{"op":"merge","value":{}}]}`, ScimPatchUser, "invalidValue"},
		"a bad active":     {nil, `{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`, ScimPatchUser, "invalidValue"},
		"a new userName":   {nil, `{"Operations":[{"op":"replace","path":"userName","value":"x@example.com"}]}`, ScimPatchUser, "mutability"},
		"no operations":    {nil, `{"Operations":[]}`, ScimPatchUser, "invalidValue"},
		"not json":         {nil, `{`, ScimPatchUser, "invalidSyntax"},
		"an unknown group": {nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}`, ScimPatchGroup, `"status":"404"`},
	} {
		params := user
		if c.route == ScimPatchGroup {
			params = map[string]string{"id": "no-such-role"}
		}
		r := a.scim(c.route, tok, params, c.query, c.body)
		if r.status/100 != 4 || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d %s, want a SCIM error %s", name, r.status, r.body, c.want)
		}
	}
	if r := a.scim(ScimListGroups, tok, nil, nil, ""); r.status != 200 || !strings.Contains(r.body, `"id":"support_only"`) {
		t.Errorf("groups: %d %s", r.status, r.body)
	}
	if r := a.scim(ScimGetGroup, tok, map[string]string{"id": "user"}, nil, ""); r.status != 200 || !strings.Contains(r.body, bob.ID) || r.calls > 2 {
		t.Errorf("group user: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	for _, route := range []*Route{ScimResourceTypes, ScimSchemas} {
		if r := a.scim(route, tok, nil, nil, ""); r.status != 200 {
			t.Errorf("%s: %d", route.Name, r.status)
		}
	}
	// The single resources the lists' meta.location point at.
	if r := a.scim(ScimResourceType, tok, map[string]string{"name": "User"}, nil, ""); r.status != 200 || !strings.Contains(r.body, `"endpoint":"/Users"`) {
		t.Errorf("resource type User: %d %s", r.status, r.body)
	}
	if r := a.scim(ScimSchema, tok, map[string]string{"uri": scim.SchemaUser}, nil, ""); r.status != 200 || !strings.Contains(r.body, `"userName"`) {
		t.Errorf("schema of User: %d %s", r.status, r.body)
	}
	other := person("olly")
	otherOrg := a.org(other, "Other")
	otherTok := a.scimToken(other, otherOrg)
	if r := a.scim(ScimGetUser, otherTok, user, nil, ""); r.status != 404 {
		t.Errorf("another org's token reading bob: %d, want 404", r.status)
	}
}

func TestSCIMSuspensionFreesTheMembersSeats(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	a.putProduct("widget", widgetJSON)
	lic := a.grantLicense(org, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.assignSeat(ada, org, lic, bob.ID); r.status != 200 {
		t.Fatalf("seat: %d %s", r.status, r.body)
	}
	tok := a.scimToken(ada, org)
	r := a.scim(ScimPatchUser, tok, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":false}}]}`)
	if r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	seats := a.do(ListSeats, &ada, map[string]string{"orgId": org, "licenseId": lic}, nil, "")
	if strings.Contains(seats.body, bob.ID) {
		t.Errorf("the suspended member still holds a seat: %s", seats.body)
	}
	if r := a.assignSeat(ada, org, lic, ada.ID); r.status != 200 {
		t.Errorf("the freed seat can't be given to another member: %d %s", r.status, r.body)
	}
}

func TestSCIMTokenNeedsTheStandingToGrantAdmin(t *testing.T) {
	a := newAPI(t)
	ada, cy := person("ada"), person("cy")
	org := a.org(ada, "Acme")
	keeper := a.customRole(ada, org, "Settings keeper", roles.OrgRead, roles.SettingsRead, roles.SettingsManage)
	a.member(org, cy, roles.Role(keeper))
	r := a.do(CreateScimToken, &cy, map[string]string{"orgId": org}, nil, "")
	if r.status != 403 {
		t.Errorf("a custom role with settings.manage but not admin's standing made a SCIM token: %d %s", r.status, r.body)
	}
	// Had it worked, the token would have made cy admin through the admin group.
	if r.status == 201 {
		tok := r.json(t)["token"].(string)
		a.scim(ScimPatchGroup, tok, map[string]string{"id": "admin"}, nil,
			`{"Operations":[{"op":"add","path":"members","value":[{"value":"`+cy.ID+`"}]}]}`)
	}
	if acc, err := a.store.Access(context.Background(), org, cy.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.Role(keeper) {
		t.Fatalf("cy's role: %v %v", acc.Member.Role, err)
	}
}

func TestSCIMGroupPushThatWouldDemoteEveryAdminChangesNoOne(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)
	members := func(ids ...string) string {
		var vs []string
		for _, id := range ids {
			vs = append(vs, `{"value":"`+id+`"}`)
		}
		return `{"Operations":[{"op":"add","path":"members","value":[` + strings.Join(vs, ",") + `]}]}`
	}
	if r := a.scim(ScimPatchGroup, tok, map[string]string{"id": "admin"}, nil, members(bob.ID)); r.status != 200 {
		t.Fatalf("make bob admin: %d %s", r.status, r.body)
	}
	// Both admins pushed into another group: the second would be the last admin.
	if r := a.scim(ScimPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, members(ada.ID, bob.ID)); r.status != 409 {
		t.Errorf("pushing every admin into viewer_admin: %d %s, want 409", r.status, r.body)
	}
	for _, c := range []orgs.Caller{ada, bob} {
		if acc, err := a.store.Access(context.Background(), org, c.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.Admin {
			t.Errorf("a refused group push changed %s halfway: %v %v", c.ID, acc.Member.Role, err)
		}
	}
}

func TestSCIMListUsersPastTheLastMemberReadsNoMembers(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)
	for _, q := range []map[string]string{
		{"startIndex": "1000000000", "count": "200"},
		{"startIndex": "3"},
		{"count": "0"},
	} {
		r := a.scim(ScimListUsers, tok, nil, q, "")
		list := decodeSCIM[struct {
			TotalResults int   `json:"totalResults"`
			Resources    []any `json:"Resources"`
		}](t, r, 200)
		if len(list.Resources) != 0 || list.TotalResults != 2 || r.calls != 1 {
			t.Errorf("%v: %d users of %d in %d DynamoDB calls, want none of 2 in 1 (the token's read)", q, len(list.Resources), list.TotalResults, r.calls)
		}
	}
	r := a.scim(ScimListUsers, tok, nil, map[string]string{"startIndex": "2", "count": "5"}, "")
	if !strings.Contains(r.body, ada.ID) && !strings.Contains(r.body, bob.ID) {
		t.Errorf("the second user: %s", r.body)
	}
}

func TestSCIMGroupPatchNamingAMemberTwiceIsNoServerError(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)
	for _, body := range []string{
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"},{"value":"` + bob.ID + `"}]}]}`,
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"}]},{"op":"remove","path":"members[value eq \"` + bob.ID + `\"]"}]}`,
	} {
		if r := a.scim(ScimPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, body); r.status != 200 {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
}

func TestSCIMGroupPatchNamingAStrangerChangesNoOne(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	a.member(org, bob, roles.User)
	tok := a.scimToken(ada, org)
	body := `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"},{"value":"user-nobody"}]}]}`
	if r := a.scim(ScimPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, body); r.status != 400 {
		t.Errorf("a push naming a non-member: %d %s, want 400", r.status, r.body)
	}
	if acc, err := a.store.Access(context.Background(), org, bob.ID, orgs.Subject{}); err != nil || acc.Member.Role != roles.User {
		t.Errorf("a refused group push changed bob: %v %v", acc.Member.Role, err)
	}
}

func init() {
	mutations["scim-create-user"] = func(a *api) events.APIGatewayV2HTTPRequest {
		// As for create-member: a new user's account is written with its own event, in the
		// personal account's log, so the scenario adds an existing account of the org's
		// verified domain.
		dir := newFakeDirectory()
		a.env.UseDirectory(dir)
		ada := person("ada")
		org := a.org(ada, "Acme")
		a.verifiedDomain(ada, org, "acme-corp.com")
		carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
		a.account(carol)
		dir.signedUp(carol)
		tok := a.scimToken(ada, org)
		return a.scimRequest(ScimCreateUser, tok, nil, nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol@acme-corp.com","name":{"givenName":"Carol","familyName":"Jones"},"externalId":"okta-1"}`)
	}
}

// TestSCIMCreatesUsersAsADirectCreationDoes: Okta's first push: look the user up, create them
// (source scim, a mailed password, the name and external id kept), and a second create of the
// same address is 409 uniqueness; active: false creates a suspended member.
func TestSCIMCreatesUsersAsADirectCreationDoes(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	org := a.org(ada, "Acme")
	tok := a.scimToken(ada, org)
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new.hire@example.com","name":{"givenName":"New","familyName":"Hire"},"emails":[{"value":"new.hire@example.com","type":"work","primary":true}],"externalId":"okta-1","active":true}`
	if r := a.scim(ScimListUsers, tok, nil, map[string]string{"filter": `userName eq "new.hire@example.com"`}, ""); !strings.Contains(r.body, `"totalResults":0`) {
		t.Fatalf("lookup before create: %s", r.body)
	}
	a.writes.reset()
	r := a.scim(ScimCreateUser, tok, nil, nil, body)
	u := decodeSCIM[scimUserOut](t, r, 201)
	if u.UserName != "new.hire@example.com" || u.ExternalID != "okta-1" || u.Name.GivenName != "New" || !u.Active || r.calls > 4 {
		t.Fatalf("created: %+v (%d calls)", u, r.calls)
	}
	if dir.user("new.hire@example.com") == nil {
		t.Fatal("no user in the directory")
	}
	if mails := a.sealedMails(); len(mails) != 1 || mails[0].Message.To != "new.hire@example.com" {
		t.Errorf("credentials emails %+v, want one to the new member", mails)
	}
	members := a.do(ListMembers, &ada, map[string]string{"orgId": org}, nil, "").body
	if !strings.Contains(members, `"source":"scim"`) {
		t.Errorf("the member's source is not scim: %s", members)
	}
	if r := a.scim(ScimCreateUser, tok, nil, nil, body); r.status != 409 || !strings.Contains(r.body, `"scimType":"uniqueness"`) {
		t.Errorf("creating again: %d %s, want 409 uniqueness", r.status, r.body)
	}
	r = a.scim(ScimCreateUser, tok, nil, nil, `{"userName":"later@example.com","active":false}`)
	if u := decodeSCIM[scimUserOut](t, r, 201); u.Active {
		t.Errorf("created with active false: %+v", u)
	}
	if r := a.scim(ScimCreateUser, tok, nil, nil, `{"name":{"givenName":"No"}}`); r.status != 400 {
		t.Errorf("no userName: %d %s", r.status, r.body)
	}
}
