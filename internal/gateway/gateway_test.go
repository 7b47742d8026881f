package gateway

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// API Gateway picks the most specific route: a literal segment beats a path variable. The
// local gateway must agree, or /events/export would reach the handler of /events/{eventId}.
func TestLiteralPathSegmentsWinOverPathVariables(t *testing.T) {
	env := app.New(app.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ses.Install(env)
	cognito.Install(env)
	sheets.Install(env)
	toolauth.Install(env)
	orgauthz.Install(env)
	g := New(env, httpapi.Routes(), nil)
	for path, want := range map[string]*httpapi.Route{
		"/v1/orgs/o1/events/export":                     httpapi.ExportEvents,
		"/v1/orgs/o1/events/01jd0000000000000000000000": httpapi.GetEvent,
		"/v1/orgs/o1/events":                            httpapi.ListEvents,
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
	g := New(env, []*httpapi.Route{httpapi.GetConfig}, nil)
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
