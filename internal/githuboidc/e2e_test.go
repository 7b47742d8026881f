package githuboidc_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/gateway"
	"github.com/vendorportal/orgs/internal/githuboidc"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/secrets"
)

const (
	clientID     = "Iv1.github-app"
	clientSecret = "github-app-secret"
	idpResponse  = "https://orgs-test.auth.eu-west-1.amazoncognito.com/oauth2/idpresponse"
)

// fakeGitHub answers GitHub's code exchange, /user and /user/emails for the codes it issued.
type fakeGitHub struct {
	// callback is the provider's callback URL, the GitHub app's.
	callback string
	mu       sync.Mutex
	codes    map[string]string // code -> access token
	emails   map[string]string // access token -> the /user/emails answer
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "POST /login/oauth/access_token":
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Accept") != "application/json" {
			http.Error(w, "want JSON", http.StatusNotAcceptable)
			return
		}
		if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret {
			_, _ = io.WriteString(w, `{"error":"incorrect_client_credentials"}`)
			return
		}
		token, ok := g.codes[r.PostForm.Get("code")]
		if !ok || r.PostForm.Get("redirect_uri") != g.callback {
			_, _ = io.WriteString(w, `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`)
			return
		}
		delete(g.codes, r.PostForm.Get("code")) // GitHub's codes are single-use
		_, _ = io.WriteString(w, `{"access_token":"`+token+`","token_type":"bearer","scope":"read:user,user:email"}`)
	case "GET /user", "GET /user/emails":
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		emails, ok := g.emails[token]
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Bad credentials"}`)
			return
		}
		if r.URL.Path == "/user" {
			_, _ = io.WriteString(w, `{"id":583231,"login":"octocat","name":"The Octocat","avatar_url":"https://avatars.example/u/583231"}`)
			return
		}
		_, _ = io.WriteString(w, emails)
	default:
		http.NotFound(w, r)
	}
}

// fakeSecretsManager answers GetSecretValue for one secret and counts the reads.
type fakeSecretsManager struct {
	arn, value string
	mu         sync.Mutex
	reads      int
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ SecretId string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || in.SecretId != f.arn {
		http.Error(w, `{"__type":"ResourceNotFoundException"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	v, _ := json.Marshal(map[string]string{"ARN": f.arn, "SecretString": f.value})
	_, _ = w.Write(v)
}

// provider serves the provider's routes through the local gateway (the same API Gateway
// events as in AWS) over real HTTP, against gh. With sm, the signing keys come from that
// Secrets Manager as in AWS; without, from the environment as in local mode.
func provider(t *testing.T, gh *fakeGitHub, sm *fakeSecretsManager) (issuer string) {
	t.Helper()
	ghSrv := httptest.NewServer(gh)
	t.Cleanup(ghSrv.Close)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	issuer = srv.URL + oidcapi.GitHubOIDCBasePath
	gh.callback = issuer + "/callback"

	t.Setenv(app.EnvGitHubClientID, clientID)
	t.Setenv(app.EnvGitHubOIDCIssuer, issuer)
	t.Setenv(app.EnvGitHubOIDCRedirectURIs, "https://other.example/cb, "+idpResponse)
	t.Setenv(app.EnvGitHubURL, ghSrv.URL)
	t.Setenv(app.EnvGitHubAPIURL, ghSrv.URL)
	if sm != nil {
		smSrv := httptest.NewServer(sm)
		t.Cleanup(smSrv.Close)
		t.Setenv(app.EnvSecretsManagerEndpoint, smSrv.URL)
		t.Setenv(app.EnvGitHubOIDCKeySecret, sm.arn)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv(app.EnvGitHubOIDCSigningKey, "")
	} else {
		t.Setenv(app.EnvGitHubOIDCSigningKey, string(githuboidc.GenerateKeys().EncodePEM()))
	}
	env := app.New(app.ConfigFromEnv(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	secrets.Install(env)
	var oidcRoutes []*httpapi.Route
	for _, r := range routes.All() {
		if r.Feature == oidcapi.FeatureGitHubOIDC {
			oidcRoutes = append(oidcRoutes, r)
		}
	}
	handler = gateway.New(env, oidcRoutes, nil)
	return issuer
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func getJSON(t *testing.T, req *http.Request, wantStatus int, v any) *http.Response {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d %s; want %d", req.Method, req.URL.Path, resp.StatusCode, body, wantStatus)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s %s: %v: %s", req.Method, req.URL.Path, err, body)
		}
	}
	return resp
}

func get(t *testing.T, u string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func tokenRequest(t *testing.T, endpoint string, form url.Values, basic bool) *http.Request {
	if basic {
		form.Del("client_id")
		form.Del("client_secret")
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	return req
}

// throughGitHub runs the browser's part: authorize, then GitHub's redirect back to the
// callback with githubCode, and returns where the callback sends the browser.
func throughGitHub(t *testing.T, issuer, githubCode string) *url.URL {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "redirect_uri": {idpResponse}, "state": {"cognito-state"},
		"scope": {"openid email profile"}, "response_type": {"code"}, "nonce": {"cognito-nonce"}}
	resp := getJSON(t, get(t, issuer+"/authorize?"+q.Encode()), http.StatusFound, nil)
	toGitHub, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	back := url.Values{"code": {githubCode}, "state": {toGitHub.Query().Get("state")}}
	resp = getJSON(t, get(t, toGitHub.Query().Get("redirect_uri")+"?"+back.Encode()), http.StatusFound, nil)
	toCognito, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return toCognito
}

// TestSignInWithGitHubThroughTheProvider walks Cognito's side of an OIDC sign-in: discovery,
// authorize (the browser goes on to GitHub with Cognito's redirect URI and state), token
// (GitHub's code becomes an ID token), userinfo; the ID token verifies against the provider's
// own JWKS and carries the verified primary email. The signing keys come from Secrets
// Manager, read once when the functions are built (the cold start), not per request.
func TestSignInWithGitHubThroughTheProvider(t *testing.T) {
	sm := &fakeSecretsManager{arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:orgs/github-oidc-keys-AbCdEf",
		value: string(githuboidc.GenerateKeys().EncodePEM())}
	gh := &fakeGitHub{
		codes: map[string]string{"code-1": "gho_one", "code-2": "gho_one"},
		emails: map[string]string{"gho_one": `[{"email":"octo@old.example","primary":false,"verified":true},` +
			`{"email":"octocat@github.example","primary":true,"verified":true}]`},
	}
	issuer := provider(t, gh, sm)

	var disco githuboidc.Discovery
	getJSON(t, get(t, issuer+"/.well-known/openid-configuration"), http.StatusOK, &disco)
	if disco.Issuer != issuer || disco.AuthorizationEndpoint != issuer+"/authorize" || disco.TokenEndpoint != issuer+"/token" ||
		disco.UserinfoEndpoint != issuer+"/userinfo" || disco.JWKSURI != issuer+"/jwks" {
		t.Fatalf("discovery %+v", disco)
	}

	q := url.Values{"client_id": {clientID}, "redirect_uri": {idpResponse}, "state": {"cognito-state"},
		"scope": {"openid email profile"}, "response_type": {"code"}, "nonce": {"cognito-nonce"}}
	resp := getJSON(t, get(t, disco.AuthorizationEndpoint+"?"+q.Encode()), http.StatusFound, nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasSuffix(loc.Path, "/login/oauth/authorize") || loc.Query().Get("client_id") != clientID ||
		loc.Query().Get("redirect_uri") != issuer+"/callback" || loc.Query().Get("state") == "" ||
		strings.Contains(loc.Query().Get("state"), "cognito-state") || loc.Query().Get("scope") != "read:user user:email" {
		t.Fatalf("authorize redirects to %v", resp.Header.Get("Location"))
	}

	// GitHub sends the browser back to the callback, which sends it on to Cognito with a code
	// of the provider's; Cognito calls the token endpoint, with client_secret_post here and
	// client_secret_basic below.
	for i, basic := range []bool{false, true} {
		toCognito := throughGitHub(t, issuer, []string{"code-1", "code-2"}[i])
		if got := toCognito.Scheme + "://" + toCognito.Host + toCognito.Path; got != idpResponse || toCognito.Query().Get("state") != "cognito-state" ||
			toCognito.Query().Get("code") == "" || toCognito.Query().Get("code") == "code-1" {
			t.Fatalf("the callback sends the browser to %s", toCognito)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {toCognito.Query().Get("code")},
			"redirect_uri": {idpResponse}, "client_id": {clientID}, "client_secret": {clientSecret}}
		var tok githuboidc.TokenResponse
		resp := getJSON(t, tokenRequest(t, disco.TokenEndpoint, form, basic), http.StatusOK, &tok)
		if resp.Header.Get("Cache-Control") != "no-store" || tok.TokenType != "Bearer" || tok.AccessToken != "gho_one" || tok.IDToken == "" {
			t.Fatalf("token response %+v (Cache-Control %q)", tok, resp.Header.Get("Cache-Control"))
		}

		ctx, cancel := context.WithCancel(context.Background())
		kf, err := keyfunc.NewDefaultCtx(ctx, []string{disco.JWKSURI})
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		_, err = jwt.ParseWithClaims(tok.IDToken, claims, kf.Keyfunc, jwt.WithValidMethods([]string{"RS256"}),
			jwt.WithIssuer(issuer), jwt.WithAudience(clientID), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
		cancel()
		if err != nil {
			t.Fatalf("the ID token does not verify against the provider's JWKS: %v", err)
		}
		if claims["sub"] != "583231" || claims["email"] != "octocat@github.example" || claims["email_verified"] != true ||
			claims["preferred_username"] != "octocat" || claims["nonce"] != "cognito-nonce" {
			t.Errorf("ID token claims %v", claims)
		}
		if exp, _ := claims.GetExpirationTime(); exp == nil || time.Until(exp.Time) > githuboidc.IDTokenLifetime+time.Minute {
			t.Errorf("ID token expires %v", exp)
		}

		req := get(t, disco.UserinfoEndpoint)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		var info map[string]any
		getJSON(t, req, http.StatusOK, &info)
		if info["sub"] != "583231" || info["email"] != "octocat@github.example" || info["email_verified"] != true {
			t.Errorf("userinfo %v", info)
		}
	}
	// The token and JWKS functions share this process's Env here, as the gateway binds every
	// route to one Env: one read for both; in Lambda, one per function's cold start.
	if sm.reads != 1 {
		t.Errorf("the signing keys were read %d times; want once", sm.reads)
	}
}

// TestProviderRefuses: what the provider turns away, in OAuth's error shape.
func TestProviderRefuses(t *testing.T) {
	gh := &fakeGitHub{
		codes:  map[string]string{"unverified": "gho_unverified", "good": "gho_good"},
		emails: map[string]string{"gho_unverified": `[{"email":"new@github.example","primary":true,"verified":false}]`, "gho_good": `[]`},
	}
	issuer := provider(t, gh, nil)
	authorize := func(change func(url.Values)) url.Values {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {idpResponse}, "scope": {"openid email"}, "response_type": {"code"}}
		change(q)
		return q
	}
	for name, c := range map[string]struct {
		q    url.Values
		code string
	}{
		"another client":       {authorize(func(q url.Values) { q.Set("client_id", "Iv1.other") }), "unauthorized_client"},
		"another redirect URI": {authorize(func(q url.Values) { q.Set("redirect_uri", "https://evil.example/oauth2/idpresponse") }), "invalid_request"},
		"no openid scope":      {authorize(func(q url.Values) { q.Set("scope", "email") }), "invalid_scope"},
		"implicit flow":        {authorize(func(q url.Values) { q.Set("response_type", "token") }), "unsupported_response_type"},
	} {
		var e map[string]string
		getJSON(t, get(t, issuer+"/authorize?"+c.q.Encode()), http.StatusBadRequest, &e)
		if e["error"] != c.code {
			t.Errorf("authorize, %s: %v; want %s", name, e, c.code)
		}
	}

	codeFor := func(githubCode string) string { return throughGitHub(t, issuer, githubCode).Query().Get("code") }
	token := func(change func(url.Values)) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {codeFor("good")}, "redirect_uri": {idpResponse},
			"client_id": {clientID}, "client_secret": {clientSecret}}
		change(f)
		return f
	}
	for name, c := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"another client":        {token(func(f url.Values) { f.Set("client_id", "Iv1.other") }), http.StatusUnauthorized, "invalid_client"},
		"a wrong secret":        {token(func(f url.Values) { f.Set("client_secret", "guess") }), http.StatusUnauthorized, "invalid_client"},
		"GitHub's code itself":  {token(func(f url.Values) { f.Set("code", "good") }), http.StatusBadRequest, "invalid_grant"},
		"a code GitHub refuses": {token(func(f url.Values) { f.Set("code", codeFor("code-used")) }), http.StatusBadRequest, "invalid_grant"},
		"another redirect URI":  {token(func(f url.Values) { f.Set("redirect_uri", "https://other.example/cb") }), http.StatusBadRequest, "invalid_grant"},
		"a refresh grant":       {token(func(f url.Values) { f.Set("grant_type", "refresh_token") }), http.StatusBadRequest, "unsupported_grant_type"},
		"no verified primary":   {token(func(f url.Values) { f.Set("code", codeFor("unverified")) }), http.StatusForbidden, "access_denied"},
		"no email at all":       {token(func(url.Values) {}), http.StatusForbidden, "access_denied"},
	} {
		var e map[string]string
		getJSON(t, tokenRequest(t, issuer+"/token", c.form, false), c.status, &e)
		if e["error"] != c.code {
			t.Errorf("token, %s: %v; want %s", name, e, c.code)
		}
		if strings.Contains(e["error_description"], clientSecret) {
			t.Errorf("token, %s: the error names the client secret", name)
		}
	}

	// The callback trusts only its own state; GitHub's refusal goes back to Cognito.
	var e map[string]string
	forged := url.Values{"code": {"good"}, "state": {"eyJhbGciOiJub25lIn0.eyJyIjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUifQ."}}
	if getJSON(t, get(t, issuer+"/callback?"+forged.Encode()), http.StatusBadRequest, &e); e["error"] != "invalid_request" {
		t.Errorf("callback with a forged state: %v", e)
	}
	q := url.Values{"client_id": {clientID}, "redirect_uri": {idpResponse}, "state": {"s"}, "scope": {"openid"}, "response_type": {"code"}}
	toGitHub, _ := url.Parse(getJSON(t, get(t, issuer+"/authorize?"+q.Encode()), http.StatusFound, nil).Header.Get("Location"))
	declined := url.Values{"error": {"access_denied"}, "state": {toGitHub.Query().Get("state")}}
	back, _ := url.Parse(getJSON(t, get(t, issuer+"/callback?"+declined.Encode()), http.StatusFound, nil).Header.Get("Location"))
	if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != "s" || back.Query().Get("code") != "" {
		t.Errorf("a sign-in declined at GitHub goes back as %s", back)
	}

	getJSON(t, get(t, issuer+"/userinfo"), http.StatusUnauthorized, &e)
	req := get(t, issuer+"/userinfo")
	req.Header.Set("Authorization", "Bearer gho_forged")
	if getJSON(t, req, http.StatusUnauthorized, &e); e["error"] != "invalid_token" {
		t.Errorf("userinfo with a token GitHub refuses: %v", e)
	}
}

// TestRotationPublishesEveryKeyAndSignsWithTheFirst: during a rotation the secret holds two
// keys; the JWKS shows both, each under its own stable kid (the first signs: keys_test.go);
// what is not an RSA key is refused.
func TestRotationPublishesEveryKeyAndSignsWithTheFirst(t *testing.T) {
	oldKey, newKey := githuboidc.GenerateKeys(), githuboidc.GenerateKeys()
	both, err := githuboidc.ParseKeys(append(oldKey.EncodePEM(), newKey.EncodePEM()...))
	if err != nil {
		t.Fatal(err)
	}
	jwks := both.JWKS()
	if len(jwks.Keys) != 2 || jwks.Keys[0].Kid != oldKey.JWKS().Keys[0].Kid || jwks.Keys[1].Kid != newKey.JWKS().Keys[0].Kid {
		t.Fatalf("JWKS %+v; want the old key then the new, each with its own kid", jwks)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := githuboidc.ParseKeys([]byte(bad)); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
