package localmode_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

// The tests serve the pool's Lambda triggers, so the package runs its own cognito-local.
func TestMain(m *testing.M) {
	testenv.ServeTriggers()
	testenv.Main(m)
}

const (
	appOrigin = "http://localhost:3000"
	password  = "Corr3ct-Horse-Battery!"
	// unauthorized is the JWT authorizer's own 401 body, byte for byte.
	unauthorized = `{"message":"Unauthorized"}`
)

// handleRE is the contract's handle rule: 3–39 of a-z0-9-, not starting or ending with '-'.
var handleRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,37}[a-z0-9]$`)

// orgFields are the fields of the contract's org object: every one is always present.
var orgFields = []string{"id", "kind", "handle", "name", "displayName", "avatarUrl", "contactName",
	"contactEmail", "companyName", "supportTicketVisibility", "membersCanInvite", "autoJoin", "billingContacts",
	"createdAt", "role"}

// stack is the local API served over real HTTP against the stand-ins, with a table and a user
// pool of the test's own.
type stack struct {
	t       *testing.T
	api     *localmode.API
	srv     *httptest.Server
	cognito *cognitoidentityprovider.Client
	// endpoint is the Cognito stand-in's, from which the issuer derives.
	endpoint string
	// otherPool is a second pool on the same stand-in, signed by the same key: its tokens
	// differ from the API's pool's only in issuer and audience.
	otherPool standins.Pool
}

// syncBuffer collects the API's log; it is printed only when the test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ddb, table := testenv.DynamoDB(t)
	cognito, otherPool, cognitoEndpoint := testenv.Cognito(t)
	sesEndpoint := testenv.SES(t)

	var logs syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("API log:\n%s", logs.String())
		}
	})
	poolName := "e2e-" + strings.ToLower(rand.Text()[:12])
	api, err := localmode.New(t.Context(), localmode.Options{
		DynamoDBEndpoint: aws.ToString(ddb.Options().BaseEndpoint),
		CognitoEndpoint:  cognitoEndpoint,
		SESEndpoint:      sesEndpoint,
		TableName:        table,
		PoolName:         poolName,
		Config: app.Config{Region: "us-east-1", AppURL: appOrigin, AllowedOrigins: []string{appOrigin},
			MailFrom: "no-reply@example.com"},
		Log:            slog.New(slog.NewJSONHandler(&logs, nil)),
		LambdaEndpoint: testenv.LambdaEndpoint(t),
	})
	if err != nil {
		t.Fatalf("localmode.New: %v", err)
	}
	failOnDenied(t, api)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cognito.DeleteUserPool(ctx, &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: aws.String(api.Pool.ID)}); err != nil {
			t.Logf("delete user pool %s: %v", api.Pool.ID, err)
		}
	})
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	return &stack{t: t, api: api, srv: srv, cognito: cognito, endpoint: cognitoEndpoint, otherPool: otherPool}
}

// user is a person with an account in the API's user pool, signed in.
type user struct {
	email  string
	sub    string
	tokens standins.Tokens
}

func (s *stack) newUser() user {
	s.t.Helper()
	email := testenv.UniqueAddress(s.t)
	sub, err := standins.CreateUser(s.t.Context(), s.cognito, s.api.Pool, email, password, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	tokens, err := standins.SignIn(s.t.Context(), s.cognito, s.api.Pool, email, password)
	if err != nil {
		s.t.Fatal(err)
	}
	return user{email: email, sub: sub, tokens: tokens}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends one request; token "" sends no Authorization header.
func (s *stack) do(method, path, token, body string, header ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode unmarshals a response body, failing the test on a status other than want.
func decode[T any](t *testing.T, r response, want int) T {
	t.Helper()
	var v T
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}

// apiError is the contract's error shape; it checks the body has exactly that shape.
func apiError(t *testing.T, r response, status int, code string) string {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if r.status != status {
		t.Fatalf("status %d, want %d %s: %s", r.status, status, code, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if b.Error.Code != code || b.Error.Message == "" {
		t.Fatalf("error %q %q, want code %q with a message", b.Error.Code, b.Error.Message, code)
	}
	return b.Error.Message
}

type meJSON struct {
	User struct {
		ID        string  `json:"id"`
		Email     string  `json:"email"`
		Name      *string `json:"name"`
		Phone     *string `json:"phone"`
		CreatedAt string  `json:"createdAt"`
	} `json:"user"`
	PersonalOrgID string `json:"personalOrgId"`
	Orgs          []struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Role   string `json:"role"`
	} `json:"orgs"`
}

// org is an org object as raw fields, so that absent and null can be told apart.
type org map[string]any

func (o org) str(field string) string { s, _ := o[field].(string); return s }

// checkOrgObject checks that o has every field of the contract's org object and no other.
func checkOrgObject(t *testing.T, o org) {
	t.Helper()
	if got := slices.Sorted(maps.Keys(o)); !slices.Equal(got, slices.Sorted(slices.Values(orgFields))) {
		t.Errorf("org object fields %v, want %v", got, slices.Sorted(slices.Values(orgFields)))
	}
	created, err := time.Parse(time.RFC3339, o.str("createdAt"))
	if err != nil || created.Location() != time.UTC || !strings.HasSuffix(o.str("createdAt"), "Z") {
		t.Errorf("createdAt %v is not RFC 3339 in UTC", o["createdAt"])
	}
	if bc, ok := o["billingContacts"].([]any); !ok || bc == nil {
		t.Errorf("billingContacts = %#v, want a list", o["billingContacts"])
	}
}

type orgList struct {
	Items      []org   `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func TestSignedInUserGetsPersonalAccountCreatesOrgAndOthersGet404(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	alice := s.newUser()
	began := time.Now().Add(-2 * time.Second)

	me := decode[meJSON](t, s.do("GET", "/v1/me", alice.tokens.IDToken, ""), 200)
	if me.User.ID != alice.sub || me.User.Email != alice.email || me.User.Name != nil || me.User.Phone != nil {
		t.Errorf("user = %+v, want id %s, email %s, no name or phone", me.User, alice.sub, alice.email)
	}
	if len(me.Orgs) != 1 {
		t.Fatalf("orgs = %+v, want the personal account alone", me.Orgs)
	}
	personal := me.Orgs[0]
	if personal.Kind != "personal" || personal.Role != "admin" || personal.Name != "My Account" || personal.Handle == "" {
		t.Errorf("personal org = %+v, want kind personal, role admin, name My Account, a handle", personal)
	}
	if me.PersonalOrgID == "" || me.PersonalOrgID != personal.ID {
		t.Errorf("personalOrgId %q, want the personal org's id %q", me.PersonalOrgID, personal.ID)
	}
	// Every field of /v1/me is present, unset ones as null.
	raw := decode[struct {
		User map[string]any `json:"user"`
	}](t, s.do("GET", "/v1/me", alice.tokens.IDToken, ""), 200)
	for _, f := range []string{"id", "email", "name", "phone", "createdAt"} {
		if _, ok := raw.User[f]; !ok {
			t.Errorf("GET /v1/me: user.%s is absent", f)
		}
	}

	created := decode[org](t, s.do("POST", "/v1/orgs", alice.tokens.IDToken,
		`{"name":"Acme Robotics","contactEmail":"Ops@Example.com"}`), 201)
	checkOrgObject(t, created)
	want := org{
		"kind": "shared", "handle": "acme-robotics", "name": "Acme Robotics", "displayName": nil,
		"avatarUrl": nil, "contactName": nil, "contactEmail": "ops@example.com", "companyName": nil,
		"supportTicketVisibility": "own", "membersCanInvite": false, "autoJoin": "off", "billingContacts": []any{}, "role": "admin",
	}
	got := maps.Clone(created)
	delete(got, "id")
	delete(got, "createdAt")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("POST /v1/orgs answer (-want +got):\n%s", diff)
	}
	orgID := created.str("id")
	if orgID == "" || orgID == personal.ID {
		t.Fatalf("created org id %q", orgID)
	}
	if at, _ := time.Parse(time.RFC3339, created.str("createdAt")); at.Before(began.Truncate(time.Second)) || at.After(time.Now().Add(2*time.Second)) {
		t.Errorf("createdAt %s is not about now", created.str("createdAt"))
	}

	list := decode[orgList](t, s.do("GET", "/v1/orgs", alice.tokens.IDToken, ""), 200)
	if len(list.Items) != 2 || list.Items[0].str("id") != personal.ID || list.Items[1].str("id") != orgID {
		t.Fatalf("GET /v1/orgs = %+v, want the personal org %s then %s", list.Items, personal.ID, orgID)
	}
	if list.NextCursor != nil {
		t.Errorf("nextCursor %q on the only page", *list.NextCursor)
	}
	for _, o := range list.Items {
		checkOrgObject(t, o)
	}
	if k := list.Items[0].str("kind"); k != "personal" {
		t.Errorf("first org's kind %q, want personal", k)
	}
	if diff := cmp.Diff(created, list.Items[1]); diff != "" {
		t.Errorf("listed org differs from the created one (-created +listed):\n%s", diff)
	}

	one := decode[org](t, s.do("GET", "/v1/orgs/"+orgID, alice.tokens.IDToken, ""), 200)
	if diff := cmp.Diff(created, one); diff != "" {
		t.Errorf("GET /v1/orgs/{id} differs from the created org (-created +got):\n%s", diff)
	}

	me = decode[meJSON](t, s.do("GET", "/v1/me", alice.tokens.IDToken, ""), 200)
	if len(me.Orgs) != 2 || me.Orgs[0].ID != personal.ID || me.Orgs[1].ID != orgID || me.Orgs[1].Kind != "shared" || me.Orgs[1].Role != "admin" {
		t.Errorf("GET /v1/me orgs after creating = %+v", me.Orgs)
	}

	bob := s.newUser()
	for _, id := range []string{orgID, personal.ID} {
		apiError(t, s.do("GET", "/v1/orgs/"+id, bob.tokens.IDToken, ""), 404, "not_found")
	}
	// Bob, once he has an account, still does not see Alice's org in his lists.
	bobs := decode[orgList](t, s.do("GET", "/v1/orgs", bob.tokens.IDToken, ""), 200)
	if len(bobs.Items) != 1 || bobs.Items[0].str("kind") != "personal" {
		t.Errorf("Bob's orgs = %+v, want his personal account alone", bobs.Items)
	}
	apiError(t, s.do("GET", "/v1/orgs/"+orgID, bob.tokens.IDToken, ""), 404, "not_found")
	// An unknown org answers the same as someone else's.
	unknownMsg := apiError(t, s.do("GET", "/v1/orgs/01jd0000000000000000000000", alice.tokens.IDToken, ""), 404, "not_found")
	othersMsg := apiError(t, s.do("GET", "/v1/orgs/"+orgID, bob.tokens.IDToken, ""), 404, "not_found")
	if unknownMsg != othersMsg {
		t.Errorf("an unknown org (%q) and another's org (%q) answer differently", unknownMsg, othersMsg)
	}
}

// standInKey is cognito-local's signing key, published in its npm package: with it a test can
// make tokens that differ from a real one in exactly one claim, so that each rejection shows
// the verifier checks that claim and not merely the signature.
func standInKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	root, err := standins.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "node_modules", "cognito-local", "lib", "keys", "cognitoLocal.private.json"))
	if err != nil {
		t.Fatalf("cognito-local's signing key: %v", err)
	}
	var f struct {
		PEM string `json:"pem"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(f.PEM))
	if block == nil {
		t.Fatal("cognito-local's signing key: no PEM block")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// claimsOf returns a token's claims without verifying it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	return claims
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// with returns a copy of c with the changes applied; a nil value deletes the claim.
func with(c jwt.MapClaims, changes map[string]any) jwt.MapClaims {
	out := maps.Clone(c)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// tamper rewrites a real token's payload and keeps its header and signature.
func tamper(t *testing.T, token string, changes map[string]any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(with(claims, changes))
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestTokensAreVerifiedLikeTheJWTAuthorizer(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	alice := s.newUser()
	me := decode[meJSON](t, s.do("GET", "/v1/me", alice.tokens.IDToken, ""), 200)
	personalPath := "/v1/orgs/" + me.PersonalOrgID

	// A second app client in the same pool, as another application of the vendor's would have.
	other, err := s.cognito.CreateUserPoolClient(t.Context(), &cognitoidentityprovider.CreateUserPoolClientInput{
		UserPoolId: aws.String(s.api.Pool.ID), ClientName: aws.String("another-app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	otherClient := standins.Pool{ID: s.api.Pool.ID, ClientID: aws.ToString(other.UserPoolClient.ClientId)}
	otherClientTokens, err := standins.SignIn(t.Context(), s.cognito, otherClient, alice.email, password)
	if err != nil {
		t.Fatal(err)
	}
	// The same address in another pool of the same stand-in: same signing key, other issuer.
	if _, err := standins.CreateUser(t.Context(), s.cognito, s.otherPool, alice.email, password, nil); err != nil {
		t.Fatal(err)
	}
	otherPoolTokens, err := standins.SignIn(t.Context(), s.cognito, s.otherPool, alice.email, password)
	if err != nil {
		t.Fatal(err)
	}

	realKey := standInKey(t)
	ownKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM, err := x509.MarshalPKIXPublicKey(&realKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicPEM})
	idClaims := claimsOf(t, alice.tokens.IDToken)
	now := time.Now()
	past := map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "auth_time": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}

	// The control: a token made here with the stand-in's key and a real token's claims is
	// accepted, so each rejection below is due to the one thing that case changes.
	control := sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"jti": "control"}))
	if r := s.do("GET", personalPath, control, ""); r.status != 200 {
		t.Fatalf("control token re-signed with the stand-in's key: %s", r)
	}

	cases := []struct {
		name   string
		header string // the whole Authorization header; "" sends none
		proves string
	}{
		{"no token", "", "routes marked signed-in need a token"},
		{"not a bearer token", "Basic " + base64.StdEncoding.EncodeToString([]byte(alice.email+":"+password)), "only the Bearer scheme is read"},
		{"bearer without token", "Bearer ", "an empty token is no token"},
		{"garbage", "Bearer not.a-jwt.at-all", "a string that is not a JWS is rejected"},
		{"signed by another RSA key, stand-in's kid", "Bearer " + sign(t, jwt.SigningMethodRS256, ownKey, "CognitoLocal", idClaims),
			"the signature is checked against the pool's JWKS, not only the claims (iss, aud, exp are all right)"},
		{"signed by another RSA key, unknown kid", "Bearer " + sign(t, jwt.SigningMethodRS256, ownKey, "not-in-the-jwks", idClaims),
			"a key id absent from the JWKS is rejected"},
		{"alg HS256 keyed with the pool's public key", "Bearer " + sign(t, jwt.SigningMethodHS256, publicPEM, "CognitoLocal", idClaims),
			"only RS256 is accepted: the RSA/HMAC key-confusion attack fails"},
		{"alg none", "Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", idClaims),
			"unsigned tokens are rejected"},
		{"expired, tampered payload of a real token", "Bearer " + tamper(t, alice.tokens.IDToken, past),
			"a real token's claims cannot be edited (here its times): the signature covers them. This alone does not show exp is checked"},
		{"expired, properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, past)),
			"exp is checked: the signature is valid and only the times differ from the accepted control"},
		{"without exp, properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"exp": nil})),
			"a token without expiry is rejected"},
		{"not valid yet (nbf in an hour), properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"nbf": now.Add(time.Hour).Unix()})),
			"nbf is checked (API Gateway: nbf must be before the current time)"},
		{"issued in the future (iat in an hour), properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"iat": now.Add(time.Hour).Unix()})),
			"iat is checked (API Gateway: iat must be before the current time)"},
		{"no kid, properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "", idClaims),
			"the header must name the JWKS key that signed the token (API Gateway checks kid)"},
		{"ID token of another app client of the pool", "Bearer " + otherClientTokens.IDToken,
			"the audience must be this API's app client (a real token: right issuer, right key)"},
		{"access token of another app client of the pool", "Bearer " + otherClientTokens.AccessToken,
			"an access token's client_id must be this API's app client"},
		{"ID token of another user pool", "Bearer " + otherPoolTokens.IDToken,
			"a real token of another pool on the same stand-in (same key) is rejected"},
		{"wrong issuer, properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"iss": s.endpoint + "/" + s.otherPool.ID})),
			"the issuer is checked: only iss differs from the accepted control"},
		{"wrong audience, properly signed", "Bearer " + sign(t, jwt.SigningMethodRS256, realKey, "CognitoLocal", with(idClaims, map[string]any{"aud": "some-other-client"})),
			"the audience is checked: only aud differs from the accepted control"},
	}
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/me", ""},
		{"GET", "/v1/orgs", ""},
		{"POST", "/v1/orgs", `{"name":"Should Not Exist"}`},
		{"GET", personalPath, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Logf("proves: %s", c.proves)
			for _, rt := range routes {
				var hdr []string
				if c.header != "" {
					hdr = []string{"Authorization", c.header}
				}
				r := s.do(rt.method, rt.path, "", rt.body, hdr...)
				if r.status != 401 || string(r.body) != unauthorized {
					t.Errorf("%s %s: got %s, want 401 %s", rt.method, rt.path, r, unauthorized)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("%s %s: Content-Type %q", rt.method, rt.path, ct)
				}
			}
		})
	}
	if list := decode[orgList](t, s.do("GET", "/v1/orgs", alice.tokens.IDToken, ""), 200); len(list.Items) != 1 {
		t.Errorf("POST /v1/orgs with tokens that should have been rejected created %d orgs", len(list.Items)-1)
	}

	t.Run("access token on a new user's first call", func(t *testing.T) {
		// The token is valid, so the gateway lets it through; the handler cannot create the
		// account without the email an ID token carries, and says so in the error shape.
		carol := s.newUser()
		msg := apiError(t, s.do("GET", "/v1/me", carol.tokens.AccessToken, ""), 401, "unauthenticated")
		if !strings.Contains(msg, "ID token") {
			t.Errorf("message %q does not tell the client to use the ID token", msg)
		}
		decode[meJSON](t, s.do("GET", "/v1/me", carol.tokens.IDToken, ""), 200)
	})

	t.Run("access token of a user who exists", func(t *testing.T) {
		if c := claimsOf(t, alice.tokens.AccessToken); c["token_use"] != "access" || c["email"] != nil {
			t.Fatalf("not an access token without email: %v", c)
		}
		o := decode[org](t, s.do("GET", personalPath, alice.tokens.AccessToken, ""), 200)
		if o.str("id") != me.PersonalOrgID || o.str("role") != "admin" || o.str("kind") != "personal" {
			t.Errorf("GET %s with the access token = %v", personalPath, o)
		}
		viaID := decode[orgList](t, s.do("GET", "/v1/orgs", alice.tokens.IDToken, ""), 200)
		viaAccess := decode[orgList](t, s.do("GET", "/v1/orgs", alice.tokens.AccessToken, ""), 200)
		if diff := cmp.Diff(viaID, viaAccess); diff != "" || len(viaAccess.Items) == 0 || viaAccess.Items[0].str("id") != me.PersonalOrgID {
			t.Errorf("GET /v1/orgs with the access token differs from with the ID token (-id +access):\n%s", diff)
		}
		meViaAccess := decode[meJSON](t, s.do("GET", "/v1/me", alice.tokens.AccessToken, ""), 200)
		if meViaAccess.User.Email != alice.email || meViaAccess.PersonalOrgID != me.PersonalOrgID {
			t.Errorf("GET /v1/me with the access token = %+v (the email comes from the stored profile)", meViaAccess)
		}
	})
}

func TestConcurrentFirstCallsCreateOnePersonalAccount(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	u := s.newUser()

	const n = 10
	results := make([]response, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", s.srv.URL+"/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+u.tokens.IDToken)
			ready.Done()
			<-start
			resp, err := s.srv.Client().Do(req)
			if err != nil {
				results[i] = response{status: -1, body: []byte(err.Error())}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i] = response{status: resp.StatusCode, body: b}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()

	ids := map[string]int{}
	for i, r := range results {
		if r.status != 200 {
			t.Errorf("call %d: %s", i, r)
			continue
		}
		var me meJSON
		if err := json.Unmarshal(r.body, &me); err != nil {
			t.Fatal(err)
		}
		ids[me.PersonalOrgID]++
	}
	if len(ids) != 1 {
		t.Errorf("personalOrgIds across %d concurrent first calls: %v, want one", n, ids)
	}
	list := decode[orgList](t, s.do("GET", "/v1/orgs", u.tokens.IDToken, ""), 200)
	var personal []string
	for _, o := range list.Items {
		if o.str("kind") == "personal" {
			personal = append(personal, o.str("id"))
		}
	}
	if len(personal) != 1 || len(list.Items) != 1 {
		t.Fatalf("orgs after %d concurrent first calls: %+v, want exactly one personal org", n, list.Items)
	}
	if ids[personal[0]] == 0 && len(ids) > 0 {
		t.Errorf("the listed personal org %s is not the one /v1/me answered %v", personal[0], ids)
	}
}

// A new user's browser may fire several first calls at once, to different routes; each
// of them may be the one that creates the account.
func TestConcurrentFirstCallsToDifferentRoutesCreateOneAccount(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	u := s.newUser()

	type call struct{ method, path, body string }
	calls := []call{{"POST", "/v1/orgs", `{"name":"First Call Inc"}`}}
	for range 4 {
		calls = append(calls, call{"GET", "/v1/me", ""}, call{"GET", "/v1/orgs", ""})
	}
	results := make([]response, len(calls))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req, _ := http.NewRequestWithContext(t.Context(), c.method, s.srv.URL+c.path, body)
			req.Header.Set("Authorization", "Bearer "+u.tokens.IDToken)
			req.Header.Set("Content-Type", "application/json")
			<-start
			resp, err := s.srv.Client().Do(req)
			if err != nil {
				results[i] = response{status: -1, body: []byte(err.Error())}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i] = response{status: resp.StatusCode, body: b}
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		want := 200
		if calls[i].method == "POST" {
			want = 201
		}
		if r.status != want {
			t.Errorf("%s %s: %s, want %d", calls[i].method, calls[i].path, r, want)
		}
	}
	me := decode[meJSON](t, s.do("GET", "/v1/me", u.tokens.IDToken, ""), 200)
	if len(me.Orgs) != 2 || me.Orgs[0].Kind != "personal" || me.Orgs[0].ID != me.PersonalOrgID || me.Orgs[1].Name != "First Call Inc" {
		t.Errorf("orgs after concurrent first calls: %+v, want one personal account and First Call Inc", me.Orgs)
	}
}

func TestCreateOrgValidation(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	u := s.newUser()
	token := u.tokens.IDToken

	cases := []struct {
		name, body string
		status     int
		code       string
		mentions   string
	}{
		{"missing name", `{"handle":"no-name-here"}`, 400, "invalid_request", "name"},
		{"blank name", `{"name":"   "}`, 400, "invalid_request", "name"},
		{"unknown field id", `{"name":"Acme","id":"01jd0000000000000000000000"}`, 400, "invalid_request", "id"},
		{"read-only field kind", `{"name":"Acme","kind":"personal"}`, 400, "invalid_request", "kind"},
		{"handle starting with -", `{"name":"Acme","handle":"-x"}`, 400, "invalid_request", "handle"},
		{"handle ending with -", `{"name":"Acme","handle":"acme-"}`, 400, "invalid_request", "handle"},
		{"reserved handle", `{"name":"Acme","handle":"admin"}`, 400, "invalid_request", "handle"},
		{"handle too short", `{"name":"Acme","handle":"ab"}`, 400, "invalid_request", "handle"},
		{"handle too long", `{"name":"Acme","handle":"` + strings.Repeat("a", 40) + `"}`, 400, "invalid_request", "handle"},
		{"handle with upper case", `{"name":"Acme","handle":"Acme"}`, 400, "invalid_request", "handle"},
		{"bad contactEmail", `{"name":"Acme","contactEmail":"not-an-address"}`, 400, "invalid_request", "contactEmail"},
		{"contactEmail with a display name", `{"name":"Acme","contactEmail":"Ada <ada@example.com>"}`, 400, "invalid_request", "contactEmail"},
		{"bad supportTicketVisibility", `{"name":"Acme","supportTicketVisibility":"everyone"}`, 400, "invalid_request", "supportTicketVisibility"},
		{"name of the wrong type", `{"name":42}`, 400, "invalid_request", "name"},
		{"not JSON", `{"name":`, 400, "invalid_request", "JSON"},
		{"body of exactly 1 MiB is read (and its name is too long)", `{"name":"` + strings.Repeat("a", 1<<20-11) + `"}`, 400, "invalid_request", "name"},
		{"body over 1 MiB", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "payload_too_large", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := apiError(t, s.do("POST", "/v1/orgs", token, c.body), c.status, c.code)
			if !strings.Contains(msg, c.mentions) {
				t.Errorf("message %q does not mention %q", msg, c.mentions)
			}
		})
	}
	if list := decode[orgList](t, s.do("GET", "/v1/orgs", token, ""), 200); len(list.Items) != 1 {
		t.Fatalf("rejected requests created orgs: %+v", list.Items)
	}

	t.Run("taken handle", func(t *testing.T) {
		first := decode[org](t, s.do("POST", "/v1/orgs", token, `{"name":"Taken","handle":"taken-handle"}`), 201)
		if first.str("handle") != "taken-handle" {
			t.Fatalf("handle %q, want taken-handle", first.str("handle"))
		}
		msg := apiError(t, s.do("POST", "/v1/orgs", token, `{"name":"Other","handle":"taken-handle"}`), 409, "conflict")
		if !strings.Contains(msg, "handle") {
			t.Errorf("message %q does not mention the handle", msg)
		}
		other := s.newUser()
		apiError(t, s.do("POST", "/v1/orgs", other.tokens.IDToken, `{"name":"Other","handle":"taken-handle"}`), 409, "conflict")
	})

	t.Run("handle of someone's personal account", func(t *testing.T) {
		other := s.newUser()
		me := decode[meJSON](t, s.do("GET", "/v1/me", other.tokens.IDToken, ""), 200)
		taken := me.Orgs[0].Handle
		msg := apiError(t, s.do("POST", "/v1/orgs", token, fmt.Sprintf(`{"name":"Squatter","handle":%q}`, taken)), 409, "conflict")
		if !strings.Contains(msg, "handle") {
			t.Errorf("message %q does not mention the handle", msg)
		}
	})

	t.Run("derived handles are valid and unique", func(t *testing.T) {
		seen := map[string]bool{}
		for _, name := range []string{"Admin", "!!!", "X", "Ünïcödé", strings.Repeat("Long Name ", 10)[:100]} {
			for range 2 {
				o := decode[org](t, s.do("POST", "/v1/orgs", token, fmt.Sprintf(`{"name":%q}`, name)), 201)
				h := o.str("handle")
				if !handleRE.MatchString(h) || h == "admin" || seen[h] {
					t.Errorf("name %q got handle %q: not a valid, unreserved, unique handle", name, h)
				}
				seen[h] = true
			}
		}
	})

	t.Run("same name without handle", func(t *testing.T) {
		a := decode[org](t, s.do("POST", "/v1/orgs", token, `{"name":"Twin Peaks"}`), 201)
		b := decode[org](t, s.do("POST", "/v1/orgs", token, `{"name":"Twin Peaks"}`), 201)
		ha, hb := a.str("handle"), b.str("handle")
		if ha == hb || !strings.HasPrefix(ha, "twin-peaks") || !strings.HasPrefix(hb, "twin-peaks") {
			t.Errorf("handles %q and %q, want two different ones derived from the name", ha, hb)
		}
		for _, o := range []org{a, b} {
			checkOrgObject(t, o)
			if got := decode[org](t, s.do("GET", "/v1/orgs/"+o.str("id"), token, ""), 200); got.str("handle") != o.str("handle") {
				t.Errorf("stored handle %q, answered %q", got.str("handle"), o.str("handle"))
			}
		}
	})
}

func TestTwoOrgsRacingForOneHandle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	users := []user{s.newUser(), s.newUser()}
	for _, u := range users {
		decode[meJSON](t, s.do("GET", "/v1/me", u.tokens.IDToken, ""), 200)
	}
	const rounds = 5
	for round := range rounds {
		handle := fmt.Sprintf("raced-handle-%d", round)
		results := make([]response, len(users))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+"/v1/orgs",
					strings.NewReader(fmt.Sprintf(`{"name":"Raced %d","handle":%q}`, i, handle)))
				req.Header.Set("Authorization", "Bearer "+u.tokens.IDToken)
				req.Header.Set("Content-Type", "application/json")
				<-start
				resp, err := s.srv.Client().Do(req)
				if err != nil {
					results[i] = response{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				results[i] = response{status: resp.StatusCode, body: b}
			}()
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, r := range results {
			switch r.status {
			case 201:
				if winner >= 0 {
					t.Fatalf("round %d: both got 201: %v", round, results)
				}
				winner = i
			case 409:
				apiError(t, r, 409, "conflict")
			default:
				t.Fatalf("round %d: user %d got %s, want 201 or 409", round, i, r)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no one got the handle: %v", round, results)
		}
		// The loser's write left nothing behind: neither an org nor a membership.
		loser := users[1-winner]
		list := decode[orgList](t, s.do("GET", "/v1/orgs", loser.tokens.IDToken, ""), 200)
		for _, o := range list.Items {
			if o.str("handle") == handle {
				t.Errorf("round %d: the loser is a member of %v", round, o)
			}
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	s := startStack(t)

	preflight := func(origin string) response {
		return s.do("OPTIONS", "/v1/orgs", "", "", "Origin", origin,
			"Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,idempotency-key")
	}
	hasAll := func(list string, want ...string) bool {
		var have []string
		for _, f := range strings.Split(list, ",") {
			have = append(have, strings.ToLower(strings.TrimSpace(f)))
		}
		for _, w := range want {
			if !slices.Contains(have, strings.ToLower(w)) {
				return false
			}
		}
		return true
	}
	corsHeaders := func(h http.Header) []string {
		var names []string
		for k := range h {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				names = append(names, k)
			}
		}
		return names
	}

	r := preflight(appOrigin)
	if r.status != 204 {
		t.Errorf("preflight from %s: status %d", appOrigin, r.status)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != appOrigin {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, appOrigin)
	}
	if m := r.header.Get("Access-Control-Allow-Methods"); !hasAll(m, "GET", "POST", "PUT", "PATCH", "DELETE") {
		t.Errorf("Access-Control-Allow-Methods %q", m)
	}
	if h := r.header.Get("Access-Control-Allow-Headers"); !hasAll(h, "Authorization", "Content-Type", "Idempotency-Key") {
		t.Errorf("Access-Control-Allow-Headers %q", h)
	}
	// A preflight of an org-scoped path is answered the same way.
	if r := s.do("OPTIONS", "/v1/orgs/01jd0000000000000000000000", "", "", "Origin", appOrigin,
		"Access-Control-Request-Method", "GET"); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("preflight of /v1/orgs/{orgId}: %d %v", r.status, r.header)
	}

	for _, origin := range []string{"http://evil.example", "http://localhost:3001", "https://localhost:3000"} {
		r := preflight(origin)
		if names := corsHeaders(r.header); len(names) > 0 {
			t.Errorf("preflight from %s got CORS headers %v", origin, names)
		}
		if r := s.do("GET", "/v1/config", "", "", "Origin", origin); len(corsHeaders(r.header)) > 0 {
			t.Errorf("GET /v1/config from %s got CORS headers %v", origin, corsHeaders(r.header))
		}
	}

	r = s.do("GET", "/v1/config", "", "", "Origin", appOrigin)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("GET /v1/config from %s: %d, Access-Control-Allow-Origin %q", appOrigin, r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	// The browser must be able to read a 401 too, or the frontend cannot tell it to sign in.
	r = s.do("GET", "/v1/me", "", "", "Origin", appOrigin)
	if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("GET /v1/me without a token from %s: %d, Access-Control-Allow-Origin %q", appOrigin, r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	// An answer without Origin carries no CORS headers either.
	if r := s.do("GET", "/v1/config", "", ""); len(corsHeaders(r.header)) > 0 {
		t.Errorf("GET /v1/config without Origin got CORS headers %v", corsHeaders(r.header))
	}
}

func TestGetConfigTellsClientHowToSignIn(t *testing.T) {
	t.Parallel()
	s := startStack(t)

	r := s.do("GET", "/v1/config", "", "")
	cfg := decode[map[string]string](t, r, 200)
	want := map[string]string{
		"region":           "us-east-1",
		"userPoolId":       s.api.Pool.ID,
		"userPoolClientId": s.api.Pool.ClientID,
		"issuer":           strings.TrimRight(s.endpoint, "/") + "/" + s.api.Pool.ID,
		"cognitoEndpoint":  s.endpoint,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("GET /v1/config (-want +got):\n%s", diff)
	}

	// A client that knows only the config signs in with it, and the API accepts the tokens.
	u := testenv.UniqueAddress(t)
	if _, err := standins.CreateUser(t.Context(), s.cognito, s.api.Pool, u, password, nil); err != nil {
		t.Fatal(err)
	}
	tokens, err := standins.SignIn(t.Context(), standins.CognitoClient(cfg["cognitoEndpoint"]),
		standins.Pool{ID: cfg["userPoolId"], ClientID: cfg["userPoolClientId"]}, u, password)
	if err != nil {
		t.Fatalf("sign in with what /v1/config says: %v", err)
	}
	for name, tok := range map[string]string{"ID token": tokens.IDToken, "access token": tokens.AccessToken} {
		if iss := claimsOf(t, tok)["iss"]; iss != cfg["issuer"] {
			t.Errorf("%s: iss %v, /v1/config says issuer %q", name, iss, cfg["issuer"])
		}
	}
	decode[meJSON](t, s.do("GET", "/v1/me", tokens.IDToken, ""), 200)
}

func TestOrgListPagesWithLimitAndCursor(t *testing.T) {
	s := startStack(t)
	u := s.newUser()
	for _, name := range []string{"Beta", "Alpha", "Gamma"} {
		decode[org](t, s.do("POST", "/v1/orgs", u.tokens.IDToken, `{"name":"`+name+`"}`), 201)
	}
	var names []string
	cursor := ""
	for range 5 {
		page := decode[orgList](t, s.do("GET", "/v1/orgs?limit=3"+cursor, u.tokens.IDToken, ""), 200)
		for _, o := range page.Items {
			names = append(names, o.str("name"))
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if want := []string{"My Account", "Alpha", "Beta", "Gamma"}; !slices.Equal(names, want) {
		t.Errorf("pages gave %v, want %v", names, want)
	}
	for _, bad := range []string{"?limit=0", "?limit=201", "?limit=abc", "?cursor=forged"} {
		apiError(t, s.do("GET", "/v1/orgs"+bad, u.tokens.IDToken, ""), 400, "invalid_request")
	}
}

// failOnDenied fails t when a function of api made a call its role would not allow in AWS,
// even one whose error the code swallowed (the stream feed retries, a trigger only logs).
func failOnDenied(t *testing.T, api *localmode.API) {
	t.Cleanup(func() {
		for _, d := range api.IAM.TakeDenied() {
			t.Errorf("IAM would refuse this call in AWS: %s", d)
		}
	})
}
