package scimapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
)

// groupPatchNaming is a group PATCH of op ("add" or "remove") naming ids as members.
func groupPatchNaming(op string, ids []string) string {
	vals := make([]string, len(ids))
	for i, id := range ids {
		vals[i] = `{"value":"` + id + `"}`
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"` + op + `","path":"members","value":[` + strings.Join(vals, ",") + `]}]}`
}

// strangerIDs are n user ids of the identity provider's shape that are no one's.
func strangerIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	return ids
}

// The attack of issue 21, finding 8: a group PATCH naming 5,000 members under a forged token
// made DynamoDB read every one of them (51 round trips) before the 401. The token is checked
// first: a forged or revoked token costs one round trip whatever the body names.
func TestSCIMForgedOrRevokedTokenCostsOneReadWhateverTheBody(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	tok := a.SCIMToken(ada, org)
	// The forged token names the real org and maker; only its secret is wrong.
	forged := tok[:len(tok)-43] + strings.Repeat("A", 43)
	body := groupPatchNaming("add", strangerIDs(5_000))

	r := a.SCIM(scimapi.SCIMPatchGroup, forged, map[string]string{"id": "admin"}, nil, body)
	if r.Status != 401 || r.Calls != 1 {
		t.Errorf("forged token naming 5,000 members: %d in %d DynamoDB calls, want 401 in 1 (%s)", r.Status, r.Calls, r.Body)
	}
	if d := a.Do(scimapi.RevokeSCIMToken, &ada, map[string]string{"orgId": org}, nil, ""); d.Status != 204 {
		t.Fatalf("revoke: %d %s", d.Status, d.Body)
	}
	r = a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil, body)
	if r.Status != 401 || r.Calls != 1 {
		t.Errorf("revoked token naming 5,000 members: %d in %d DynamoDB calls, want 401 in 1 (%s)", r.Status, r.Calls, r.Body)
	}
}

// A group PATCH names at most 1,000 members: beyond, 400 after the token's one read, no member
// read; a good token's change past what one read carries still finds every member it names.
func TestSCIMGroupPatchNamesAtMostAThousandMembers(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.ViewerAdmin)
	tok := a.SCIMToken(ada, org)

	r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, groupPatchNaming("add", strangerIDs(scim.MaxGroupPatchMembers+1)))
	if r.Status != 400 || r.Calls != 1 || !strings.Contains(r.Body, "tooMany") {
		t.Errorf("a PATCH naming 1,001 members: %d in %d DynamoDB calls, want 400 tooMany in 1 (%s)", r.Status, r.Calls, r.Body)
	}
	// The same stranger named 1,001 times is one member named.
	same := make([]string, scim.MaxGroupPatchMembers+1)
	for i := range same {
		same[i] = bob.ID
	}
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, groupPatchNaming("add", same)); r.Status != 200 {
		t.Errorf("a PATCH naming one member 1,001 times: %d %s", r.Status, r.Body)
	}

	// Bob named past the members read with the token: read after it, and removed from the group.
	ids := strangerIDs(scim.MaxGroupPatchMembers - 1)
	ids[scim.MembersReadWithToken+40] = bob.ID
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, groupPatchNaming("remove", ids)); r.Status != 200 {
		t.Fatalf("removing bob among 999 names: %d %s", r.Status, r.Body)
	}
	if m := a.MemberOf(org, bob); m.Role != roles.User {
		t.Errorf("bob named at %d of a removal: role %s, want user", scim.MembersReadWithToken+40, m.Role)
	}
}

// Unknown paths under the SCIM base, with any method and whatever the token, answer SCIM's 404
// error (application/scim+json, the error schema, status as a string) without a DynamoDB call:
// the catch-all route, which API Gateway picks only when no other route matches.
func TestSCIMUnknownPathsAnswerTheSCIMErrorShape(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	tok := a.SCIMToken(ada, org)
	for _, c := range []struct{ method, path, token string }{
		{"GET", "Foo", tok},
		{"GET", "Users/x/y", tok},
		{"POST", "Bulk", tok},
		{"DELETE", "Groups/admin", tok}, // a known path, a method it does not take
		{"PUT", "Users/.search", "scim_forged"},
		{"PATCH", "Schemas/urn:x/extra", ""},
	} {
		ev := a.SCIMRequest(scimapi.SCIMNotFound, c.token, map[string]string{"proxy": c.path}, nil, `{"schemas":[]}`)
		ev.RequestContext.HTTP.Method = c.method
		resp, calls := a.Invoke(scimapi.SCIMNotFound, ev)
		var body struct {
			Schemas []string `json:"schemas"`
			Status  string   `json:"status"`
			Detail  string   `json:"detail"`
		}
		_ = json.Unmarshal([]byte(resp.Body), &body)
		if resp.StatusCode != 404 || body.Status != "404" || len(body.Schemas) != 1 || body.Schemas[0] != scim.SchemaError || body.Detail == "" {
			t.Errorf("%s /v1/scim/v2/%s: %d %s, want SCIM's 404 error", c.method, c.path, resp.StatusCode, resp.Body)
		}
		if ct := resp.Headers["Content-Type"]; ct != "application/scim+json" {
			t.Errorf("%s /v1/scim/v2/%s: content type %q", c.method, c.path, ct)
		}
		if calls != 0 {
			t.Errorf("%s /v1/scim/v2/%s: %d DynamoDB calls, want none", c.method, c.path, calls)
		}
	}
}
