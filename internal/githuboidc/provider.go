// Package githuboidc is a small OpenID Connect provider in front of GitHub's OAuth, which is
// not OpenID Connect, so that the Cognito user pool can federate GitHub sign-in as an OIDC
// identity provider.
//
// The flow: authorize checks Cognito's request and sends the browser to GitHub, GitHub's
// redirect coming back to the provider's callback with a state that carries Cognito's state,
// nonce and redirect URI; callback sends the browser on to Cognito with a code of the
// provider's own that carries GitHub's code, the nonce and the redirect URI; token exchanges
// GitHub's code at GitHub with the client credentials Cognito presents (the GitHub OAuth app's
// id and secret, which the provider itself never holds), reads the user and their verified
// primary email from GitHub's API, and answers with GitHub's access token and an ID token this
// provider signs (RS256, keys in KeySet) with the nonce Cognito asked for; userinfo reads the
// same claims with that access token. Only the configured client id is served, and only to the
// allowed redirect URIs, so the provider signs tokens for one GitHub app and one Cognito
// domain.
//
// The provider keeps no state: its state and codes are short-lived tokens it signs itself
// (each kind with a type of its own, so one can't pass for another); nothing to store. GitHub's
// code is single-use, so a replayed code of the provider's fails at GitHub.
package githuboidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of GitHub's endpoints.
const (
	DefaultGitHubURL    = "https://github.com"
	DefaultGitHubAPIURL = "https://api.github.com"
)

// Lifetimes of what the provider signs. An ID token and a code are used at once, in the same
// sign-in; the state lasts while the person is at GitHub (signing in, maybe with two factors).
const (
	IDTokenLifetime = 5 * time.Minute
	CodeLifetime    = 5 * time.Minute
	StateLifetime   = 15 * time.Minute
)

// The kinds ("typ") of what the provider signs besides ID tokens.
const (
	typState = "state+jwt"
	typCode  = "code+jwt"
)

// flow is what the state and the code carry through GitHub and the browser.
type flow struct {
	State       string `json:"s,omitempty"`
	Nonce       string `json:"n,omitempty"`
	RedirectURI string `json:"r"`
	GitHubCode  string `json:"c,omitempty"`
	Exp         int64  `json:"exp"`
}

// githubScopes are what the provider needs of GitHub: the profile and the email addresses.
const githubScopes = "read:user user:email"

// Provider serves the OIDC endpoints. Its fields are set once, at the cold start.
type Provider struct {
	// Issuer is the provider's issuer URL (no trailing slash): the "iss" of its ID tokens and
	// the base of its endpoints (<Issuer>/authorize, /token, /userinfo, /jwks,
	// /.well-known/openid-configuration).
	Issuer string
	// ClientID is the GitHub OAuth app's client id, the only client served.
	ClientID string
	// RedirectURIs are the redirect URIs allowed (Cognito's <domain>/oauth2/idpresponse).
	RedirectURIs []string
	// Keys sign the ID tokens, the state and the codes, and make the JWKS; every endpoint but
	// discovery and userinfo needs them.
	Keys *KeySet
	// GitHubURL and GitHubAPIURL are GitHub's web and API bases (a fake's in tests).
	GitHubURL, GitHubAPIURL string
	// HTTP makes the calls to GitHub.
	HTTP *http.Client
	Now  func() time.Time
}

// Error is an OAuth 2.0 error (RFC 6749 §5.2): Code is the "error" value, Status the HTTP
// status to answer with. Description never holds a credential.
type Error struct {
	Status      int
	Code        string
	Description string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func oauthError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

// Discovery is the OpenID Provider metadata (OpenID Connect Discovery 1.0).
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

// CallbackURL is where GitHub sends the browser back to: the GitHub OAuth app's callback URL.
func (p *Provider) CallbackURL() string { return p.Issuer + "/callback" }

// Discovery returns the provider's metadata.
func (p *Provider) Discovery() Discovery {
	return Discovery{
		Issuer:                            p.Issuer,
		AuthorizationEndpoint:             p.Issuer + "/authorize",
		TokenEndpoint:                     p.Issuer + "/token",
		UserinfoEndpoint:                  p.Issuer + "/userinfo",
		JWKSURI:                           p.Issuer + "/jwks",
		ResponseTypesSupported:            []string{"code"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ScopesSupported:                   []string{"openid", "email", "profile"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic"},
		GrantTypesSupported:               []string{"authorization_code"},
		ClaimsSupported:                   []string{"sub", "email", "email_verified", "name", "preferred_username", "picture"},
	}
}

// AuthorizeRedirect checks an authorization request and returns the GitHub URL to send the
// browser to. Errors here are not redirected back (RFC 6749 §4.1.2.1 forbids it for a bad
// client or redirect URI, and the others come from Cognito, never from a person).
func (p *Provider) AuthorizeRedirect(q url.Values) (string, error) {
	if q.Get("client_id") != p.ClientID {
		return "", oauthError(http.StatusBadRequest, "unauthorized_client", "unknown client_id")
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(p.RedirectURIs, redirect) {
		return "", oauthError(http.StatusBadRequest, "invalid_request", "redirect_uri is not one this provider serves")
	}
	if q.Get("response_type") != "code" {
		return "", oauthError(http.StatusBadRequest, "unsupported_response_type", "response_type must be code")
	}
	if !slices.Contains(strings.Fields(q.Get("scope")), "openid") {
		return "", oauthError(http.StatusBadRequest, "invalid_scope", "scope must include openid")
	}
	state, err := p.Keys.sign(typState, flow{
		State: q.Get("state"), Nonce: q.Get("nonce"), RedirectURI: redirect, Exp: p.Now().Add(StateLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	v := url.Values{
		"client_id":    {p.ClientID},
		"redirect_uri": {p.CallbackURL()},
		"scope":        {githubScopes},
		"state":        {state},
		"allow_signup": {"true"},
	}
	return strings.TrimRight(p.GitHubURL, "/") + "/login/oauth/authorize?" + v.Encode(), nil
}

// Callback takes GitHub's redirect back (its code and the provider's state, or GitHub's
// error) and returns where to send the browser: Cognito's redirect URI with a code of the
// provider's and Cognito's state. A state that is not the provider's, or has expired, is
// refused without a redirect: it names no redirect URI that can be trusted.
func (p *Provider) Callback(q url.Values) (string, error) {
	var f flow
	if err := p.Keys.verify(q.Get("state"), typState, p.Now().Unix(), &f); err != nil {
		return "", oauthError(http.StatusBadRequest, "invalid_request", "the state is not this provider's or has expired; start the sign-in again")
	}
	back := url.Values{}
	if f.State != "" {
		back.Set("state", f.State)
	}
	switch {
	case q.Get("error") != "":
		// The person declined at GitHub (access_denied) or GitHub refused: Cognito says so.
		back.Set("error", "access_denied")
		back.Set("error_description", "GitHub did not authorize the sign-in: "+q.Get("error"))
	case q.Get("code") == "":
		return "", oauthError(http.StatusBadRequest, "invalid_request", "GitHub sent no code")
	default:
		code, err := p.Keys.sign(typCode, flow{
			Nonce: f.Nonce, RedirectURI: f.RedirectURI, GitHubCode: q.Get("code"), Exp: p.Now().Add(CodeLifetime).Unix(),
		})
		if err != nil {
			return "", err
		}
		back.Set("code", code)
	}
	sep := "?"
	if strings.Contains(f.RedirectURI, "?") {
		sep = "&"
	}
	return f.RedirectURI + sep + back.Encode(), nil
}

// TokenRequest is an authorization-code token request. The client credentials come from the
// form (client_secret_post) or the Authorization header (client_secret_basic).
type TokenRequest struct {
	GrantType, Code, RedirectURI string
	ClientID, ClientSecret       string
}

// TokenResponse is the token endpoint's answer.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token"`
}

// Claims are the user's claims, in the ID token and from userinfo. Sub is GitHub's numeric
// user id, which unlike the login never changes.
type Claims struct {
	Sub               string `json:"sub"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	Name              string `json:"name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Picture           string `json:"picture,omitempty"`
}

type idToken struct {
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
	Claims
}

// Token exchanges GitHub's code for GitHub's access token and answers with it and an ID token.
func (p *Provider) Token(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	if req.GrantType != "authorization_code" {
		return nil, oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
	}
	if req.ClientID != p.ClientID || req.ClientSecret == "" {
		return nil, oauthError(http.StatusUnauthorized, "invalid_client", "unknown client or no client secret")
	}
	if req.Code == "" {
		return nil, oauthError(http.StatusBadRequest, "invalid_request", "code is required")
	}
	var f flow
	if err := p.Keys.verify(req.Code, typCode, p.Now().Unix(), &f); err != nil {
		return nil, oauthError(http.StatusBadRequest, "invalid_grant", "the code is not this provider's or has expired")
	}
	// The code was issued for one redirect URI (RFC 6749 §4.1.3).
	if req.RedirectURI != f.RedirectURI {
		return nil, oauthError(http.StatusBadRequest, "invalid_grant", "redirect_uri is not the one the code was issued for")
	}
	form := url.Values{"client_id": {req.ClientID}, "client_secret": {req.ClientSecret}, "code": {f.GitHubCode}, "redirect_uri": {p.CallbackURL()}}
	var gh struct {
		AccessToken      string `json:"access_token"`
		TokenType        string `json:"token_type"`
		Scope            string `json:"scope"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.GitHubURL, "/")+"/login/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header.Set("Accept", "application/json")
	if err := p.do(hreq, &gh); err != nil {
		return nil, err
	}
	switch {
	case gh.Error == "incorrect_client_credentials":
		return nil, oauthError(http.StatusUnauthorized, "invalid_client", "GitHub refused the client credentials")
	case gh.Error != "":
		// bad_verification_code (expired, used, or for another redirect URI) and the like.
		return nil, oauthError(http.StatusBadRequest, "invalid_grant", "GitHub refused the code: %s", gh.Error)
	case gh.AccessToken == "":
		return nil, fmt.Errorf("githuboidc: GitHub answered the code exchange without an access token")
	}
	claims, err := p.UserInfo(ctx, gh.AccessToken)
	if err != nil {
		return nil, err
	}
	now := p.Now()
	signed, err := p.Keys.sign("JWT", idToken{
		Iss: p.Issuer, Aud: p.ClientID, Iat: now.Unix(), Exp: now.Add(IDTokenLifetime).Unix(), AuthTime: now.Unix(),
		Nonce: f.Nonce, Claims: *claims,
	})
	if err != nil {
		return nil, err
	}
	return &TokenResponse{
		AccessToken: gh.AccessToken, TokenType: "Bearer", ExpiresIn: int(time.Hour / time.Second),
		Scope: "openid email profile", IDToken: signed,
	}, nil
}

// UserInfo reads the user's claims from GitHub with GitHub's access token. A user without a
// verified primary email is refused: the product's accounts are keyed by verified addresses.
func (p *Provider) UserInfo(ctx context.Context, accessToken string) (*Claims, error) {
	if accessToken == "" {
		return nil, oauthError(http.StatusUnauthorized, "invalid_token", "a bearer token is required")
	}
	var user struct {
		ID        int64  `json:"id"`
		Login     string `json:"login"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
	}
	if err := p.api(ctx, accessToken, "/user", &user); err != nil {
		return nil, err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := p.api(ctx, accessToken, "/user/emails", &emails); err != nil {
		return nil, err
	}
	if user.ID == 0 {
		return nil, fmt.Errorf("githuboidc: GitHub's /user has no id")
	}
	c := &Claims{Sub: strconv.FormatInt(user.ID, 10), Name: user.Name, PreferredUsername: user.Login, Picture: user.AvatarURL}
	for _, e := range emails {
		if e.Primary && e.Verified {
			c.Email, c.EmailVerified = e.Email, true
		}
	}
	if c.Email == "" {
		return nil, oauthError(http.StatusForbidden, "access_denied", "the GitHub account has no verified primary email address; verify it at GitHub and sign in again")
	}
	return c, nil
}

// api GETs path of GitHub's API into v. A refused token is the caller's error.
func (p *Provider) api(ctx context.Context, token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.GitHubAPIURL, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	return p.do(req, v)
}

var errUpstream = errors.New("githuboidc: GitHub")

// do sends req and decodes a 2xx JSON answer into v. 401 and 403 from GitHub mean the token
// is bad or lacks the scope: invalid_token. Anything else is GitHub's failure, not the caller's.
func (p *Provider) do(req *http.Request, v any) error {
	client := p.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", errUpstream, req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", errUpstream, req.Method, req.URL.Path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return oauthError(http.StatusUnauthorized, "invalid_token", "GitHub refused the access token")
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%w: %s %s: status %d", errUpstream, req.Method, req.URL.Path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s %s: %w", errUpstream, req.Method, req.URL.Path, err)
	}
	return nil
}
