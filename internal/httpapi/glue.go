// Package httpapi is the kernel of the HTTP edge: Route and its parameters, request
// decoding, the caller's identity from the JWT authorizer's claims, the one authorization
// step, idempotency, cursors, error mapping, bulk answers, CORS and metrics. The handlers live
// in one edge package per capability (internal/httpapi/<cap>api), each route beside its
// handler, and the route table in package routes. Handlers decode, call a domain service and
// encode; nothing more.
package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/tokens"
)

// MaxBodyBytes is the largest request body a route accepts.
const MaxBodyBytes = 1 << 20

// Handler serves one route once the request is authenticated and authorized.
type Handler func(ctx context.Context, req *Request) (*Response, error)

// Request is a decoded API Gateway request.
type Request struct {
	Event  *events.APIGatewayV2HTTPRequest
	Caller orgs.Caller
	// Access is the caller's standing in the route's org; set on org-scoped routes only.
	Access orgs.Access
	// Tool is what a tool signed in with HTTP Basic may download; set on Token routes only.
	Tool tokens.Entitlements
	// SCIM is the identity provider's session: the org its bearer token names and what the
	// route reads with it (Route.Reads); set on SCIM routes only (not AnyToken ones).
	SCIM scim.Session
	body []byte
	// Cursors seals list cursors; set on routes marked Secret only.
	Cursors *seal.Key
}

// Body returns the raw body, decoded from base64 when API Gateway encoded it.
func (r *Request) Body() []byte { return r.body }

// Path returns a path parameter.
func (r *Request) Path(name string) string { return r.Event.PathParameters[name] }

// Query returns a query string parameter.
func (r *Request) Query(name string) string { return r.Event.QueryStringParameters[name] }

// Decode reads the JSON body into v strictly: unknown fields, keys in another case than the
// field's, a key given twice, trailing data and a missing body are errors a person can act on.
func (r *Request) Decode(v any) error {
	trimmed := bytes.TrimSpace(r.body)
	if len(trimmed) == 0 {
		return apperr.New(apperr.Invalid, "a JSON body is required")
	}
	if trimmed[0] != '{' {
		// null, an array or a scalar: decoding null into a struct changes nothing, so a PATCH
		// with it would answer 200 for a body the route never takes.
		return apperr.New(apperr.Invalid, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.Invalid, "%s", DescribeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "the body must hold a single JSON object")
	}
	return checkKeys(r.body, v)
}

// DescribeJSONError says what encoding/json found wrong with a body in the API's words,
// never json's own text (which names Go types).
func DescribeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be of type %s", typ.Field, jsonTypeName(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("field %s is not accepted here", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON (it ends too early)"
	}
	return "the body is not valid JSON"
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}

// Response is what a handler answers: a JSON body, or raw bytes with their content type.
// Binary raw bytes (not UTF-8 text, or compressed) travel base64-encoded, as API Gateway
// expects them.
type Response struct {
	Status      int
	Body        any
	Raw         []byte
	Binary      bool
	ContentType string
	Headers     map[string]string
}

// JSON answers status with v encoded as JSON.
func JSON(status int, v any) *Response { return &Response{Status: status, Body: v} }

// NoContent answers 204.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// statusOf is the one table that maps error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:         http.StatusBadRequest,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.Gone:            http.StatusGone,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.RateLimited:     http.StatusTooManyRequests,
	apperr.Unavailable:     http.StatusServiceUnavailable,
	apperr.Internal:        http.StatusInternalServerError,
}

type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ErrorResponse maps err to the contract's error shape. Internal errors carry no detail. An
// AWS call that still failed after the SDK's retries (throttling, a service's internal error,
// a timeout) is 503 unavailable, never 500: nothing was written (every change is one
// transaction), and trying again later works.
func ErrorResponse(err error) *Response {
	if apperr.KindOf(err) == apperr.Internal && transient(err) {
		err = &apperr.Error{Kind: apperr.Unavailable, Message: "the service is busy; try again in a moment", Err: err}
	}
	kind := apperr.KindOf(err)
	var b ErrorBody
	b.Error.Code = string(kind)
	b.Error.Message = apperr.MessageOf(err)
	if kind == apperr.Internal {
		b.Error.Message = "internal error"
	}
	r := JSON(statusOf[kind], b)
	if kind == apperr.Unavailable || kind == apperr.RateLimited {
		wait := apperr.RetryAfterOf(err)
		if wait <= 0 {
			wait = 5 * time.Second
		}
		r.Headers = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(wait.Seconds())))}
	}
	return r
}

// toolCredentials reads a tool's HTTP Basic credentials. The password (the org token) is never logged.
func toolCredentials(ev *events.APIGatewayV2HTTPRequest) (user, password string, ok bool) {
	h := ev.Headers["authorization"]
	if h == "" {
		h = ev.Headers["Authorization"]
	}
	scheme, cred, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

// transient reports whether err is an AWS call's failure that the SDK's retryer counts as
// retryable (throttling, 5xx, timeouts, connection errors), after it ran out of attempts.
func transient(err error) bool {
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true
	}
	var throttled *types.ProvisionedThroughputExceededException
	var limit *types.RequestLimitExceeded
	var internal *types.InternalServerError
	if errors.As(err, &throttled) || errors.As(err, &limit) || errors.As(err, &internal) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultServer {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// LambdaHandler is the function API Gateway invokes.
type LambdaHandler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// mustPlanReads panics, at the cold start, when the authorization step could not read a kind
// of orgs.Read the route names: a kind is registered by its capability's store when the route's
// Build makes it (dynamo.RegisterRead), so a route whose Build makes no such store would fail
// every request. The kinds are those Reads gives an empty request.
func mustPlanReads(r *Route, env *app.Env) {
	if r.Reads == nil {
		return
	}
	for _, rd := range r.Reads(&Request{Event: &events.APIGatewayV2HTTPRequest{}}, env.Now()) {
		if _, err := env.Store().PlanRead("", rd); err != nil {
			panic(fmt.Sprintf("httpapi: route %s: %v", r.Name, err))
		}
	}
}

// Bind wires route r with env into the function API Gateway invokes: it builds the handler
// once, and on every request decodes, authenticates, authorizes, serves, encodes and logs.
func Bind(r *Route, env *app.Env) LambdaHandler {
	h := r.Build(env)
	var replay Replayer
	if r.Replay != nil {
		replay = r.Replay(env)
	}
	b := bound{route: r, handler: h, replay: replay, now: env.Now}
	if r.OrgScoped() {
		b.authz = env.Authorizer()
		mustPlanReads(r, env)
	}
	if r.Auth == Token {
		b.tool = env.ToolSignIn()
	}
	if r.Auth == SCIM && !r.AnyToken {
		b.scim = env.SCIMSignIn()
	}
	// Only a route that names the cursor key asks for it, once, at the cold start: the other
	// functions never hold it (principle 9).
	if slices.Contains(r.Keys, app.KeyCursors) {
		b.cursors = CursorKey(env.Key(app.KeyCursors))
	}
	log := env.Log.With("route", r.Name)
	metricName := metricFunctionName(r.Name)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		start := time.Now()
		ctx = iam.AsFunction(ctx, r.Name)
		ctx, calls := dynamo.WithCallCounter(ctx)
		ctx = audit.WithSource(ctx, audit.Source{IP: ev.RequestContext.HTTP.SourceIP, UserAgent: ev.RequestContext.HTTP.UserAgent})
		reqLog := log.With("requestId", ev.RequestContext.RequestID)
		resp, err := b.serve(ctx, &ev)
		switch {
		case err != nil && r.Auth == SCIM:
			resp = scimErrorResponse(err)
		case err != nil:
			resp = ErrorResponse(err)
			if r.Auth == Token && resp.Status == http.StatusUnauthorized {
				resp.Headers = map[string]string{"WWW-Authenticate": `Basic realm="vendorportal", charset="UTF-8"`}
			}
		}
		out := encode(resp)
		attrs := []any{"method", ev.RequestContext.HTTP.Method, "path", r.loggedPath(&ev), "status", out.StatusCode,
			"ms", time.Since(start).Milliseconds(), "dynamodbCalls", calls.Calls(),
			"dynamodbReadUnits", calls.ReadUnits(), "dynamodbWriteUnits", calls.WriteUnits()}
		if q := r.loggedQuery(&ev); q != "" {
			attrs = append(attrs, "query", q)
		}
		switch {
		case out.StatusCode >= 500:
			// The line is also the EMF record that counts the failure (metrics.go).
			attrs = append(attrs, serverErrorMetric(metricName, time.Now())...)
			reqLog.ErrorContext(ctx, "request failed", append(attrs, "error", err)...)
		default:
			if err != nil {
				attrs = append(attrs, "reason", err.Error())
			}
			reqLog.InfoContext(ctx, "request", attrs...)
		}
		return out, nil
	}
}

// bound is a route with what Bind built for it once per cold start.
type bound struct {
	route   *Route
	handler Handler
	replay  Replayer
	authz   app.Authorizer
	tool    app.ToolSignIn
	scim    app.SCIMSignIn
	// cursors seals the route's list cursors; nil for a route not marked Secret.
	cursors *seal.Key
	now     func() time.Time
}

// serve runs the request through the shared steps; a panic becomes an internal error.
func (b *bound) serve(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (resp *Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	r, h, replay, authz := b.route, b.handler, b.replay, b.authz
	req := &Request{Event: ev, Cursors: b.cursors}
	if req.body, err = body(ev, cmp.Or(r.MaxBody, MaxBodyBytes)); err != nil {
		return nil, err
	}
	var fingerprint string
	switch r.Auth {
	case JWT, Operator:
		if req.Caller, err = callerFrom(ev); err != nil {
			return nil, err
		}
		if r.Auth == Operator && !req.Caller.Operator {
			return nil, apperr.New(apperr.Forbidden, "this route is for operators only")
		}
	case Token:
		// A tool: HTTP Basic with a member's email and the org's access token. Signing in
		// is the route's authentication and its answer's source at once (tokens.SignIn).
		email, token, ok := toolCredentials(ev)
		if !ok {
			return nil, apperr.New(apperr.Unauthenticated, "sign in with HTTP Basic: a member's email and the org's access token")
		}
		if req.Tool, err = b.tool(ctx, email, token); err != nil {
			return nil, err
		}
	case SCIM:
		if r.AnyToken {
			break
		}
		// An identity provider: the org's SCIM bearer token, read with the org it names and
		// what the route acts on in one round trip (scim.Service.SignIn), before anything of
		// the body is decoded. A string that can't be a SCIM token reads nothing.
		token, ok := scimBearer(ev)
		if !ok {
			return nil, scim.Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required")
		}
		var reads []orgs.Read
		// Only ids of their kind's shape reach a key: a path that has another is read as
		// none, and answered 404 after the token (checkPathParams, below).
		if r.Reads != nil && r.checkPathParams(ev) == nil {
			reads = r.Reads(req, b.now())
		}
		if req.SCIM, err = b.scim(ctx, token, reads); err != nil {
			return nil, err
		}
		// What the request writes holds only while the token is still the org's: a
		// revocation, a new token or an authentication reset landing after the sign-in stops
		// the writes still to come.
		ctx = dynamo.WithSCIMToken(ctx, req.SCIM.Org.ID, req.SCIM.TokenHash,
			scim.Errorf(apperr.Unauthenticated, "", "a valid SCIM bearer token is required"))
	}
	// Once the caller is known (a non-operator learns nothing of ids), and before any id
	// reaches a table key.
	if err := r.checkPathParams(ev); err != nil {
		return nil, err
	}
	if key := ev.Headers["idempotency-key"]; key != "" && replay != nil {
		if ctx, fingerprint, err = withIdempotencyKey(ctx, r, req, key); err != nil {
			return nil, err
		}
	}
	if authz != nil {
		// The member or invite the route acts on, and what else it reads, in the same round
		// trip (Route.Reads).
		subject := orgs.Subject{UserID: req.Path("userId"), SelfAllowed: r.SelfAllowed}
		if r.Reads != nil {
			subject.Reads = r.Reads(req, b.now())
		}
		if req.Access, err = authz(ctx, req.Caller, req.Path("orgId"), subject, r.permissions()...); err != nil {
			return replayed(ctx, replay, req, fingerprint, err)
		}
		if r.AndPermission != "" && !req.Access.Allows(r.AndPermission) {
			return nil, apperr.New(apperr.Forbidden, "your role (%s) does not allow this (%s)", req.Access.RoleName(), r.AndPermission)
		}
	}
	if r.List == Whole {
		if err := req.wholeList(); err != nil {
			return nil, err
		}
	}
	resp, err = h(ctx, req)
	if err != nil {
		return replayed(ctx, replay, req, fingerprint, err)
	}
	return resp, nil
}

// withIdempotencyKey puts the caller's claim on key into ctx and returns the body's fingerprint.
func withIdempotencyKey(ctx context.Context, r *Route, req *Request, key string) (context.Context, string, error) {
	if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return ctx, "", apperr.New(apperr.Invalid, "Idempotency-Key must be 1 to 255 visible ASCII characters")
	}
	sum := sha256.Sum256(req.body)
	fingerprint := hex.EncodeToString(sum[:])
	// The key is the caller's for this route at this path: the same key sent to another org is
	// another request.
	return dynamo.WithIdempotencyKey(ctx, req.Caller.ID, r.Name+" "+req.Event.RawPath, key, fingerprint), fingerprint, nil
}

// replayed answers a request whose idempotency key was used before with what the first
// request created; any other error is returned as it is.
func replayed(ctx context.Context, replay Replayer, req *Request, fingerprint string, err error) (*Response, error) {
	var rp *dynamo.Replay
	if replay == nil || !errors.As(err, &rp) {
		return nil, err
	}
	if rp.Fingerprint != fingerprint {
		return nil, apperr.New(apperr.Conflict, "this Idempotency-Key was used for a request with another body; use a new key")
	}
	return replay(dynamo.WithoutIdempotencyKey(ctx), req, rp.Target)
}

func body(ev *events.APIGatewayV2HTTPRequest, max int) ([]byte, error) {
	b := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, apperr.New(apperr.Invalid, "the body is not valid base64")
		}
	}
	if len(b) > max {
		return nil, apperr.New(apperr.TooLarge, "the body must be at most %d bytes", max)
	}
	return b, nil
}

// callerFrom reads the caller from the JWT authorizer's claims. API Gateway hands claims over
// as strings: cognito:groups arrives as one string such as "[operators admins]".
func callerFrom(ev *events.APIGatewayV2HTTPRequest) (orgs.Caller, error) {
	if ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.JWT == nil {
		return orgs.Caller{}, apperr.New(apperr.Unauthenticated, "a bearer token is required")
	}
	claims := ev.RequestContext.Authorizer.JWT.Claims
	c := orgs.Caller{
		ID:            claims["sub"],
		Email:         claims["email"],
		EmailVerified: claims["email_verified"] == "true",
		Name:          claims["name"],
	}
	if c.ID == "" {
		return orgs.Caller{}, apperr.New(apperr.Unauthenticated, "the token has no subject")
	}
	if iat, err := strconv.ParseInt(claims["iat"], 10, 64); err == nil {
		c.IssuedAt = time.Unix(iat, 0).UTC()
	}
	groups := strings.FieldsFunc(strings.Trim(claims["cognito:groups"], "[]"), func(r rune) bool { return r == ' ' || r == ',' })
	for _, g := range groups {
		if g == roles.OperatorsGroup {
			c.Operator = true
		}
	}
	return c, nil
}

func encode(r *Response) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: map[string]string{}}
	for k, v := range r.Headers {
		out.Headers[k] = v
	}
	switch {
	case r.Raw != nil:
		out.Headers["Content-Type"] = r.ContentType
		out.Body = string(r.Raw)
		if r.Binary {
			out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(r.Raw), true
		}
	case r.Body != nil:
		b, err := json.Marshal(r.Body)
		if err != nil {
			slog.Error("encode response", "error", err)
			out.StatusCode = http.StatusInternalServerError
			b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
		}
		out.Headers["Content-Type"] = "application/json"
		out.Body = string(b)
	}
	return out
}
