package localmode_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/vendorportal/orgs/internal/tokens"
)

// userCodeRE is the contract's user code: 8 letters of BCDFGHJKLMNPQRSTVWXZ as XXXX-XXXX.
var userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// deviceClient is a stock OAuth 2.0 device-flow client (golang.org/x/oauth2) pointed at the
// stack, sending its client id in the form as public clients do.
func (s *stack) deviceClient(name string) (*oauth2.Config, context.Context) {
	cfg := &oauth2.Config{ClientID: name, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: s.srv.URL + "/v1/device/code", TokenURL: s.srv.URL + "/v1/device/token", AuthStyle: oauth2.AuthStyleInParams,
	}}
	return cfg, context.WithValue(s.t.Context(), oauth2.HTTPClient, s.srv.Client())
}

// form posts an RFC 8628 form to path.
func (s *stack) form(path string, v url.Values) response {
	s.t.Helper()
	return s.do("POST", path, "", v.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

func TestPersonalTokensAndTheDeviceSignInWithAStockOAuthClient(t *testing.T) {
	s := startStack(t)
	ada, bob := s.newUser(), s.newUser()
	acme := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Acme"}`), 201)
	id, handle := acme.str("id"), acme.str("handle")
	s.join(ada, bob, id, "user")

	// A personal token made in the portal signs a tool in, like the org token.
	made := decode[map[string]any](t, s.do("POST", "/v1/orgs/"+id+"/me/tokens", bob.tokens.IDToken, `{"name":"laptop","expiresInDays":30}`), 201)
	personal, _ := made["token"].(string)
	if !strings.HasPrefix(personal, "vpu_") || !tokens.WellFormed(personal) {
		t.Fatalf("token %q", personal)
	}
	decode[entitlementsJSON](t, s.tool(bob.email, personal), 200)

	// The CLI asks for a code, the user approves it in the portal, the CLI gets its token.
	cfg, ctx := s.deviceClient("acme-cli")
	auth, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("org", handle))
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if !userCodeRE.MatchString(auth.UserCode) || auth.VerificationURI != appOrigin+"/device" || auth.Interval != 5 ||
		auth.VerificationURIComplete != appOrigin+"/device?user_code="+auth.UserCode || auth.Expiry.IsZero() {
		t.Errorf("device auth %+v", auth)
	}
	page := decode[map[string]any](t, s.do("GET", "/v1/device/"+strings.ToLower(auth.UserCode), bob.tokens.IDToken, ""), 200)
	if page["orgName"] != "Acme" || page["orgHandle"] != handle || page["clientName"] != "acme-cli" {
		t.Errorf("approval page %v", page)
	}
	// Someone not in the org can't approve it.
	stranger := s.newUser()
	if r := s.do("POST", "/v1/device/"+auth.UserCode+"/approve", stranger.tokens.IDToken, ""); r.status != http.StatusNotFound {
		t.Errorf("a stranger's approval: %s, want 404", r)
	}
	if r := s.do("POST", "/v1/device/"+auth.UserCode+"/approve", bob.tokens.IDToken, ""); r.status != http.StatusNoContent {
		t.Fatalf("approve: %s", r)
	}
	tok, err := cfg.DeviceAccessToken(ctx, auth)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if !strings.HasPrefix(tok.AccessToken, "vpu_") || tok.Extra("org_id") != id || tok.Extra("email") != bob.email {
		t.Errorf("token %+v (org %v, email %v)", tok, tok.Extra("org_id"), tok.Extra("email"))
	}
	decode[entitlementsJSON](t, s.tool(bob.email, tok.AccessToken), 200)
	// Handed out once: the next poll is told the code is spent; the user code is used.
	again := s.form("/v1/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {auth.DeviceCode}, "client_id": {"acme-cli"}})
	if again.status != 400 || !strings.Contains(string(again.body), `"expired_token"`) {
		t.Errorf("second poll: %s, want 400 expired_token", again)
	}
	if r := s.do("GET", "/v1/device/"+auth.UserCode, bob.tokens.IDToken, ""); r.status != http.StatusNotFound {
		t.Errorf("a used user code: %s, want 404", r)
	}
	// The approval's token is bob's, named after the client, and listed with his others.
	mine := decode[map[string][]map[string]any](t, s.do("GET", "/v1/orgs/"+id+"/me/tokens", bob.tokens.IDToken, ""), 200)
	if len(mine["items"]) != 2 || mine["items"][0]["name"] != "acme-cli" {
		t.Errorf("bob's tokens: %v", mine["items"])
	}

	// Declined: the stock client gets access_denied.
	auth2, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("org", handle))
	if err != nil {
		t.Fatal(err)
	}
	pending := s.form("/v1/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {auth2.DeviceCode}, "client_id": {"acme-cli"}})
	if pending.status != 400 || !strings.Contains(string(pending.body), `"authorization_pending"`) {
		t.Errorf("first poll: %s, want authorization_pending", pending)
	}
	fast := s.form("/v1/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {auth2.DeviceCode}, "client_id": {"acme-cli"}})
	if fast.status != 400 || !strings.Contains(string(fast.body), `"slow_down"`) {
		t.Errorf("a poll at once after: %s, want slow_down", fast)
	}
	if r := s.do("POST", "/v1/device/"+auth2.UserCode+"/deny", ada.tokens.IDToken, ""); r.status != http.StatusNoContent {
		t.Fatalf("deny: %s", r)
	}
	_, err = cfg.DeviceAccessToken(ctx, auth2)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "access_denied" {
		t.Errorf("a declined code: %v, want access_denied", err)
	}

	// An unknown org: the RFC's invalid_request.
	unknown := s.do("POST", "/v1/device/code", "", `{"client_id":"acme-cli","org":"no-such-org-here"}`)
	if unknown.status != 400 || !strings.Contains(string(unknown.body), `"error":"invalid_request"`) {
		t.Errorf("unknown org: %s", unknown)
	}
}

func TestADeviceTokenIsHandedOutOnceUnderConcurrentPolls(t *testing.T) {
	s := startStack(t)
	ada := s.newUser()
	acme := decode[org](t, s.do("POST", "/v1/orgs", ada.tokens.IDToken, `{"name":"Acme"}`), 201)
	start := decode[map[string]any](t, s.form("/v1/device/code", url.Values{"client_id": {"ci"}, "org": {acme.str("handle")}}), 200)
	code, _ := start["device_code"].(string)
	user, _ := start["user_code"].(string)
	if r := s.do("POST", "/v1/device/"+user+"/approve", ada.tokens.IDToken, ""); r.status != http.StatusNoContent {
		t.Fatalf("approve: %s", r)
	}
	var wg sync.WaitGroup
	got := make([]response, 2)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = s.form("/v1/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {code}, "client_id": {"ci"}})
		}()
	}
	wg.Wait()
	ok, spent := 0, 0
	for _, r := range got {
		switch {
		case r.status == 200 && strings.Contains(string(r.body), `"access_token":"vpu_`):
			ok++
		case r.status == 400 && strings.Contains(string(r.body), `"expired_token"`):
			spent++
		}
	}
	if ok != 1 || spent != 1 {
		t.Errorf("two concurrent polls answered %v and %v: want one token and one expired_token", got[0], got[1])
	}
}

func TestWrongUserCodesAreLimited(t *testing.T) {
	s := startStack(t)
	ada := s.newUser()
	for i := range 10 {
		if r := s.do("GET", "/v1/device/BCDF-GHJK", ada.tokens.IDToken, ""); r.status != http.StatusNotFound {
			t.Fatalf("wrong code %d: %s, want 404", i, r)
		}
	}
	if r := s.do("GET", "/v1/device/BCDF-GHJK", ada.tokens.IDToken, ""); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("the eleventh wrong code in a minute: %s, want 429 with Retry-After", r)
	}
}
