package httpapi

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
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
	// names the org; they answer in SCIM's shapes (application/scim+json, SCIM errors). The
	// glue checks the token (app.SCIMSignIn) before the handler decodes anything, and hands
	// the handler the session in Request.SCIM.
	SCIM Auth = "scim"
)

// Route is one row of the route table: everything the CDK stack, the local gateway, the
// generated function mains and the OpenAPI check need to know about an endpoint.
type Route struct {
	// Name is the function name: functions/<Name>/main.go, build/<Name>/bootstrap.
	Name string
	// Method and Path as API Gateway sees them; path parameters in braces. Method AnyMethod
	// and a last segment {name+} (API Gateway's greedy parameter, name in the event) make a
	// catch-all under a prefix, which API Gateway picks only when no other route matches.
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
	// AndPermission, when set, is needed besides Permission (or OrPermission): the glue
	// answers 403 naming it after the authorization step (the admins' list of every member's
	// personal tokens needs token.view and members.read).
	AndPermission roles.Permission
	// Reads, when set, names what else an org route acts on, given the request and its time:
	// the authorization step reads it in the same BatchGetItem as the org and the caller's
	// membership (the member of {userId} and the invite of {inviteId} come with it always),
	// and the handler and its service find the results in Request.Access (orgs.ResultOf,
	// through the capability's own accessor such as tickets.TicketOf). It exists for the
	// budget of two DynamoDB round trips per API call: authorization, then the operation,
	// which can't afford a read of its own first. Each capability defines its kinds of
	// orgs.Read; dynamo's planRead knows how to read each. On a SCIM route the SCIM sign-in
	// reads them with the token and the org it names (scim.UserRead, scim.ExternalIDRead), and
	// the handler finds them in Request.SCIM; Reads may look at the body there, but whatever
	// it finds wrong is answered only after the token (a body it can't read is read as
	// naming nothing).
	Reads func(req *Request, now time.Time) []orgs.Read
	// SelfAllowed lets a member act on themself ({userId} is the caller) without Permission,
	// as in leaving an org.
	SelfAllowed bool
	// NotMember marks an org route whose caller need not be a member (joining an org by its
	// domain): the authorization step is skipped and the handler checks what it needs.
	NotMember bool
	// AnyToken marks a SCIM route that answers alike whatever the token, or none (the SCIM
	// base's catch-all 404): the glue does not check the token, and the route reads nothing.
	AnyToken bool
	// Actions are the AWS IAM actions the function needs, e.g. "dynamodb:GetItem". DynamoDB
	// actions apply to the table and its indexes, "ses:" ones to the sender identity,
	// "cognito-idp:" ones to the user pool. An "ses:" or a "cognito-idp:" action also makes
	// the generated main install the SES or the Cognito client (mainsrc.InstallsFor); without
	// one the function links neither.
	Actions []string
	// ReadsAccount marks a route whose handler reads the caller's account
	// (orgs.Service.Account): its function is also granted accountActions. Provisions marks one
	// that creates users (provisionActions). Both are flags, not a shared slice in Actions,
	// because a Route literal naming a package-level slice is built at init, and so is kept,
	// with its Build and all that reaches, in every function's binary
	// (TestFunctionsLinkOnlyTheirOwnRoute).
	ReadsAccount, Provisions bool
	// Params declares the kind of a path parameter whose name PathParams does not know, or
	// another kind for one it does. A slice, not a map: a map in a Route literal is built at
	// init, which keeps the route and its Build in every function's binary.
	Params []NamedParam
	// SecretQuery names the query parameters whose values are secrets besides those every
	// route has (SecretQueryKeys: OAuth's code and state, tokens, ...): the request log shows
	// them redacted.
	SecretQuery []string
	// Keys are the server's keys the handler uses, by purpose (app.KeyCursors for every paged
	// list, app.KeyTokens, app.KeySealing, app.KeyWebhooks). Only such functions may read a
	// key (principle 9): Bind asks for a route's keys at its cold start, and the stack gives
	// each function only its keys' ARNs and the grant to read those (IAMActions), so that a
	// paged list can derive no org token.
	Keys []string
	// List says whether the route answers the contract's list shape, and how it pages. The
	// table test (TestListRoutesAreDeclaredAsTheyPage) holds it to the handler's code and to
	// openapi.yaml, so that a route that pages without the key to seal its cursors fails the
	// build, not a request.
	List List
	// Spreadsheets marks a route that reads or writes XLSX: its main installs package sheets
	// (excelize), which no other function links.
	Spreadsheets bool
	// MailDomains marks a route that refuses the domains of free, public and disposable mail
	// providers (package maildomains): the stack gives its function the table's layer and
	// MAIL_DOMAINS_FILE, local mode the repository's file; any other function asking for the
	// table (app.Env.MailDomains) fails at its cold start. The table is 2 MB of data, kept out
	// of every binary.
	MailDomains bool
	// MaxBody, when set, is the largest body the route takes instead of MaxBodyBytes (an
	// import's spreadsheet).
	MaxBody int
	// Summary is a one-line description, also used in openapi.yaml.
	Summary string
	// Feature names the optional part of the deployment the route belongs to (such as
	// oidcapi.FeatureGitHubOIDC): the CDK stack deploys the route only when that part is
	// configured, and hands the part's settings to its functions alone. Empty: always deployed.
	Feature string
	// ReadsSecrets names the stack's Secrets Manager secrets, other than the server secret,
	// that the function reads once at its cold start (such as oidcapi.SecretGitHubOIDCKeys):
	// the stack grants secretsmanager:GetSecretValue on each of them, and on nothing else.
	ReadsSecrets []string
	// ReadOnly marks a POST (or an AnyMethod catch-all) that changes no state of the service (the OIDC token exchange):
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

// AnyMethod is the Method of a route that takes every method (API Gateway's ANY).
const AnyMethod = "ANY"

// ParamName is the name of a path parameter as its template segment ({name} or the greedy
// {name+}) writes it, and as the event's PathParameters key it; "" for a literal segment.
func ParamName(segment string) string {
	name, ok := strings.CutPrefix(segment, "{")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, "}"), "+")
}

// SecretAction is the IAM action that reads a key from Secrets Manager: the stack grants it,
// on exactly the secrets of its Keys, to a function whose route names keys, and gives it
// their ARNs (app.KeyEnv), which app.Env.Key reads at the cold start.
const SecretAction = iam.SecretAction

// Grant is what the route's function's role is given: the stack writes iam.Statements of it
// into the role's policy, and local mode and the tests enforce the same statements on every
// AWS call of the function (iam/enforce).
func (r *Route) Grant() iam.Grant {
	return iam.Grant{Function: r.Name, Actions: r.AllActions(), Keys: r.Keys, Secrets: r.ReadsSecrets}
}

// AllActions are Actions with those ReadsAccount and Provisions imply, each once.
func (r *Route) AllActions() []string {
	out := slices.Clone(r.Actions)
	add := func(as []string) {
		for _, a := range as {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	if r.ReadsAccount {
		add(accountActions)
	}
	if r.Provisions {
		add(provisionActions)
	}
	return out
}

// List is how a route answers the contract's list shape ({"items", "nextCursor"}).
type List int

// The kinds of list routes.
const (
	// NotList: the route answers something else.
	NotList List = iota
	// Paged: the handler reads ?limit= and ?cursor= with Request.Page and seals the next
	// page's position with Request.Cursor, under the server's secret: the route must be
	// Secret too.
	Paged
	// Whole: the handler answers every item at once (a list bounded by a small limit, such
	// as an org's 10 webhooks). The glue still holds ?limit= to 1–200, and refuses any
	// ?cursor=, since the server never issued one for it (400).
	Whole
)

// IAMActions are the IAM actions the route's function needs: AllActions, and SecretAction when
// it reads keys.
func (r *Route) IAMActions() []string { return WithSecret(r.AllActions(), len(r.Keys) > 0) }

// WithSecret returns actions with SecretAction added when secret is set.
func WithSecret(actions []string, secret bool) []string {
	if !secret {
		return actions
	}
	return append(slices.Clone(actions), SecretAction)
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

// AllowedBy reports whether a role that holds what has says passes the route's permission
// checks (Permission or OrPermission, and AndPermission).
func (r *Route) AllowedBy(has func(roles.Permission) bool) bool {
	return (has(r.Permission) || r.OrPermission != "" && has(r.OrPermission)) && (r.AndPermission == "" || has(r.AndPermission))
}

// permissions lists the permissions any one of which passes the authorization step.
func (r *Route) permissions() []roles.Permission {
	if r.OrPermission != "" {
		return []roles.Permission{r.Permission, r.OrPermission}
	}
	return []roles.Permission{r.Permission}
}

// Param is the kind of a path parameter: the shape in which the server issues it, and whether
// it is a secret. A value of another shape is an id the server never issued: 404 at once, in
// the glue, before it reaches a key of the table (DynamoDB refuses keys over 2 KB with a 500).
// A secret one is logged redacted.
type Param struct {
	Kind   string
	Valid  func(string) bool
	Secret bool
}

// NamedParam is a path parameter's name and kind, as a route declares it (Route.Params).
type NamedParam struct {
	Name string
	Param
}

// The kinds of path parameters.
var (
	// IDParam is an id the server makes: a lower-case ULID (orgs, invites, events).
	IDParam = Param{Kind: "id", Valid: isULID}
	// UserParam is a user id, the identity provider's sub (a UUID in Cognito), never one of
	// the words that name the members' own sub-paths (import, imports, bulk): a router, the
	// document and its readers can tell /members/{userId}/… from /members/imports/… by it.
	UserParam = Param{Kind: "user id", Valid: func(s string) bool { return isUserID(s) && !slices.Contains(MemberPathWords, s) }}
	// RoleParam is a role id: a built-in one (admin, support_only, ...) or "role_" and a ULID.
	RoleParam = Param{Kind: "role id", Valid: isRoleID}
	// TokenParam is a secret token sent by email (invites): 32 random bytes in base64url.
	TokenParam = Param{Kind: "token", Valid: isToken, Secret: true}
)

// PathParams gives the kind of a path parameter by its name, for every route.
var PathParams = map[string]Param{
	"orgId": IDParam, "inviteId": IDParam, "eventId": IDParam, "ticketId": IDParam, "licenseId": IDParam,
	// One of the org's email domains (maildomains.Normalize says which are valid).
	"domain": {Kind: "domain", Valid: isDomainParam},
	// A webhook endpoint's id, and a delivery's (the id of the event it delivers).
	"webhookId": IDParam, "deliveryId": IDParam,
	// An import job of members (provisioning).
	"importId": IDParam,
	// A product id, as the contract spells it (licensing.ValidProductID).
	"productId": {Kind: "product id", Valid: isProductID},
	"userId":    UserParam,
	"roleId":    RoleParam,
	// SCIM's resource ids: users' ids and groups' (role) ids, both within the user id shape.
	"id":    {Kind: "SCIM id", Valid: isUserID},
	"token": TokenParam,
	// A personal tool token's id (tokens.NewPersonalID): 12 lower-case hex digits.
	"tokenId": {Kind: "personal token id", Valid: isPersonalTokenID},
	// A device sign-in's user code as typed: 8 letters, any case, with or without the dash.
	"userCode": {Kind: "user code", Valid: func(s string) bool { _, ok := tokens.NormalizeUserCode(s); return ok }},
}

func isPersonalTokenID(s string) bool {
	return len(s) == 12 && !strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) })
}

// Param returns the kind of the path parameter name: the route's own declaration, else the
// one PathParams gives the name.
func (r *Route) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Param, true
		}
	}
	p, ok := PathParams[name]
	return p, ok
}

// isDomainParam reports whether s could name a domain: what NormalizeDomain then checks is
// short enough for a key and has no character a domain can't have.
func isDomainParam(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("/\\#?%", r) })
}

func isULID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := range len(s) {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", rune(s[i])) {
			return false
		}
	}
	return true
}

// MemberPathWords are the literal segments after /members/ in the route table.
var MemberPathWords = []string{"import", "imports", "bulk"}

func isUserID(s string) bool {
	// It starts with a letter or digit: never "." or "..", which a path could resolve.
	return len(s) >= 1 && len(s) <= 128 && IsAlnum(rune(s[0])) && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:@", c))
	})
}

func isRoleID(s string) bool {
	return len(s) >= 1 && len(s) <= 40 && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')
	})
}

func isToken(s string) bool {
	return len(s) >= 16 && len(s) <= 128 && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	})
}

func IsAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isProductID is ^[a-z0-9][a-z0-9-]{1,62}$ without a regexp compiled at init.
func isProductID(s string) bool {
	if len(s) < 2 || len(s) > 63 || s[0] == '-' {
		return false
	}
	return !strings.ContainsFunc(s, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') })
}
