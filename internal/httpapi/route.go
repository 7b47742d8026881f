package httpapi

import (
	"context"
	"strings"

	"github.com/vendorportal/orgs/internal/audit"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/roles"
)

// Auth is how a route authenticates its caller.
type Auth string

// The kinds of authentication a route may ask for.
const (
	// Public routes take no token.
	Public Auth = "public"
	// JWT routes need a Cognito token, checked by API Gateway's JWT authorizer.
	JWT Auth = "jwt"
	// Operator routes need a Cognito token of a member of the group "operators".
	Operator Auth = "operator"
	// Token routes authenticate a tool with HTTP Basic: a user's email and the org token.
	Token Auth = "token"
	// SCIM routes authenticate an identity provider with the org's SCIM bearer token, which
	// names the org; they answer in SCIM's shapes (application/scim+json, SCIM errors).
	SCIM Auth = "scim"
)

// Route is one row of the route table: everything the CDK stack, the local gateway, the
// generated function mains and the OpenAPI check need to know about an endpoint.
type Route struct {
	// Name is the function name: functions/<Name>/main.go, build/<Name>/bootstrap.
	Name string
	// Method and Path as API Gateway sees them; path parameters in braces.
	Method string
	Path   string
	Auth   Auth
	// Permission is checked against the caller's role in the org named by {orgId}. Routes
	// without {orgId} leave it empty.
	Permission roles.Permission
	// OrPermission, when set, also lets a caller through the authorization step; the handler
	// narrows what it allows (PATCH of the org settings: billing.manage may change billing
	// contacts only).
	OrPermission roles.Permission
	// Subject, when set, is the kind of org item the route acts on (orgs.SubjectItem), named by
	// the path parameter <Subject>Id: the authorization step reads it in its round trip.
	Subject string
	// SelfAllowed lets a member act on themself ({userId} is the caller) without Permission,
	// as in leaving an org.
	SelfAllowed bool
	// NotMember marks an org route whose caller need not be a member (joining an org by its
	// domain): the authorization step is skipped and the handler checks what it needs.
	NotMember bool
	// Actions are the AWS IAM actions the function needs, e.g. "dynamodb:GetItem". DynamoDB
	// actions apply to the table and its indexes, "ses:" ones to the sender identity,
	// "cognito-idp:" ones to the user pool. An "ses:" or a "cognito-idp:" action also makes
	// the generated main install the SES or the Cognito client (InstallsFor); without one the
	// function links neither.
	Actions []string
	// Secret marks a route whose handler uses the server's secret (app.Env.Secret: cursors,
	// org access tokens, sealed values). Only such functions may read it (principle 9).
	Secret bool
	// Spreadsheets marks a route that reads or writes XLSX: its main installs package sheets
	// (excelize), which no other function links.
	Spreadsheets bool
	// MaxBody, when set, is the largest body the route takes instead of MaxBodyBytes (an
	// import's spreadsheet).
	MaxBody int
	// Summary is a one-line description, also used in openapi.yaml.
	Summary string
	// Feature names the optional part of the deployment the route belongs to (such as
	// FeatureGitHubOIDC): the CDK stack deploys the route only when that part is configured,
	// and hands the part's settings to its functions alone. Empty: always deployed.
	Feature string
	// ReadsSecrets names the stack's Secrets Manager secrets, other than the server secret,
	// that the function reads once at its cold start (such as SecretGitHubOIDCKeys): the stack
	// grants secretsmanager:GetSecretValue on each of them, and on nothing else.
	ReadsSecrets []string
	// ReadOnly marks a POST that changes no state of the service (the OIDC token exchange):
	// it writes no event and needs no scenario in the completeness test.
	ReadOnly bool
	// Throttle overrides the API stage's default rate and burst for the route
	// (DefaultThrottle); zero fields keep the default.
	Throttle Throttle
	// Replay, set on POST routes that create, makes the route honour Idempotency-Key: a
	// request that repeats an earlier one of the same caller (same key, same body) is
	// answered by Replay with what the first one created; the same key with another body is a
	// conflict.
	Replay func(env *app.Env) Replayer
	// Build wires the handler once per cold start. It asks env only for the clients the
	// handler uses, so a function's binary links nothing else.
	Build func(env *app.Env) Handler
}

// Replayer answers a request repeated with the same idempotency key: created is the target of
// the event of the first request's change.
type Replayer func(ctx context.Context, req *Request, created audit.Target) (*Response, error)

// OrgScoped reports whether the route acts inside one org as one of its members, and so runs
// the membership check. Operator routes name an org too, but operators act from outside it;
// NotMember routes (joining an org) check what they need themselves.
func (r *Route) OrgScoped() bool {
	return strings.Contains(r.Path, "{orgId}") && r.Auth != Operator && !r.NotMember
}

// Mutating reports whether the route changes state (and so writes an event).
func (r *Route) Mutating() bool {
	return !r.ReadOnly && r.Method != "GET" && r.Method != "HEAD" && r.Method != "OPTIONS"
}

// Throttle is an API Gateway stage throttle: a steady rate (requests per second) and a burst
// (the bucket size), both for all callers of the route together.
type Throttle struct {
	Rate  float64
	Burst int
}

// The default throttles by auth kind. Routes anyone may call without signing in (Public), and
// the tools' routes authenticated by the function itself (Token: a guessed token costs a
// DynamoDB read), get a tighter budget than routes behind the JWT authorizer, which turns
// away unsigned callers before they reach a function.
var (
	ThrottleSignedIn = Throttle{Rate: 50, Burst: 100}
	ThrottlePublic   = Throttle{Rate: 10, Burst: 20}
	ThrottleToken    = Throttle{Rate: 20, Burst: 40}
)

// DefaultThrottle is the route's throttle: its own fields where set, else its auth kind's.
func (r *Route) DefaultThrottle() Throttle {
	t := ThrottleSignedIn
	switch r.Auth {
	case Public:
		t = ThrottlePublic
	case Token:
		t = ThrottleToken
	}
	if r.Throttle.Rate > 0 {
		t.Rate = r.Throttle.Rate
	}
	if r.Throttle.Burst > 0 {
		t.Burst = r.Throttle.Burst
	}
	return t
}

// permissions lists the permissions any one of which passes the authorization step.
func (r *Route) permissions() []roles.Permission {
	if r.OrPermission != "" {
		return []roles.Permission{r.Permission, r.OrPermission}
	}
	return []roles.Permission{r.Permission}
}
