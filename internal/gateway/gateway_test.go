package gateway

import (
	"io"
	"log/slog"
	"net/http/httptest"
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
