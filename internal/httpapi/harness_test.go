package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/streamfeed"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// harnessNow is the harness's clock: the time of the sample events' tokens.
var harnessNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// The sample events' caller and pool.
const (
	sampleSub    = "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11"
	sampleEmail  = "ada@example.com"
	samplePool   = "eu-west-1_Example1"
	sampleClient = "4f7v1r8q0example0client0id"
	sampleIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1"
)

// api runs routes as Lambda runs them after API Gateway: through Bind, on real v2 events,
// against DynamoDB Local (a fresh table per test). Its DynamoDB client records every write
// that succeeds, so tests can see what a route's call wrote.
type api struct {
	t      *testing.T
	env    *app.Env
	store  *dynamotest.Store
	writes *writeLog
	logs   logBuffer
	iam    *enforce.Enforcer
	run    string // makes this test's addresses unique in the shared SES stand-in

	mu      sync.Mutex
	bound   map[*Route]LambdaHandler
	box     *mail.Recorder      // the mail of inviter
	invites *orgs.InviteService // sends to box, for making members through invites
	feed    *streamfeed.Feeder  // the stream processor over the table, built by deliver
}

// deliver has the stream processor (the env's outbox handlers: install the mail sender
// first) do what the table's stream holds, as it would seconds after the routes' writes.
func (a *api) deliver() {
	a.t.Helper()
	if a.feed == nil {
		a.feed = testenv.Stream(a.t, a.env.DynamoDB(), a.env.Config.TableName, dynamo.StreamHandler(a.env.Outbox(), nil, a.env.Log))
	}
	if err := a.feed.Drain(context.Background()); err != nil {
		a.t.Fatalf("stream processor: %v", err)
	}
}

// config is the configuration of every harness env: the sample events' pool.
func config(table string) app.Config {
	return app.Config{
		Region: "eu-west-1", TableName: table, UserPoolID: samplePool, UserPoolClientID: sampleClient, Issuer: sampleIssuer,
		AppURL: "http://localhost:3000", AllowedOrigins: []string{"http://localhost:3000"}, MailFrom: "no-reply@example.com",
		Secret: []byte("test secret"),
	}
}

// routeGrants are the grants of the route table, which the harness enforces on the routes'
// AWS calls: each call a route's handler makes is checked against its function's role
// (package iam/enforce), as IAM would in AWS; the test's own calls are not.
func routeGrants() []iam.Grant {
	var gs []iam.Grant
	for _, r := range Routes() {
		gs = append(gs, r.Grant())
	}
	return gs
}

func newAPI(t *testing.T, opts ...func(*dynamodb.Options)) *api {
	t.Helper()
	return newAPIWithGrants(t, routeGrants(), opts...)
}

// newAPIWithGrants is newAPI whose routes' roles have grants.
func newAPIWithGrants(t *testing.T, grants []iam.Grant, opts ...func(*dynamodb.Options)) *api {
	t.Helper()
	base, table := testenv.DynamoDB(t)
	a := &api{t: t, writes: &writeLog{}, bound: map[*Route]LambdaHandler{}}
	cfg := config(table)
	a.iam = enforce.Local(cfg, "", grants...)
	a.iam.Install(&cfg, "")
	t.Cleanup(func() {
		// A refused call fails the test even where the code swallowed the error.
		for _, d := range a.iam.TakeDenied() {
			t.Errorf("IAM would refuse this call in AWS: %s", d)
		}
	})
	client := dynamodb.New(base.Options(), append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), a.iam.APIOption(""), a.writes.record)
	}}, opts...)...)
	a.env = app.New(cfg, slog.New(slog.NewJSONHandler(&a.logs, nil)))
	toolauth.Install(a.env)
	orgauthz.Install(a.env)
	a.env.Now = func() time.Time { return harnessNow }
	a.env.UseDynamoDB(client)
	a.store = dynamotest.Over(a.env.Store())
	a.run = strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com")
	return a
}

// newBareAPI is an api without a table or any stand-in, for routes that touch neither.
func newBareAPI(t *testing.T) *api {
	a := &api{t: t, writes: &writeLog{}, bound: map[*Route]LambdaHandler{}}
	a.env = app.New(config(""), slog.New(slog.NewJSONHandler(&a.logs, nil)))
	toolauth.Install(a.env)
	orgauthz.Install(a.env)
	return a
}

// useSES makes the routes send mail through the SES stand-in, whose store tests read with
// testenv.Mails; send only to addresses from a.address there.
func (a *api) useSES() {
	a.t.Helper()
	a.env.Config.SESEndpoint = testenv.SES(a.t)
	ses.Install(a.env)
}

// bind binds a route "test" (POST /v1/test) with auth serving h.
func (a *api) bind(auth Auth, h Handler) LambdaHandler {
	r := &Route{Name: "test", Method: "POST", Path: "/v1/test", Auth: auth, Build: func(*app.Env) Handler { return h }}
	return Bind(r, a.env)
}

// loadEvent reads a sample event from events/.
func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// person is a signed-in user.
func person(name string) orgs.Caller {
	return orgs.Caller{ID: "user-" + name, Email: name + "@example.com", EmailVerified: true, IssuedAt: harnessNow}
}

// address is an address for local that no other test or run uses.
func (a *api) address(local string) string { return local + "." + a.run + "@example.com" }

// caller is a signed-in user with an address from a.address.
func (a *api) caller(local string) orgs.Caller {
	return orgs.Caller{ID: "user-" + local, Email: a.address(local), EmailVerified: true, IssuedAt: harnessNow}
}

// account makes sure c has an account, as their first GET /v1/me would.
func (a *api) account(c orgs.Caller) {
	a.t.Helper()
	if _, err := a.env.Orgs().Account(context.Background(), c); err != nil {
		a.t.Fatal(err)
	}
}

// org creates a shared org with admin as its admin and returns its id.
func (a *api) org(admin orgs.Caller, name string) string {
	a.t.Helper()
	v, err := a.env.Orgs().Create(context.Background(), admin, orgs.CreateInput{Name: name})
	if err != nil {
		a.t.Fatal(err)
	}
	return v.ID
}

// member makes c a member of the org with the role.
func (a *api) member(orgID string, c orgs.Caller, role roles.Role) {
	a.t.Helper()
	a.account(c)
	err := a.store.SeedMember(context.Background(), orgs.Member{
		OrgID: orgID, UserID: c.ID, Email: c.Email, Role: role, JoinedAt: harnessNow, Source: orgs.SourceInvite,
	}, orgs.Shared)
	if err != nil {
		a.t.Fatal(err)
	}
}

var linkToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// inviter is an invite service that mails to a recorder of its own, for setting up members
// through invites whatever mail the routes send.
func (a *api) inviter() *orgs.InviteService {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.invites == nil {
		s := *a.env.Invites()
		a.box = &mail.Recorder{}
		s.Mail = a.box
		a.invites = &s
	}
	return a.invites
}

// join makes c a member of orgID as role, invited by admin, through an invite c accepts.
func (a *api) join(orgID string, admin, c orgs.Caller, role roles.Role) {
	a.t.Helper()
	ctx := context.Background()
	access, err := a.env.Orgs().Authorize(ctx, admin, orgID, "")
	if err != nil {
		a.t.Fatal(err)
	}
	inv, err := a.inviter().Create(ctx, access, orgs.InviteInput{Email: c.Email, Role: string(role)})
	if err != nil {
		a.t.Fatal(err)
	}
	// The invite's outbox message, done here and now by the inviter's handler.
	msg, err := a.store.OutboxMessage(ctx, inv.DeliveryMessage)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.inviter().SendInviteEmail(ctx, msg); err != nil {
		a.t.Fatal(err)
	}
	token := ""
	for i := len(a.box.Sent) - 1; i >= 0 && token == ""; i-- {
		if a.box.Sent[i].To == c.Email {
			token = linkToken.FindStringSubmatch(a.box.Sent[i].Text)[1]
		}
	}
	if token == "" {
		a.t.Fatalf("no mail to %s", c.Email)
	}
	if _, err := a.inviter().Accept(ctx, c, token); err != nil {
		a.t.Fatal(err)
	}
}

// setMembersCanInvite sets the org's setting straight in the table.
func (a *api) setMembersCanInvite(orgID string, on bool) {
	a.t.Helper()
	_, err := a.env.DynamoDB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(a.env.Config.TableName),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID}, "SK": &types.AttributeValueMemberS{Value: "META"},
		},
		UpdateExpression:          aws.String("SET membersCanInvite = :on"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":on": &types.AttributeValueMemberBOOL{Value: on}},
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

// request builds the v2 event API Gateway sends for a call of r by c (nil: no token) with
// the path parameters, query (repeated parameters joined by commas, as API Gateway does) and
// body. It starts from a sample event of events/.
func (a *api) request(r *Route, c *orgs.Caller, params map[string]string, query url.Values, body string) events.APIGatewayV2HTTPRequest {
	a.t.Helper()
	ev := loadEvent(a.t, "get-org.json")
	path := r.Path
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		// A greedy parameter ({proxy+}) spans segments.
		path = strings.ReplaceAll(path, "{"+k+"+}", strings.ReplaceAll(url.PathEscape(v), "%2F", "/"))
	}
	ev.RouteKey, ev.RequestContext.RouteKey = r.Method+" "+r.Path, r.Method+" "+r.Path
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = path, path, r.Method
	ev.PathParameters = params
	ev.RawQueryString, ev.QueryStringParameters = query.Encode(), nil
	for k, vs := range query {
		if ev.QueryStringParameters == nil {
			ev.QueryStringParameters = map[string]string{}
		}
		ev.QueryStringParameters[k] = strings.Join(vs, ",")
	}
	ev.Body = body
	if c == nil {
		ev.RequestContext.Authorizer = nil
	} else {
		claims := ev.RequestContext.Authorizer.JWT.Claims
		claims["sub"], claims["cognito:username"], claims["email"] = c.ID, c.ID, c.Email
		claims["iat"] = fmt.Sprint(c.IssuedAt.Unix())
		// The token says what the identity provider holds of the address.
		claims["email_verified"] = fmt.Sprint(c.EmailVerified)
		delete(claims, "cognito:groups")
		if c.Operator {
			claims["cognito:groups"] = "[" + roles.OperatorsGroup + "]"
		}
	}
	return ev
}

// handler is r bound to the env, once per api.
func (a *api) handler(r *Route) LambdaHandler {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn, ok := a.bound[r]
	if !ok {
		fn = Bind(r, a.env)
		a.bound[r] = fn
	}
	return fn
}

// call runs one request of r and returns the answer.
func (a *api) call(r *Route, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	a.t.Helper()
	resp, err := a.handler(r)(context.Background(), ev)
	if err != nil {
		a.t.Fatalf("%s: the handler returned an error to Lambda: %v", r.Name, err)
	}
	if slices.Contains(Routes(), r) {
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(resp.Body)
		}
		if err := contract.Check(r.Method, r.Path, resp.StatusCode, resp.Headers["Content-Type"], body); err != nil {
			a.t.Errorf("the answer is not as openapi.yaml documents it: %v\n%s", err, resp.Body)
		}
	}
	return resp
}

// requestLog is the line Bind logs for one request.
type requestLog struct {
	Msg           string `json:"msg"`
	Route         string `json:"route"`
	Status        int    `json:"status"`
	DynamoDBCalls *int   `json:"dynamodbCalls"`
}

// invoke runs ev through the bound route and returns the answer and the number of DynamoDB
// round trips the request's log line reports.
func (a *api) invoke(r *Route, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, int) {
	a.t.Helper()
	a.logs.take()
	resp := a.call(r, ev)
	lines := a.logs.take()
	var found []requestLog
	for _, l := range lines {
		var rl requestLog
		if err := json.Unmarshal([]byte(l), &rl); err != nil {
			a.t.Fatalf("log line %q: %v", l, err)
		}
		if rl.Route == r.Name && rl.DynamoDBCalls != nil {
			found = append(found, rl)
		}
	}
	if len(found) != 1 {
		a.t.Fatalf("%s: want one request log line with dynamodbCalls, got %q", r.Name, lines)
	}
	if found[0].Status != resp.StatusCode {
		a.t.Errorf("%s: logged status %d, answered %d", r.Name, found[0].Status, resp.StatusCode)
	}
	return resp, *found[0].DynamoDBCalls
}

// reply is the answer of do.
type reply struct {
	status int
	body   string
	calls  int
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do serves one request to r as c (nil: no token), with path parameters, query and body,
// and returns the status, the body and the DynamoDB calls it made.
func (a *api) do(r *Route, c *orgs.Caller, params, query map[string]string, body string) reply {
	a.t.Helper()
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	resp, calls := a.invoke(r, a.request(r, c, params, q, body))
	return reply{status: resp.StatusCode, body: resp.Body, calls: calls}
}

// logBuffer is the log sink of an api, which handlers may write to from several goroutines;
// Bind logs one JSON line per request.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// take returns the lines logged since the last call and forgets them.
func (b *logBuffer) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// writeLog records the DynamoDB calls of a client, and the items of those that write.
type writeLog struct {
	mu     sync.Mutex
	writes []write
	calls  atomic.Int64
}

// write is one successful write call: its operation and the items it put or changed.
type write struct {
	op    string
	items []writtenItem
}

type writtenItem struct {
	pk  string
	put map[string]types.AttributeValue // nil when the item is updated or deleted
}

// reset forgets what was recorded.
func (w *writeLog) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = nil
	w.calls.Store(0)
}

func (w *writeLog) all() []write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.writes)
}

func (w *writeLog) record(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordWrites",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			w.calls.Add(1)
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				if wr, ok := writeOf(in.Parameters); ok {
					w.mu.Lock()
					w.writes = append(w.writes, wr)
					w.mu.Unlock()
				}
			}
			return out, md, err
		}), middleware.After)
}

func pkOf(k map[string]types.AttributeValue) string {
	if s, ok := k["PK"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// writeOf describes a write call's input; false for reads.
func writeOf(input any) (write, bool) {
	switch in := input.(type) {
	case *dynamodb.TransactWriteItemsInput:
		wr := write{op: "TransactWriteItems"}
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				wr.items = append(wr.items, writtenItem{pk: pkOf(it.Put.Item), put: it.Put.Item})
			case it.Update != nil:
				wr.items = append(wr.items, writtenItem{pk: pkOf(it.Update.Key)})
			case it.Delete != nil:
				wr.items = append(wr.items, writtenItem{pk: pkOf(it.Delete.Key)})
			}
		}
		return wr, true
	case *dynamodb.PutItemInput:
		return write{op: "PutItem", items: []writtenItem{{pk: pkOf(in.Item), put: in.Item}}}, true
	case *dynamodb.UpdateItemInput:
		return write{op: "UpdateItem", items: []writtenItem{{pk: pkOf(in.Key)}}}, true
	case *dynamodb.DeleteItemInput:
		return write{op: "DeleteItem", items: []writtenItem{{pk: pkOf(in.Key)}}}, true
	case *dynamodb.BatchWriteItemInput:
		wr := write{op: "BatchWriteItem"}
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					wr.items = append(wr.items, writtenItem{pk: pkOf(r.PutRequest.Item), put: r.PutRequest.Item})
				} else if r.DeleteRequest != nil {
					wr.items = append(wr.items, writtenItem{pk: pkOf(r.DeleteRequest.Key)})
				}
			}
		}
		return wr, true
	}
	return write{}, false
}
