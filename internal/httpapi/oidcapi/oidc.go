package oidcapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/githuboidc"
	"github.com/vendorportal/orgs/internal/httpapi"
)

// The GitHub OIDC provider's handlers answer as OAuth and OpenID Connect say, not as the
// product's API does: OAuth errors are {"error": code, "error_description": text}.

func buildGitHubOIDCDiscovery(env *app.Env) httpapi.Handler {
	doc := env.GitHubOIDC().Discovery()
	return func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
		return cacheable(httpapi.JSON(http.StatusOK, doc)), nil
	}
}

func buildGitHubOIDCJWKS(env *app.Env) httpapi.Handler {
	keys := env.GitHubOIDCSigning().Keys.JWKS()
	return func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
		return cacheable(httpapi.JSON(http.StatusOK, keys)), nil
	}
}

func buildGitHubOIDCAuthorize(env *app.Env) httpapi.Handler {
	return redirectWith(env.GitHubOIDCSigning().AuthorizeRedirect)
}

func buildGitHubOIDCCallback(env *app.Env) httpapi.Handler {
	return redirectWith(env.GitHubOIDCSigning().Callback)
}

// redirectWith answers a browser's request with a redirect to where next says, or an OAuth
// error.
func redirectWith(next func(url.Values) (string, error)) httpapi.Handler {
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		q := url.Values{}
		for k, v := range req.Event.QueryStringParameters {
			q.Set(k, v)
		}
		to, err := next(q)
		if err != nil {
			return oauthErrorResponse(err)
		}
		return &httpapi.Response{Status: http.StatusFound, Headers: map[string]string{"Location": to, "Cache-Control": "no-store"}}, nil
	}
}

func buildGitHubOIDCToken(env *app.Env) httpapi.Handler {
	p := env.GitHubOIDCSigning()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		form, err := url.ParseQuery(string(req.Body()))
		if err != nil {
			return oauthErrorResponse(&githuboidc.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the body must be a form"})
		}
		tr := githuboidc.TokenRequest{
			GrantType: form.Get("grant_type"), Code: form.Get("code"), RedirectURI: form.Get("redirect_uri"),
			ClientID: form.Get("client_id"), ClientSecret: form.Get("client_secret"),
		}
		if id, secret, ok := basicAuth(req.Event.Headers["authorization"]); ok {
			tr.ClientID, tr.ClientSecret = id, secret
		}
		out, err := p.Token(ctx, tr)
		if err != nil {
			return oauthErrorResponse(err)
		}
		r := httpapi.JSON(http.StatusOK, out)
		r.Headers = map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache"}
		return r, nil
	}
}

func buildGitHubOIDCUserInfo(env *app.Env) httpapi.Handler {
	p := env.GitHubOIDC()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		token, ok := strings.CutPrefix(req.Event.Headers["authorization"], "Bearer ")
		if !ok {
			token, _ = strings.CutPrefix(req.Event.Headers["authorization"], "bearer ")
		}
		claims, err := p.UserInfo(ctx, strings.TrimSpace(token))
		if err != nil {
			return oauthErrorResponse(err)
		}
		r := httpapi.JSON(http.StatusOK, claims)
		r.Headers = map[string]string{"Cache-Control": "no-store"}
		return r, nil
	}
}

// oauthErrorResponse answers an OAuth error in OAuth's shape; any other error is the
// service's failure and goes to the glue (logged, a 500 without detail).
func oauthErrorResponse(err error) (*httpapi.Response, error) {
	var oe *githuboidc.Error
	if !errors.As(err, &oe) {
		return nil, err
	}
	r := httpapi.JSON(oe.Status, map[string]string{"error": oe.Code, "error_description": oe.Description})
	r.Headers = map[string]string{"Cache-Control": "no-store"}
	if oe.Status == http.StatusUnauthorized {
		r.Headers["WWW-Authenticate"] = `Bearer error="` + oe.Code + `"`
	}
	return r, nil
}

// cacheable lets Cognito and browsers keep a public document for a few minutes.
func cacheable(r *httpapi.Response) *httpapi.Response {
	r.Headers = map[string]string{"Cache-Control": "public, max-age=300"}
	return r
}

// basicAuth reads HTTP Basic client credentials (client_secret_basic: both parts
// form-url-encoded, RFC 6749 §2.3.1).
func basicAuth(header string) (id, secret string, ok bool) {
	enc, found := strings.CutPrefix(header, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if s, err := url.QueryUnescape(secret); err == nil {
		secret = s
	}
	return id, secret, true
}
