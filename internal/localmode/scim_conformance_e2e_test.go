package localmode_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/testenv"
)

// scimAnswer is one SCIM answer, checked for what every SCIM answer must be.
type scimAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

// scimCall sends a SCIM request to an absolute URL or to a path under the base, and checks
// what RFC 7644 asks of every answer: a body is application/scim+json, and an error has
// SCIM's error shape with its status as a string.
func (l *local) scimCall(method, target, token, body string) scimAnswer {
	l.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = l.srv.URL + "/v1/scim/v2" + target
	}
	req, err := http.NewRequest(method, target, bytes.NewBufferString(body))
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := scimAnswer{status: resp.StatusCode, header: resp.Header}
	if len(b) > 0 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			l.t.Errorf("%s %s: content type %q, want application/scim+json: %s", method, target, ct, b)
		}
		if err := json.Unmarshal(b, &a.body); err != nil {
			l.t.Fatalf("%s %s: %s: %v", method, target, b, err)
		}
	}
	if a.status >= 400 {
		schemas, _ := a.body["schemas"].([]any)
		if !slices.Contains(schemas, any("urn:ietf:params:scim:api:messages:2.0:Error")) || a.body["status"] != strconv.Itoa(a.status) {
			l.t.Errorf("%s %s: %d with a body that is not SCIM's error shape: %s", method, target, a.status, b)
		}
	}
	return a
}

// want fails the test unless the answer has the status.
func (a scimAnswer) want(t *testing.T, what string, status int) scimAnswer {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: %d %v, want %d", what, a.status, a.body, status)
	}
	return a
}

func (a scimAnswer) str(key string) string { s, _ := a.body[key].(string); return s }

func (a scimAnswer) resources() []map[string]any {
	var out []map[string]any
	rs, _ := a.body["Resources"].([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any))
	}
	return out
}

// checkMeta holds a resource's meta to RFC 7643 §3.1: resourceType, created and lastModified
// as times, and a location under the deployment's base that answers this same resource.
func (l *local) checkMeta(token string, r map[string]any, resourceType string) {
	l.t.Helper()
	meta, _ := r["meta"].(map[string]any)
	if meta["resourceType"] != resourceType {
		l.t.Errorf("%v: meta.resourceType %v, want %s", r["id"], meta["resourceType"], resourceType)
	}
	for _, k := range []string{"created", "lastModified"} {
		if _, err := time.Parse(time.RFC3339, asString(meta[k])); err != nil {
			l.t.Errorf("%v: meta.%s %q: %v", r["id"], k, meta[k], err)
		}
	}
	loc := asString(meta["location"])
	if !strings.HasPrefix(loc, l.srv.URL+"/v1/scim/v2/") {
		l.t.Errorf("%v: meta.location %q is not under the base %s/v1/scim/v2", r["id"], loc, l.srv.URL)
		return
	}
	got := l.scimCall("GET", loc, token, "")
	if got.status != 200 || got.body["id"] != r["id"] {
		l.t.Errorf("GET meta.location %s: %d %v", loc, got.status, got.body)
	}
}

func asString(v any) string { s, _ := v.(string); return s }

// TestSCIMConformanceAsOktaAndEntraTestIt runs the cases of RFC 7644 as Okta's SCIM 2.0 test
// plan (Runscope) and Microsoft Entra's SCIM validator exercise them, over HTTP through the
// local gateway: discovery, create, get, the filters they use, index paging, replace, the
// patches each sends, delete, 404 and 409 answers, groups with member pushes, and the error
// shape and content type of every answer.
func TestSCIMConformanceAsOktaAndEntraTestIt(t *testing.T) {
	l := startLocal(t)
	admin := l.user(testenv.UniqueAddress(t))
	var org struct {
		ID string `json:"id"`
	}
	l.do("POST", "/v1/orgs", admin, `{"name":"Acme Conformance"}`, 201, &org)
	var tok struct {
		Token string `json:"token"`
	}
	l.do("POST", "/v1/orgs/"+org.ID+"/scim/token", admin, "", 201, &tok)
	token := tok.Token

	// Discovery: every resource the lists advertise answers at its meta.location.
	l.scimCall("GET", "/ServiceProviderConfig", token, "").want(t, "ServiceProviderConfig", 200)
	for _, list := range []string{"/ResourceTypes", "/Schemas"} {
		a := l.scimCall("GET", list, token, "").want(t, list, 200)
		for _, r := range a.resources() {
			l.checkMetaLocation(token, r)
		}
	}
	userSchema := l.scimCall("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", token, "").want(t, "the User schema", 200)
	attrs, _ := userSchema.body["attributes"].([]any)
	for _, a := range attrs {
		if m := a.(map[string]any); m["name"] == "userName" && m["uniqueness"] != "server" {
			t.Errorf("userName uniqueness %v, want server (the server enforces it)", m["uniqueness"])
		}
	}
	l.scimCall("GET", "/ResourceTypes/Printer", token, "").want(t, "an unknown resource type", 404)
	// Unknown paths under the base, and a method a known path does not take: SCIM's 404 error
	// (scimCall checks the shape and the content type), not the gateway's.
	l.scimCall("GET", "/Foo", token, "").want(t, "an unknown path", 404)
	l.scimCall("GET", "/Users/x/y", token, "").want(t, "a path below a user", 404)
	l.scimCall("POST", "/Bulk", token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`).want(t, "bulk (not supported)", 404)
	l.scimCall("DELETE", "/Groups/admin", token, "").want(t, "a method a group does not take", 404)

	// Okta: look the user up by userName first; none yet.
	userName := "ada-" + testenv.UniqueAddress(t)
	filter := func(attr, v string) string { return "/Users?filter=" + url.QueryEscape(attr+` eq "`+v+`"`) }
	if a := l.scimCall("GET", filter("userName", userName), token, "").want(t, "lookup before create", 200); a.body["totalResults"] != 0.0 || len(a.resources()) != 0 {
		t.Errorf("lookup before create: %v", a.body)
	}
	// Create (Okta's body): 201 with Location = meta.location.
	created := l.scimCall("POST", "/Users", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+`",
		"name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"primary":true,"value":"`+userName+`","type":"work"}],
		"displayName":"Ada Lovelace","externalId":"00u-okta-1","active":true}`).want(t, "create", 201)
	id := created.str("id")
	if created.body["userName"] != userName || id == "" || created.body["active"] != true {
		t.Fatalf("created %v", created.body)
	}
	if loc := created.header.Get("Location"); loc == "" || loc != created.body["meta"].(map[string]any)["location"] {
		t.Errorf("Location %q, meta.location %v: want them equal", loc, created.body["meta"])
	}
	l.checkMeta(token, created.body, "User")
	// Get, and the filters each client uses.
	if a := l.scimCall("GET", "/Users/"+id, token, "").want(t, "get", 200); a.body["userName"] != userName {
		t.Errorf("get: %v", a.body)
	}
	for _, f := range []string{filter("userName", userName), filter("externalId", "00u-okta-1"),
		"/Users?filter=" + url.QueryEscape(`emails[type eq "work"].value eq "`+userName+`"`)} {
		a := l.scimCall("GET", f, token, "").want(t, f, 200)
		if rs := a.resources(); a.body["totalResults"] != 1.0 || len(rs) != 1 || rs[0]["id"] != id {
			t.Errorf("%s: %v", f, a.body)
		}
	}
	// Uniqueness: the same userName again.
	if a := l.scimCall("POST", "/Users", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+`"}`).want(t, "create again", 409); a.body["scimType"] != "uniqueness" {
		t.Errorf("409 scimType %v, want uniqueness", a.body["scimType"])
	}
	// Unknown ids.
	l.scimCall("GET", "/Users/00000000-0000-0000-0000-000000000000", token, "").want(t, "get unknown", 404)
	l.scimCall("PATCH", "/Users/00000000-0000-0000-0000-000000000000", token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`).want(t, "patch unknown", 404)
	l.scimCall("DELETE", "/Users/00000000-0000-0000-0000-000000000000", token, "").want(t, "delete unknown", 404)

	// Paging by index (RFC 7644 §3.4.2.4): two more users, then pages of two.
	for _, n := range []string{"bea-", "cy-"} {
		l.scimCall("POST", "/Users", token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+n+testenv.UniqueAddress(t)+`","active":true}`).want(t, "create "+n, 201)
	}
	first := l.scimCall("GET", "/Users?startIndex=1&count=2", token, "").want(t, "page 1", 200)
	second := l.scimCall("GET", "/Users?startIndex=3&count=2", token, "").want(t, "page 2", 200)
	if first.body["itemsPerPage"] != 2.0 || first.body["startIndex"] != 1.0 || second.body["startIndex"] != 3.0 ||
		first.body["totalResults"] != 4.0 || len(first.resources())+len(second.resources()) != 4 {
		t.Errorf("pages: %v / %v", first.body, second.body)
	}
	seen := map[any]bool{}
	for _, r := range append(first.resources(), second.resources()...) {
		if seen[r["id"]] {
			t.Errorf("user %v on two pages", r["id"])
		}
		seen[r["id"]] = true
		l.checkMeta(token, r, "User")
	}

	// Replace (PUT): the name changes, lastModified moves on.
	replaced := l.scimCall("PUT", "/Users/"+id, token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+`",
		"name":{"givenName":"Augusta","familyName":"King"},"externalId":"00u-okta-1","active":true}`).want(t, "replace", 200)
	if n, _ := replaced.body["name"].(map[string]any); n["givenName"] != "Augusta" {
		t.Errorf("replace: %v", replaced.body)
	}
	l.checkMeta(token, replaced.body, "User")
	// Okta deactivates with a path-less replace; Entra sends "Replace" and string booleans.
	for _, c := range []struct {
		body   string
		active bool
	}{
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, false},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`, true},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, false},
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`, true},
	} {
		l.scimCall("PATCH", "/Users/"+id, token, c.body).want(t, c.body, 200)
		if a := l.scimCall("GET", "/Users/"+id, token, "").want(t, "get after patch", 200); a.body["active"] != c.active {
			t.Errorf("after %s: active %v, want %v", c.body, a.body["active"], c.active)
		}
	}
	// Entra's add and replace of attributes by path, and a remove.
	patched := l.scimCall("PATCH", "/Users/"+id, token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"phoneNumbers[type eq \"work\"].value","value":"+14155550123"},
		{"op":"Replace","path":"name.familyName","value":"Byron"},
		{"op":"Replace","path":"externalId","value":"entra-42"}]}`).want(t, "patch add/replace", 200)
	if n, _ := patched.body["name"].(map[string]any); n["familyName"] != "Byron" || patched.body["externalId"] != "entra-42" || patched.body["phoneNumbers"] == nil {
		t.Errorf("patch add/replace: %v", patched.body)
	}
	if a := l.scimCall("GET", filter("externalId", "entra-42"), token, "").want(t, "the new externalId", 200); a.body["totalResults"] != 1.0 {
		t.Errorf("filter by the new externalId: %v", a.body)
	}
	removed := l.scimCall("PATCH", "/Users/"+id, token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"phoneNumbers"}]}`).want(t, "patch remove", 200)
	if removed.body["phoneNumbers"] != nil {
		t.Errorf("patch remove: %v", removed.body)
	}
	l.scimCall("PATCH", "/Users/"+id, token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"explode","path":"active","value":true}]}`).want(t, "an unknown op", 400)

	// Groups: one per role, displayName the role's name; pushes add and remove members.
	groups := l.scimCall("GET", "/Groups", token, "").want(t, "groups", 200)
	names := map[string]string{}
	for _, g := range groups.resources() {
		names[asString(g["id"])] = asString(g["displayName"])
		l.checkMeta(token, g, "Group")
	}
	if names["admin"] != "Admin" || names["user"] != "User" {
		t.Errorf("group names %v, want admin → Admin, user → User", names)
	}
	if a := l.scimCall("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Admin"`), token, "").want(t, "group by name", 200); len(a.resources()) != 1 || a.resources()[0]["id"] != "admin" {
		t.Errorf("displayName eq Admin: %v", a.body)
	}
	l.scimCall("GET", "/Groups/viewer_admin", token, "").want(t, "get group", 200)
	l.scimCall("GET", "/Groups/no_such_role", token, "").want(t, "get unknown group", 404)
	l.scimCall("PATCH", "/Groups/viewer_admin", token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`)
	if !slices.Contains(memberIDs(l.scimCall("GET", "/Groups/viewer_admin", token, "").want(t, "group after add", 200)), id) {
		t.Errorf("the group push did not add %s", id)
	}
	l.scimCall("PATCH", "/Groups/viewer_admin", token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`)
	if slices.Contains(memberIDs(l.scimCall("GET", "/Groups/viewer_admin", token, "").want(t, "group after remove", 200)), id) {
		t.Errorf("the group push did not remove %s", id)
	}

	// Delete, then the user is gone.
	l.scimCall("DELETE", "/Users/"+id, token, "").want(t, "delete", 204)
	l.scimCall("GET", "/Users/"+id, token, "").want(t, "get after delete", 404)

	// Errors: a bad token, a bad filter, a body that is no resource.
	l.scimCall("GET", "/Users", "scim_wrong", "").want(t, "a wrong token", 401)
	l.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName zz "x"`), token, "").want(t, "a bad filter", 400)
	l.scimCall("POST", "/Users", token, `{"userName":`).want(t, "a broken body", 400)
}

// checkMetaLocation checks that a discovery resource's meta.location answers it.
func (l *local) checkMetaLocation(token string, r map[string]any) {
	l.t.Helper()
	meta, _ := r["meta"].(map[string]any)
	loc := asString(meta["location"])
	if !strings.HasPrefix(loc, l.srv.URL+"/v1/scim/v2/") {
		l.t.Errorf("%v: meta.location %q is not under the base", r["id"], loc)
		return
	}
	if got := l.scimCall("GET", loc, token, ""); got.status != 200 || got.body["id"] != r["id"] {
		l.t.Errorf("GET %s: %d %v", loc, got.status, got.body)
	}
}

func memberIDs(g scimAnswer) []string {
	var out []string
	ms, _ := g.body["members"].([]any)
	for _, m := range ms {
		out = append(out, asString(m.(map[string]any)["value"]))
	}
	return out
}
