package localmode_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/tokens"
)

// tool is a tool's request, as `curl -u email:token <url>/v1/entitlements` sends it.
func (s *stack) tool(email, token string) response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), "GET", s.srv.URL+"/v1/entitlements", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.SetBasicAuth(email, token)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

type entitlementsJSON struct {
	Org struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
	} `json:"org"`
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Products []struct {
		ID          string `json:"id"`
		LicenseType string `json:"licenseType"`
	} `json:"products"`
}

func TestToolsSignInWithTheOrgTokenUntilItIsRegeneratedOrAuthIsReset(t *testing.T) {
	s := startStack(t)
	ada, bob := s.newUser(), s.newUser()
	acme := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Acme"}`), 201)
	other := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Other"}`), 201)
	id := acme.str("id")
	s.join(ada, bob, id, "user")
	// The demo catalog's public products are everyone's; an operator grants Acme a license of
	// a commercial one (the grant keeps the summary the sign-in reads).
	op := orgs.Caller{ID: "op-tokens-e2e", Email: "op@example.com", Operator: true}
	if _, err := s.api.Env.Licensing().Grant(t.Context(), op, id, licensing.GrantInput{ProductID: "enterprise-console", Type: licensing.TypeEnterprise}); err != nil {
		t.Fatal(err)
	}

	// The admin views the token; a tool signs in with bob's email and it.
	view := decode[map[string]any](t, s.do("GET", "/v1/orgs/"+id+"/token", ada.tokens.IDToken, ""), 200)
	tok := view["token"].(string)
	if !tokens.WellFormed(tok) {
		t.Fatalf("token %q is not well-formed", tok)
	}
	ent := decode[entitlementsJSON](t, s.tool(bob.email, tok), 200)
	if ent.Org.ID != id || ent.Org.Handle != acme.str("handle") || ent.User.ID != bob.sub {
		t.Errorf("entitlements name org %+v and user %+v", ent.Org, ent.User)
	}
	var got []string
	for _, p := range ent.Products {
		got = append(got, p.ID+":"+p.LicenseType)
	}
	if d := cmp.Diff([]string{"community-cli:free", "docs-portal:free", "enterprise-console:enterprise"}, got); d != "" {
		t.Errorf("products (-want +got):\n%s", d)
	}
	if r := s.tool("stranger@example.com", tok); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("a stranger with the token: %s %v", r, r.header)
	}

	// Regenerated: the old pair is refused at once, the new one works.
	regen := decode[map[string]any](t, s.do("POST", "/v1/orgs/"+id+"/token/regenerate", ada.tokens.IDToken, ""), 200)
	if r := s.tool(bob.email, tok); r.status != 401 {
		t.Errorf("the old token after regeneration: %s", r)
	}
	newTok := regen["token"].(string)
	decode[entitlementsJSON](t, s.tool(bob.email, newTok), 200)
	// The admins get an email naming who did it (the outbox, through the stream processor),
	// and it does not carry the token.
	notice := waitMails(t, testenv.SES(t), ada.email, 1)
	if len(notice) != 1 || !strings.Contains(notice[0].Subject, ada.email+" regenerated the access token") ||
		strings.Contains(notice[0].Text, newTok) || strings.Contains(notice[0].Text, tok) {
		t.Errorf("the admins' regeneration notice: %+v", notice)
	}

	// The reset: Ada's token from before it stops working for this org only.
	testenv.NextSecond() // her token's iat is a second before
	if r := s.do("POST", "/v1/orgs/"+id+"/auth/reset", ada.tokens.IDToken, ""); r.status != 204 {
		t.Fatalf("reset: %s", r)
	}
	apiError(t, s.do("GET", "/v1/orgs/"+id, ada.tokens.IDToken, ""), 401, "unauthenticated")
	decode[org](t, s.do("GET", "/v1/orgs/"+other.str("id"), ada.tokens.IDToken, ""), 200)
	decode[meJSON](t, s.do("GET", "/v1/me", ada.tokens.IDToken, ""), 200)
	if r := s.tool(bob.email, newTok); r.status != 401 {
		t.Errorf("the token from before the reset: %s", r)
	}
	// A fresh sign-in works, and shows the token the reset made.
	fresh, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, ada.email, password)
	if err != nil {
		t.Fatal(err)
	}
	after := decode[map[string]any](t, s.do("GET", "/v1/orgs/"+id+"/token", fresh.IDToken, ""), 200)
	if after["token"] == newTok || after["token"] == tok {
		t.Error("the reset did not regenerate the token")
	}
	decode[entitlementsJSON](t, s.tool(bob.email, after["token"].(string)), 200)

	usage := decode[map[string]any](t, s.do("GET", "/v1/orgs/"+id+"/usage", fresh.IDToken, ""), 200)
	days := usage["tokenUses"].([]any)
	if len(days) != 30 || days[29].(map[string]any)["count"] != float64(3) || usage["activeLicenses"] != float64(1) || usage["members"] != float64(2) {
		t.Errorf("usage: %v", usage)
	}
}

func TestASignInThroughCognitoLocalLandsInTheOrgsLog(t *testing.T) {
	s := startStack(t)
	ada := s.newUser()
	id := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Acme"}`), 201).str("id")
	// cognito-local runs the post-authentication trigger through the local Lambda endpoint.
	again, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, ada.email, password)
	if err != nil {
		t.Fatal(err)
	}
	evs := decode[struct {
		Items []struct {
			Action string `json:"action"`
			Actor  struct {
				ID string `json:"id"`
			} `json:"actor"`
		} `json:"items"`
	}](t, s.do("GET", "/v1/orgs/"+id+"/events?category=authentication", again.IDToken, ""), 200)
	found := false
	for _, e := range evs.Items {
		found = found || (e.Action == "user.signed_in" && e.Actor.ID == ada.sub)
	}
	if !found {
		t.Errorf("no user.signed_in of ada in the org's log: %+v", evs.Items)
	}
}
