package scimapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The SCIM bearer token is the glue's auth kind: checked before anything of the request is
// decoded, by the one path every SCIM route takes.

// badJSON is a body no route can decode.
const badJSON = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":`

// A request whose token is missing, malformed, forged, replaced or revoked answers SCIM's 401
// whatever its body, filter or path holds: the body is never decoded for it (a malformed one
// would be a 400). With a good token the same request answers SCIM's 400 invalidSyntax.
func TestSCIMTokenIsCheckedBeforeTheBodyIsDecoded(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t) // POST /Users creates users
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	replaced := a.SCIMToken(ada, org)
	tok := a.SCIMToken(ada, org)
	forged := tok[:len(tok)-43] + strings.Repeat("A", 43)
	user := map[string]string{"id": bob.ID}
	bodied := []struct {
		route  *httpapi.Route
		params map[string]string
	}{
		{scimapi.SCIMCreateUser, nil},
		{scimapi.SCIMReplaceUser, user},
		{scimapi.SCIMPatchUser, user},
		{scimapi.SCIMPatchGroup, map[string]string{"id": "admin"}},
	}
	refused := func(what string, r *httpapi.Route, ev events.APIGatewayV2HTTPRequest) {
		t.Helper()
		resp, calls := a.Invoke(r, ev)
		if resp.StatusCode != 401 || !strings.Contains(resp.Body, `"status":"401"`) || resp.Headers["Content-Type"] != httpapi.SCIMContentType {
			t.Errorf("%s %s: %d %s, want SCIM's 401", r.Name, what, resp.StatusCode, resp.Body)
		}
		if resp.Headers["WWW-Authenticate"] != `Bearer realm="scim"` {
			t.Errorf("%s %s: WWW-Authenticate %q", r.Name, what, resp.Headers["WWW-Authenticate"])
		}
		if calls > 1 {
			t.Errorf("%s %s: %d DynamoDB calls, want at most the token's one", r.Name, what, calls)
		}
	}
	badTokens := map[string]string{"no token": "", "a malformed token": "scim_nonsense", "a forged token": forged, "a replaced token": replaced}
	for what, bad := range badTokens {
		for _, c := range bodied {
			refused(what+" and a malformed body", c.route, a.SCIMRequest(c.route, bad, c.params, nil, badJSON))
		}
		// A broken filter and an id of no user's shape are answered after the token too.
		refused(what+" and a broken filter", scimapi.SCIMListUsers, a.SCIMRequest(scimapi.SCIMListUsers, bad, nil, map[string][]string{"filter": {`userName eq`}}, ""))
		refused(what+" and an id of no user's shape", scimapi.SCIMGetUser, a.SCIMRequest(scimapi.SCIMGetUser, bad, map[string]string{"id": "../x"}, nil, ""))
	}
	noHeader := a.SCIMRequest(scimapi.SCIMPatchUser, tok, user, nil, badJSON)
	delete(noHeader.Headers, "authorization")
	refused("without an Authorization header", scimapi.SCIMPatchUser, noHeader)
	basic := a.SCIMRequest(scimapi.SCIMPatchUser, tok, user, nil, badJSON)
	basic.Headers["authorization"] = "Basic " + tok
	refused("with the token as another scheme", scimapi.SCIMPatchUser, basic)

	for _, c := range bodied {
		r := a.SCIM(c.route, tok, c.params, nil, badJSON)
		if r.Status != 400 || !strings.Contains(r.Body, `"scimType":"invalidSyntax"`) || !strings.Contains(r.Body, `"status":"400"`) {
			t.Errorf("%s with a good token and a malformed body: %d %s, want SCIM's 400 invalidSyntax", c.route.Name, r.Status, r.Body)
		}
		if strings.Contains(r.Body, "json:") || strings.Contains(r.Body, "scim.") {
			t.Errorf("%s: the detail names the decoder's or the server's types: %s", c.route.Name, r.Body)
		}
	}
	if r := a.SCIM(scimapi.SCIMListUsers, tok, nil, map[string]string{"filter": `userName eq`}, ""); r.Status != 400 || !strings.Contains(r.Body, "invalidFilter") {
		t.Errorf("a good token and a broken filter: %d %s, want 400 invalidFilter", r.Status, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMGetUser, tok, map[string]string{"id": "../x"}, nil, ""); r.Status != 404 || !strings.Contains(r.Body, `"status":"404"`) {
		t.Errorf("a good token and an id of no user's shape: %d %s, want SCIM's 404", r.Status, r.Body)
	}
	// The scheme is case-insensitive (RFC 7235).
	lower := a.SCIMRequest(scimapi.SCIMGetUser, tok, user, nil, "")
	lower.Headers["authorization"] = "bearer " + tok
	if resp, _ := a.Invoke(scimapi.SCIMGetUser, lower); resp.StatusCode != 200 {
		t.Errorf(`"bearer" in lower case: %d %s`, resp.StatusCode, resp.Body)
	}

	// Revoked, the token stops at once: no request after the revocation gets through.
	if r := a.Do(scimapi.RevokeSCIMToken, &ada, map[string]string{"orgId": org}, nil, ""); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	for _, c := range bodied {
		refused("revoked, with a malformed body", c.route, a.SCIMRequest(c.route, tok, c.params, nil, badJSON))
	}
	for _, r := range []*httpapi.Route{scimapi.SCIMGetUser, scimapi.SCIMDeleteUser, scimapi.SCIMListUsers, scimapi.SCIMListGroups, scimapi.SCIMServiceProviderConfig} {
		refused("revoked", r, a.SCIMRequest(r, tok, user, nil, ""))
	}
	if m := a.MemberOf(org, bob); m.Suspended() || m.Role != roles.User {
		t.Errorf("bob after the refused calls: %s %s", m.Status, m.Role)
	}
}

// An org's SCIM token reaches its own org only: another org's users and groups, named by id in
// the path, the body or a filter, are no one (404, or 400 for a group's member), and stay as
// they were. A token whose org part names another org is no token.
func TestSCIMTokenOfOneOrgReachesNoOtherOrg(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, olly, bob := apitest.Person("ada"), apitest.Person("olly"), apitest.Person("bob")
	acme := a.Org(ada, "Acme")
	other := a.Org(olly, "Other")
	a.Member(other, bob, roles.User)
	acmeTok, otherTok := a.SCIMToken(ada, acme), a.SCIMToken(olly, other)
	role := a.Do(rolesapi.CreateRole, &olly, map[string]string{"orgId": other}, nil, `{"name":"Helper","permissions":["members.read"]}`)
	if role.Status != 201 {
		t.Fatalf("other's custom role: %d %s", role.Status, role.Body)
	}
	roleID, _ := role.JSON(t)["id"].(string)
	if r := a.SCIM(scimapi.SCIMPatchUser, otherTok, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"add","path":"externalId","value":"ext-bob"}]}`); r.Status != 200 {
		t.Fatalf("other's externalId for bob: %d %s", r.Status, r.Body)
	}
	bobBefore := a.MemberOf(other, bob)
	user := map[string]string{"id": bob.ID}
	addBob := `{"Operations":[{"op":"add","path":"members","value":[{"value":"` + bob.ID + `"}]}]}`
	for _, c := range []struct {
		what   string
		route  *httpapi.Route
		params map[string]string
		query  map[string]string
		body   string
		status int
	}{
		{"read bob", scimapi.SCIMGetUser, user, nil, "", 404},
		{"replace bob", scimapi.SCIMReplaceUser, user, nil, `{"userName":"bob@example.com","active":false}`, 404},
		{"suspend bob", scimapi.SCIMPatchUser, user, nil, scimSuspend, 404},
		{"remove bob", scimapi.SCIMDeleteUser, user, nil, "", 404},
		{"make bob admin", scimapi.SCIMPatchGroup, map[string]string{"id": "admin"}, nil, addBob, 400},
		{"read other's custom role", scimapi.SCIMGetGroup, map[string]string{"id": roleID}, nil, "", 404},
		{"give bob other's custom role", scimapi.SCIMPatchGroup, map[string]string{"id": roleID}, nil, addBob, 404},
	} {
		r := a.SCIM(c.route, acmeTok, c.params, c.query, c.body)
		if r.Status != c.status || strings.Contains(r.Body, bob.Email) {
			t.Errorf("acme's token, %s: %d %s, want %d", c.what, r.Status, r.Body, c.status)
		}
	}
	for _, filter := range []string{`id eq "` + bob.ID + `"`, `externalId eq "ext-bob"`, `userName eq "bob@example.com"`} {
		r := a.SCIM(scimapi.SCIMListUsers, acmeTok, nil, map[string]string{"filter": filter}, "")
		if r.Status != 200 || !strings.Contains(r.Body, `"totalResults":0`) || strings.Contains(r.Body, bob.ID) {
			t.Errorf("acme's token, filter %s: %d %s, want no one", filter, r.Status, r.Body)
		}
	}
	for _, r := range []*httpapi.Route{scimapi.SCIMListUsers, scimapi.SCIMListGroups} {
		if resp := a.SCIM(r, acmeTok, nil, nil, ""); resp.Status != 200 || strings.Contains(resp.Body, bob.ID) || strings.Contains(resp.Body, roleID) {
			t.Errorf("acme's token, %s: %d %s, shows other's", r.Name, resp.Status, resp.Body)
		}
	}
	// Acme's token with its org part made other's, and its maker other's maker: the names
	// check out, the hash does not.
	swapped := strings.Replace(strings.Replace(acmeTok, "_"+ada.ID+"_", "_"+olly.ID+"_", 1), acme, other, 1)
	if swapped == acmeTok || !strings.Contains(swapped, other) || !strings.Contains(swapped, olly.ID) {
		t.Fatalf("the swap made %q of %q", swapped, acmeTok)
	}
	for _, r := range []*httpapi.Route{scimapi.SCIMGetUser, scimapi.SCIMPatchUser} {
		if resp := a.SCIM(r, swapped, user, nil, scimSuspend); resp.Status != 401 {
			t.Errorf("acme's token naming other, %s: %d %s, want 401", r.Name, resp.Status, resp.Body)
		}
	}
	if after := a.MemberOf(other, bob); after.Status != bobBefore.Status || after.Role != bobBefore.Role || after.ExternalID != "ext-bob" {
		t.Errorf("bob in other after acme's calls: %+v, was %+v", after, bobBefore)
	}
	// Other's own token still finds him.
	if r := a.SCIM(scimapi.SCIMListUsers, otherTok, nil, map[string]string{"filter": `externalId eq "ext-bob"`}, ""); r.Status != 200 || !strings.Contains(r.Body, bob.ID) {
		t.Errorf("other's token, filter by externalId: %d %s", r.Status, r.Body)
	}
}

// The request log carries no SCIM token, whatever the answer: good, forged, revoked, or a
// token put in the query (RFC 6750's access_token) or in an unknown path.
func TestSCIMRequestLogCarriesNoToken(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	tok := a.SCIMToken(ada, org)
	secret := tok[len(tok)-43:]
	forged := tok[:len(tok)-43] + strings.Repeat("A", 43)
	logOf := func(r *httpapi.Route, ev events.APIGatewayV2HTTPRequest) (int, string) {
		t.Helper()
		a.Logs.Take()
		resp := a.Call(r, ev)
		return resp.StatusCode, strings.Join(a.Logs.Take(), "\n")
	}
	check := func(what string, status int, log string, want int, tokens ...string) {
		t.Helper()
		if status != want {
			t.Errorf("%s: %d, want %d", what, status, want)
		}
		if log == "" {
			t.Errorf("%s: nothing logged", what)
		}
		for _, s := range append(tokens, secret) {
			if strings.Contains(log, s) {
				t.Errorf("%s: the log carries the token: %s", what, log)
			}
		}
	}
	user := map[string]string{"id": bob.ID}
	s, l := logOf(scimapi.SCIMGetUser, a.SCIMRequest(scimapi.SCIMGetUser, tok, user, nil, ""))
	check("a good token", s, l, 200, tok)
	s, l = logOf(scimapi.SCIMPatchUser, a.SCIMRequest(scimapi.SCIMPatchUser, tok, user, nil, badJSON))
	check("a good token, a malformed body", s, l, 400, tok)
	// RFC 6750's access_token query parameter is not taken (401), and logged redacted.
	s, l = logOf(scimapi.SCIMListUsers, a.SCIMRequest(scimapi.SCIMListUsers, "", nil, map[string][]string{"access_token": {tok}}, ""))
	check("a token as access_token in the query", s, l, 401, tok)
	s, l = logOf(scimapi.SCIMNotFound, a.SCIMRequest(scimapi.SCIMNotFound, tok, map[string]string{"proxy": "Users/" + tok}, nil, ""))
	check("a token in an unknown path", s, l, 404, tok)
	s, l = logOf(scimapi.SCIMGetUser, a.SCIMRequest(scimapi.SCIMGetUser, forged, user, nil, ""))
	check("a forged token", s, l, 401, forged)
	if r := a.Do(scimapi.RevokeSCIMToken, &ada, map[string]string{"orgId": org}, nil, ""); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	s, l = logOf(scimapi.SCIMPatchGroup, a.SCIMRequest(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil, badJSON))
	check("a revoked token", s, l, 401, tok)
}
