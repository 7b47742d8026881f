package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "http://127.0.0.1:1/local_pool"
	testClientID = "client-1"
)

// testSigner signs tokens with one RSA key and returns a Verifier that trusts it.
func testSigner(t *testing.T) (func(jwt.MapClaims) string, *Verifier) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	kf, err := keyfunc.NewJWKSetJSON(jwks)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c jwt.MapClaims) string {
		c["iss"] = testIssuer
		c["iat"] = time.Now().Unix()
		c["exp"] = time.Now().Add(time.Hour).Unix()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return sign, &Verifier{issuer: testIssuer, audience: testClientID, keys: kf}
}

// API Gateway's JWT authorizer checks aud when the token has one (ID tokens) and client_id
// only when it has none (access tokens): a token for another client is refused even when it
// also names this client in client_id.
func TestVerifyChecksAudienceWhenPresentWithoutFallingBackToClientID(t *testing.T) {
	sign, v := testSigner(t)
	for name, tc := range map[string]struct {
		claims jwt.MapClaims
		ok     bool
	}{
		"id token for this client":                  {jwt.MapClaims{"sub": "u", "aud": testClientID}, true},
		"access token for this client":              {jwt.MapClaims{"sub": "u", "client_id": testClientID}, true},
		"id token for another client":               {jwt.MapClaims{"sub": "u", "aud": "other"}, false},
		"another audience with this client_id":      {jwt.MapClaims{"sub": "u", "aud": "other", "client_id": testClientID}, false},
		"access token for another client":           {jwt.MapClaims{"sub": "u", "client_id": "other"}, false},
		"neither audience nor client id":            {jwt.MapClaims{"sub": "u"}, false},
		"this audience with another client_id":      {jwt.MapClaims{"sub": "u", "aud": testClientID, "client_id": "other"}, true},
		"audience list holding this client is fine": {jwt.MapClaims{"sub": "u", "aud": []string{"x", testClientID}}, true},
	} {
		_, err := v.Verify(sign(tc.claims))
		if (err == nil) != tc.ok {
			t.Errorf("%s: Verify error %v, want ok=%v", name, err, tc.ok)
		}
	}
}

// API Gateway's authorizer takes the Authorization header's token with or without the
// "Bearer " prefix.
func TestAuthorizeAcceptsABareTokenAsAPIGatewayDoes(t *testing.T) {
	sign, v := testSigner(t)
	tok := sign(jwt.MapClaims{"sub": "u1", "aud": testClientID})
	e := &endpoint{verifier: v}
	for _, h := range []string{"Bearer " + tok, tok, "bearer " + tok} {
		r := httptest.NewRequest("GET", "/v1/me", nil)
		r.Header.Set("Authorization", h)
		claims, ok := e.authorize(r)
		if !ok || claims["sub"] != "u1" {
			t.Errorf("Authorization %.12q…: ok=%v claims=%v, want the token's claims", h, ok, claims)
		}
	}
	r := httptest.NewRequest("GET", "/v1/me", nil)
	if _, ok := e.authorize(r); ok {
		t.Error("no Authorization header was accepted")
	}
}
