package localmode_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/testenv"
)

// scim sends a SCIM request with the bearer token through the local gateway.
func (l *local) scim(method, path, token, body string, want int) map[string]any {
	l.t.Helper()
	req, err := http.NewRequest(method, l.srv.URL+"/v1/scim/v2"+path, bytes.NewBufferString(body))
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
	if resp.StatusCode != want {
		l.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if ct := resp.Header.Get("Content-Type"); len(b) > 0 && !strings.HasPrefix(ct, "application/scim+json") {
		l.t.Errorf("%s %s: content type %q", method, path, ct)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			l.t.Fatalf("%s: %v", b, err)
		}
	}
	return out
}

// TestSCIMThroughTheLocalGateway runs an identity provider's calls over HTTP: discovery, the
// lookup by userName, deactivation (the member loses the org), reactivation, a group push and
// the removal, and checks the org's members and events after each step.
func TestSCIMThroughTheLocalGateway(t *testing.T) {
	l := startLocal(t)
	adminEmail, bobEmail := testenv.UniqueAddress(t), "bob-"+testenv.UniqueAddress(t)
	admin, bob := l.user(adminEmail), l.user(bobEmail)
	var org struct {
		ID string `json:"id"`
	}
	l.do("POST", "/v1/orgs", admin, `{"name":"Acme SCIM"}`, 201, &org)
	l.join(admin, org.ID, bobEmail, bob, "user")
	var tok struct {
		Token string `json:"token"`
	}
	l.do("POST", "/v1/orgs/"+org.ID+"/scim/token", admin, "", 201, &tok)
	if !strings.HasPrefix(tok.Token, "scim_") {
		t.Fatalf("token %q", tok.Token)
	}
	l.scim("GET", "/ServiceProviderConfig", tok.Token, "", 200)
	l.scim("GET", "/Users", "scim_wrong", "", 401)

	// Okta's first push of a new person: look up, then create (a generated password mailed).
	hire := "hire-" + testenv.UniqueAddress(t)
	if none := l.scim("GET", `/Users?filter=userName+eq+%22`+hire+`%22`, tok.Token, "", 200); none["totalResults"].(float64) != 0 {
		t.Fatalf("lookup before create: %v", none)
	}
	created := l.scim("POST", "/Users", tok.Token, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+hire+`","name":{"givenName":"New","familyName":"Hire"},"externalId":"okta-7","active":true}`, 201)
	if created["userName"] != hire || created["externalId"] != "okta-7" {
		t.Fatalf("created %v", created)
	}
	l.scim("POST", "/Users", tok.Token, `{"userName":"`+hire+`"}`, 409)

	found := l.scim("GET", `/Users?filter=userName+eq+%22`+bobEmail+`%22`, tok.Token, "", 200)
	res := found["Resources"].([]any)
	if found["totalResults"].(float64) != 1 || len(res) != 1 {
		t.Fatalf("lookup: %v", found)
	}
	id := res[0].(map[string]any)["id"].(string)

	l.scim("PATCH", "/Users/"+id, tok.Token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, 200)
	l.do("GET", "/v1/orgs/"+org.ID, bob, "", 404, nil)
	l.scim("PATCH", "/Users/"+id, tok.Token, `{"Operations":[{"op":"Replace","path":"active","value":"True"}]}`, 200)
	l.do("GET", "/v1/orgs/"+org.ID, bob, "", 200, nil)
	l.scim("PATCH", "/Groups/viewer_admin", tok.Token, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`, 200)
	var me struct {
		Role string `json:"role"`
	}
	l.do("GET", "/v1/orgs/"+org.ID, bob, "", 200, &me)
	if me.Role != "viewer_admin" {
		t.Errorf("after the group push: %s", me.Role)
	}
	l.scim("DELETE", "/Users/"+id, tok.Token, "", 204)
	l.do("GET", "/v1/orgs/"+org.ID, bob, "", 404, nil)

	got := strings.Join(l.actions(org.ID), " ")
	for _, a := range []string{"scim_token.created", "member.created", "member.suspended", "member.reactivated", "member.role_changed", "member.removed"} {
		if !strings.Contains(got, a) {
			t.Errorf("events %s lack %s", got, a)
		}
	}
}
