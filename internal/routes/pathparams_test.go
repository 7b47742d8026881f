package routes_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/sheets"
)

var pathParam = regexp.MustCompile(`\{([^}+]+)\+?\}`)

// Every path parameter of every route has a kind (its shape, and whether it is a secret),
// by its name or declared on the route: a new route can't forget it.
func TestEveryPathParameterHasAKind(t *testing.T) {
	for _, r := range routes.All() {
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			if _, ok := r.Param(m[1]); !ok {
				t.Errorf("%s %s: path parameter {%s} has no kind: name it in PathParams or declare it in the route's Params", r.Method, r.Path, m[1])
			}
		}
	}
}

// An id the server could never have issued (too long for a DynamoDB key, wrong shape) is an
// unknown id: 404, on every route, never a 5xx.
func TestPathIdsOfTheWrongShapeAnswer404(t *testing.T) {
	a := apitest.NewAPI(t)
	a.Env.UseMail(&mail.Recorder{})
	a.Env.UseDirectory(apitest.NewFakeDirectory())
	a.Env.UseSpreadsheets(sheets.XLSX{})
	ada := a.Caller("ada")
	a.Account(ada)
	orgID := a.Org(ada, "Acme")
	valid := map[string]string{"orgId": orgID, "userId": ada.ID, "inviteId": app.NewULID(), "eventId": app.NewULID(),
		"token": strings.Repeat("A", 43)}
	// SCIM routes check their bearer token first, as the others check their caller.
	scimToken := a.SCIMToken(ada, orgID)
	bad := []string{strings.Repeat("a", 3000), strings.Repeat("0", 2000), "..", "a b", "01JD0000000000000000000000!", "\x00"}
	for _, r := range routes.All() {
		names := pathParam.FindAllStringSubmatch(r.Path, -1)
		for _, m := range names {
			for _, v := range bad {
				params := map[string]string{}
				for _, n := range names {
					params[n[1]] = valid[n[1]]
				}
				params[m[1]] = v
				var got apitest.Reply
				if r.Auth == httpapi.SCIM {
					got = a.SCIM(r, scimToken, params, map[string]string{"confirm": "acme"}, `{}`)
				} else {
					got = a.Do(r, &ada, params, map[string]string{"confirm": "acme"}, `{}`)
				}
				// A non-operator is refused an operator route (403) before its ids are looked at.
				if got.Status != 404 && !(r.Auth == httpapi.Operator && got.Status == 403) {
					t.Errorf("%s %s with {%s} = %.20q (%d chars): status %d, want 404 (%s)", r.Method, r.Path, m[1], v, len(v), got.Status, got.Body)
				}
			}
		}
	}
}

// Invite tokens are secrets: the request log shows a path that carries one with it redacted,
// and so for any route's declared secret path parameters and query values.
func TestRequestLogRedactsSecretPathSegmentsAndQueryValues(t *testing.T) {
	a := apitest.NewAPI(t)
	token := "Zk9vQmFyQmF6UXV4UXV1eENvcmdlR3JhdWx0R2FycGx5"[:43]
	a.Logs.Take()
	a.Call(invitesapi.PreviewInvite, a.Request(invitesapi.PreviewInvite, nil, map[string]string{"token": token}, url.Values{"utm": {"x"}}, ""))
	lines := strings.Join(a.Logs.Take(), "\n")
	if strings.Contains(lines, token) || strings.Contains(lines, url.PathEscape(token)) {
		t.Errorf("the invite token is in the log:\n%s", lines)
	}
	if !strings.Contains(lines, "/v1/invites/[redacted]") {
		t.Errorf("the log should show the path with the token redacted:\n%s", lines)
	}

	// A route declaring its own secret path parameter and query value.
	r := &httpapi.Route{Name: "test-secret", Method: "GET", Path: "/v1/things/{thingId}/keys/{key}", Auth: httpapi.Public,
		Params:      []httpapi.NamedParam{{Name: "thingId", Param: httpapi.IDParam}, {Name: "key", Param: httpapi.Param{Kind: "key", Valid: func(string) bool { return true }, Secret: true}}},
		SecretQuery: []string{"code"},
		Build: func(*app.Env) httpapi.Handler {
			return func(context.Context, *httpapi.Request) (*httpapi.Response, error) { return httpapi.NoContent(), nil }
		},
	}
	thing := app.NewULID()
	ev := a.Request(r, nil, map[string]string{"thingId": thing, "key": "sekrit-key-1"}, url.Values{"code": {"sekrit-code-2"}, "page": {"3"}}, "")
	if resp, _ := httpapi.Bind(r, a.Env)(context.Background(), ev); resp.StatusCode != 204 {
		t.Fatalf("status %d (%s)", resp.StatusCode, resp.Body)
	}
	lines = strings.Join(a.Logs.Take(), "\n")
	for _, secret := range []string{"sekrit-key-1", "sekrit-code-2"} {
		if strings.Contains(lines, secret) {
			t.Errorf("%s is in the log:\n%s", secret, lines)
		}
	}
	for _, shown := range []string{"/v1/things/" + thing + "/keys/[redacted]", "code=[redacted]", "page=3"} {
		if !strings.Contains(lines, shown) {
			t.Errorf("the log should show %q:\n%s", shown, lines)
		}
	}
}
