package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// API Gateway picks the most specific route: a literal segment beats a path variable. The
// local gateway must agree, or /events/export would reach the handler of /events/{eventId}.
func TestLiteralPathSegmentsWinOverPathVariables(t *testing.T) {
	g := New(envForEveryRoute(), routes.All(), nil)
	for path, want := range map[string]*httpapi.Route{
		"/v1/orgs/o1/events/export":                     eventsapi.ExportEvents,
		"/v1/orgs/o1/events/01jd0000000000000000000000": eventsapi.GetEvent,
		"/v1/orgs/o1/events":                            eventsapi.ListEvents,
	} {
		h, pattern := g.mux.Handler(httptest.NewRequest("GET", path, nil))
		e, ok := h.(*endpoint)
		if !ok || e.route != want {
			t.Errorf("GET %s goes to %q, want %s", path, pattern, want.Path)
		}
	}
}

// TestAnswersExposeTheHeadersBrowserCodeReads: as the HTTP API's CORS configuration (the
// stack's, from the same list), an answer to an allowed origin lets browser code read
// Retry-After, Location and Content-Disposition; a preflight and another origin get none.
func TestAnswersExposeTheHeadersBrowserCodeReads(t *testing.T) {
	env := app.New(app.Config{AllowedOrigins: []string{"https://app.example.com"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	g := New(env, []*httpapi.Route{orgsapi.GetConfig}, nil)
	get := func(method, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/v1/config", nil)
		req.Header.Set("Origin", origin)
		if method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "GET")
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		return w
	}
	exposed := map[string]bool{}
	for _, h := range strings.Split(get("GET", "https://app.example.com").Header().Get("Access-Control-Expose-Headers"), ",") {
		exposed[strings.ToLower(strings.TrimSpace(h))] = true
	}
	for _, h := range []string{"Retry-After", "Location", "Content-Disposition"} {
		if !exposed[strings.ToLower(h)] {
			t.Errorf("Access-Control-Expose-Headers lacks %s: %v", h, exposed)
		}
	}
	if h := get("GET", "https://evil.example").Header().Get("Access-Control-Expose-Headers"); h != "" {
		t.Errorf("another origin is exposed %q", h)
	}
	if h := get("OPTIONS", "https://app.example.com").Header().Get("Access-Control-Expose-Headers"); h != "" {
		t.Errorf("a preflight carries Access-Control-Expose-Headers %q", h)
	}
}

// Unknown paths under the SCIM base go to the catch-all route ({proxy+} is ServeMux's
// {proxy...}, ANY no method), as in API Gateway: any other route wins over it, another method
// on a known path does not. The catch-all answers SCIM's error shape without a token or a read.
func TestUnknownSCIMPathsGetTheSCIMErrorShape(t *testing.T) {
	g := New(envForEveryRoute(), routes.All(), nil)
	for _, c := range []struct {
		method, path string
		want         *httpapi.Route
	}{
		{"GET", "/v1/scim/v2/Users", scimapi.SCIMListUsers},
		{"GET", "/v1/scim/v2/Users/abc", scimapi.SCIMGetUser},
		{"GET", "/v1/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", scimapi.SCIMSchema},
		{"GET", "/v1/scim/v2/Foo", scimapi.SCIMNotFound},
		{"GET", "/v1/scim/v2/Users/x/y", scimapi.SCIMNotFound},
		{"DELETE", "/v1/scim/v2/Groups/admin", scimapi.SCIMNotFound},
		{"POST", "/v1/scim/v2/Bulk", scimapi.SCIMNotFound},
	} {
		h, pattern := g.mux.Handler(httptest.NewRequest(c.method, c.path, nil))
		if e, ok := h.(*endpoint); !ok || e.route != c.want {
			t.Errorf("%s %s goes to %q, want %s", c.method, c.path, pattern, c.want.Name)
		}
	}
	for _, target := range []string{"/v1/scim/v2/Foo", "/v1/scim/v2/Users/x/y"} {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		var body struct {
			Schemas []string `json:"schemas"`
			Status  string   `json:"status"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 404 || body.Status != "404" ||
			len(body.Schemas) != 1 || body.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("GET %s: %d %s, want SCIM's 404 error", target, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/scim+json" {
			t.Errorf("GET %s: content type %q", target, ct)
		}
	}
}

// envForEveryRoute is an Env that every route binds to: every install, and the repository's
// table of public mail domains, which adding a domain opens (Route.MailDomains), as local
// mode gives it.
func envForEveryRoute() *app.Env {
	env := app.New(app.Config{MailDomainsFile: filepath.Join("..", "..", maildomains.RepoPath)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ses.Install(env)
	cognito.Install(env)
	sheets.Install(env)
	toolauth.Install(env)
	orgauthz.Install(env)
	scimauth.Install(env)
	return env
}
