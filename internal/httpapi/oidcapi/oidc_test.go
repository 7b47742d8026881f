package oidcapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/githuboidc"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
)

// The GitHub OIDC provider's routes through Bind, each answer held to openapi.yaml; the
// whole sign-in, with the ID token verified against the JWKS, is internal/githuboidc's
// end-to-end test.

// oidcAPI is a bare harness whose GitHub is a fake that knows one code and one token.
func oidcAPI(t *testing.T) *apitest.API {
	t.Helper()
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login/oauth/access_token":
			_ = r.ParseForm()
			if r.PostForm.Get("code") != "good-code" || r.PostForm.Get("client_secret") != "app-secret" {
				_, _ = io.WriteString(w, `{"error":"bad_verification_code"}`)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"gho_t","token_type":"bearer","scope":"read:user,user:email"}`)
		case "/user":
			_, _ = io.WriteString(w, `{"id":42,"login":"ada","name":"Ada"}`)
		case "/user/emails":
			_, _ = io.WriteString(w, `[{"email":"ada@example.com","primary":true,"verified":true}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(gh.Close)
	t.Setenv(app.EnvGitHubClientID, "Iv1.app")
	t.Setenv(app.EnvGitHubOIDCIssuer, "https://api.example.com/oidc/github")
	t.Setenv(app.EnvGitHubOIDCRedirectURIs, "https://auth.example.com/oauth2/idpresponse")
	t.Setenv(app.EnvGitHubURL, gh.URL)
	t.Setenv(app.EnvGitHubAPIURL, gh.URL)
	t.Setenv(app.EnvGitHubOIDCSigningKey, string(githuboidc.GenerateKeys().EncodePEM()))
	return apitest.NewBareAPI(t)
}

func TestGitHubOIDCRoutesAnswerAsDocumented(t *testing.T) {
	a := oidcAPI(t)

	resp := a.Call(oidcapi.GitHubOIDCDiscovery, a.Request(oidcapi.GitHubOIDCDiscovery, nil, nil, nil, ""))
	var disco map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &disco); resp.StatusCode != http.StatusOK || err != nil || disco["issuer"] != "https://api.example.com/oidc/github" {
		t.Errorf("discovery: %d %s", resp.StatusCode, resp.Body)
	}

	resp = a.Call(oidcapi.GitHubOIDCJWKS, a.Request(oidcapi.GitHubOIDCJWKS, nil, nil, nil, ""))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"alg":"RS256"`) {
		t.Errorf("jwks: %d %s", resp.StatusCode, resp.Body)
	}

	q := url.Values{"client_id": {"Iv1.app"}, "redirect_uri": {"https://auth.example.com/oauth2/idpresponse"},
		"response_type": {"code"}, "scope": {"openid email"}, "state": {"s"}}
	resp = a.Call(oidcapi.GitHubOIDCAuthorize, a.Request(oidcapi.GitHubOIDCAuthorize, nil, nil, q, ""))
	toGitHub, _ := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusFound || toGitHub == nil || toGitHub.Path != "/login/oauth/authorize" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, resp.Headers)
	}

	back := url.Values{"code": {"good-code"}, "state": {toGitHub.Query().Get("state")}}
	resp = a.Call(oidcapi.GitHubOIDCCallback, a.Request(oidcapi.GitHubOIDCCallback, nil, nil, back, ""))
	toCognito, _ := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusFound || toCognito == nil || toCognito.Host != "auth.example.com" || toCognito.Query().Get("state") != "s" {
		t.Fatalf("callback: %d %v", resp.StatusCode, resp.Headers)
	}
	back.Set("state", "forged")
	if resp = a.Call(oidcapi.GitHubOIDCCallback, a.Request(oidcapi.GitHubOIDCCallback, nil, nil, back, "")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("callback with a forged state: %d %s", resp.StatusCode, resp.Body)
	}
	q.Set("redirect_uri", "https://evil.example/cb")
	if resp = a.Call(oidcapi.GitHubOIDCAuthorize, a.Request(oidcapi.GitHubOIDCAuthorize, nil, nil, q, "")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorize to another redirect URI: %d %s", resp.StatusCode, resp.Body)
	}

	token := func(form url.Values) (int, map[string]any) {
		ev := a.Request(oidcapi.GitHubOIDCToken, nil, nil, nil, form.Encode())
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
		resp := a.Call(oidcapi.GitHubOIDCToken, ev)
		var out map[string]any
		_ = json.Unmarshal([]byte(resp.Body), &out)
		return resp.StatusCode, out
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {toCognito.Query().Get("code")}, "client_id": {"Iv1.app"},
		"client_secret": {"app-secret"}, "redirect_uri": {"https://auth.example.com/oauth2/idpresponse"}}
	if status, out := token(form); status != http.StatusOK || out["id_token"] == "" || out["access_token"] != "gho_t" {
		t.Errorf("token: %d %v", status, out)
	}
	form.Set("client_id", "Iv1.other")
	if status, out := token(form); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("token for another client: %d %v", status, out)
	}

	ev := a.Request(oidcapi.GitHubOIDCUserinfo, nil, nil, nil, "")
	ev.Headers["authorization"] = "Bearer gho_t"
	resp = a.Call(oidcapi.GitHubOIDCUserinfo, ev)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"email":"ada@example.com"`) || !strings.Contains(resp.Body, `"email_verified":true`) {
		t.Errorf("userinfo: %d %s", resp.StatusCode, resp.Body)
	}
	delete(ev.Headers, "authorization")
	if resp = a.Call(oidcapi.GitHubOIDCUserinfo, ev); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo without a token: %d %s", resp.StatusCode, resp.Body)
	}
}

// GitHub's redirect back carries the authorization code and the state, both secrets (either
// lets its holder finish someone's sign-in): the request log of the callback shows neither,
// though the route declares nothing (the redaction is every route's default).
func TestGitHubOIDCCallbackLogsNeitherCodeNorState(t *testing.T) {
	a := oidcAPI(t)
	q := url.Values{"client_id": {"Iv1.app"}, "redirect_uri": {"https://auth.example.com/oauth2/idpresponse"},
		"response_type": {"code"}, "scope": {"openid email"}, "state": {"cognito-state-7d1f"}}
	resp := a.Call(oidcapi.GitHubOIDCAuthorize, a.Request(oidcapi.GitHubOIDCAuthorize, nil, nil, q, ""))
	toGitHub, _ := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusFound || toGitHub == nil {
		t.Fatalf("authorize: %d %v", resp.StatusCode, resp.Headers)
	}
	state := toGitHub.Query().Get("state")
	a.Logs.Take()
	back := url.Values{"code": {"good-code"}, "state": {state}}
	if resp := a.Call(oidcapi.GitHubOIDCCallback, a.Request(oidcapi.GitHubOIDCCallback, nil, nil, back, "")); resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Body)
	}
	lines := strings.Join(a.Logs.Take(), "\n")
	for _, secret := range []string{"good-code", state, url.QueryEscape(state)} {
		if strings.Contains(lines, secret) {
			t.Errorf("the callback's log carries %q:\n%s", secret, lines)
		}
	}
	for _, shown := range []string{"code=[redacted]", "state=[redacted]", oidcapi.GitHubOIDCBasePath + "/callback"} {
		if !strings.Contains(lines, shown) {
			t.Errorf("the log should show %q:\n%s", shown, lines)
		}
	}
	if oidcapi.GitHubOIDCCallback.SecretQuery != nil {
		t.Errorf("the callback declares SecretQuery %v: the redaction must not depend on it", oidcapi.GitHubOIDCCallback.SecretQuery)
	}
}
