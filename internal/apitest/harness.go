package apitest

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
	"path/filepath"
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
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/streamfeed"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// HarnessNow is the harness's clock: the time of the sample events' tokens.
var HarnessNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// The sample events' caller and pool.
const (
	SampleSub    = "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11"
	SampleEmail  = "ada@example.com"
	SamplePool   = "eu-west-1_Example1"
	SampleClient = "4f7v1r8q0example0client0id"
	SampleIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1"
)

// API runs routes as Lambda runs them after API Gateway: through Bind, on real v2 events,
// against DynamoDB Local (a fresh table per test). Its DynamoDB client records every write
// that succeeds, so tests can see what a route's call wrote.
type API struct {
	T      *testing.T
	Env    *app.Env
	Store  *dynamotest.Store
	Writes *writeLog
	Logs   LogBuffer
	IAM    *enforce.Enforcer
	Run    string // makes this test's addresses unique in the shared SES stand-in

	mu      sync.Mutex
	bound   map[*httpapi.Route]httpapi.LambdaHandler
	box     *mail.Recorder     // the mail of inviter
	invites *invites.Service   // sends to box, for making members through invites
	feed    *streamfeed.Feeder // the stream processor over the table, built by deliver
}

// Deliver has the stream processor (the env's outbox handlers: install the mail sender
// first) do what the table's stream holds, as it would seconds after the routes' writes.
func (a *API) Deliver() {
	a.T.Helper()
	if a.feed == nil {
		a.feed = testenv.Stream(a.T, a.Env.DynamoDB(), a.Env.Config.TableName, dynamo.StreamHandler(a.Env.Outbox(), nil, a.Env.Log))
	}
	if err := a.feed.Drain(context.Background()); err != nil {
		a.T.Fatalf("stream processor: %v", err)
	}
}

// config is the configuration of every harness env: the sample events' pool.
func config(table string) app.Config {
	return app.Config{
		Region: "eu-west-1", TableName: table, UserPoolID: SamplePool, UserPoolClientID: SampleClient, Issuer: SampleIssuer,
		AppURL: "http://localhost:3000", AllowedOrigins: []string{"http://localhost:3000"}, MailFrom: "no-reply@example.com",
		Secret: []byte("test secret"), MailDomainsFile: mailDomainsFile(),
	}
}

// mailDomainsFile is the repository's table of public mail domains (package maildomains),
// which every route of the harness may open (the stack gives it to those of
// Route.MailDomains; local mode's tests hold the routes to that).
func mailDomainsFile() string {
	root, err := standins.RepoRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(root, maildomains.RepoPath)
}

// RouteGrants are the grants of the route table, which the harness enforces on the routes'
// AWS calls: each call a route's handler makes is checked against its function's role
// (package iam/enforce), as IAM would in AWS; the test's own calls are not.
func RouteGrants() []iam.Grant {
	var gs []iam.Grant
	for _, r := range routes.All() {
		gs = append(gs, r.Grant())
	}
	return gs
}

func NewAPI(t *testing.T, opts ...func(*dynamodb.Options)) *API {
	t.Helper()
	return NewAPIWithGrants(t, RouteGrants(), opts...)
}

// NewAPIWithGrants is newAPI whose routes' roles have grants.
func NewAPIWithGrants(t *testing.T, grants []iam.Grant, opts ...func(*dynamodb.Options)) *API {
	t.Helper()
	base, table := testenv.DynamoDB(t)
	a := &API{T: t, Writes: &writeLog{}, bound: map[*httpapi.Route]httpapi.LambdaHandler{}}
	cfg := config(table)
	a.IAM = enforce.Local(cfg, "", grants...)
	a.IAM.Install(&cfg, "")
	t.Cleanup(func() {
		// A refused call fails the test even where the code swallowed the error.
		for _, d := range a.IAM.TakeDenied() {
			t.Errorf("IAM would refuse this call in AWS: %s", d)
		}
	})
	client := dynamodb.New(base.Options(), append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), a.IAM.APIOption(""), a.Writes.record)
	}}, opts...)...)
	a.Env = app.New(cfg, slog.New(slog.NewJSONHandler(&a.Logs, nil)))
	toolauth.Install(a.Env)
	orgauthz.Install(a.Env)
	scimauth.Install(a.Env)
	a.Env.Now = func() time.Time { return HarnessNow }
	a.Env.UseDynamoDB(client)
	a.Store = dynamotest.Over(a.Env.Store())
	a.Run = strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com")
	return a
}

// NewBareAPI is an api without a table or any stand-in, for routes that touch neither.
func NewBareAPI(t *testing.T) *API {
	a := &API{T: t, Writes: &writeLog{}, bound: map[*httpapi.Route]httpapi.LambdaHandler{}}
	a.Env = app.New(config(""), slog.New(slog.NewJSONHandler(&a.Logs, nil)))
	toolauth.Install(a.Env)
	orgauthz.Install(a.Env)
	scimauth.Install(a.Env)
	return a
}

// UseSES makes the routes send mail through the SES stand-in, whose store tests read with
// testenv.Mails; send only to addresses from a.address there.
func (a *API) UseSES() {
	a.T.Helper()
	a.Env.Config.SESEndpoint = testenv.SES(a.T)
	ses.Install(a.Env)
}

// Bind binds a route "test" (POST /v1/test) with auth serving h.
func (a *API) Bind(auth httpapi.Auth, h httpapi.Handler) httpapi.LambdaHandler {
	r := &httpapi.Route{Name: "test", Method: "POST", Path: "/v1/test", Auth: auth, Build: func(*app.Env) httpapi.Handler { return h }}
	return httpapi.Bind(r, a.Env)
}

// LoadEvent reads a sample event from events/.
func LoadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "events", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// moduleRoot is the folder of go.mod, above the test's working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Person is a signed-in user.
func Person(name string) orgs.Caller {
	return orgs.Caller{ID: "user-" + name, Email: name + "@example.com", EmailVerified: true, IssuedAt: HarnessNow}
}

// Address is an address for local that no other test or run uses.
func (a *API) Address(local string) string { return local + "." + a.Run + "@example.com" }

// Caller is a signed-in user with an address from a.address.
func (a *API) Caller(local string) orgs.Caller {
	return orgs.Caller{ID: "user-" + local, Email: a.Address(local), EmailVerified: true, IssuedAt: HarnessNow}
}

// Account makes sure c has an account, as their first GET /v1/me would.
func (a *API) Account(c orgs.Caller) {
	a.T.Helper()
	if _, err := a.Env.Orgs().Account(context.Background(), c); err != nil {
		a.T.Fatal(err)
	}
}

// Org creates a shared org with admin as its admin and returns its id.
func (a *API) Org(admin orgs.Caller, name string) string {
	a.T.Helper()
	v, err := a.Env.Orgs().Create(context.Background(), admin, orgs.CreateInput{Name: name})
	if err != nil {
		a.T.Fatal(err)
	}
	return v.ID
}

// Member makes c a member of the org with the role.
func (a *API) Member(orgID string, c orgs.Caller, role roles.Role) {
	a.T.Helper()
	a.Account(c)
	err := a.Store.SeedMember(context.Background(), orgs.Member{
		OrgID: orgID, UserID: c.ID, Email: c.Email, Role: role, JoinedAt: HarnessNow, Source: orgs.SourceInvite,
	}, orgs.Shared)
	if err != nil {
		a.T.Fatal(err)
	}
}

var LinkToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// Inviter is an invite service that mails to a recorder of its own, for setting up members
// through invites whatever mail the routes send.
func (a *API) Inviter() *invites.Service {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.invites == nil {
		s := *a.Env.Invites()
		a.box = &mail.Recorder{}
		s.Mail = a.box
		a.invites = &s
	}
	return a.invites
}

// Join makes c a member of orgID as role, invited by admin, through an invite c accepts.
func (a *API) Join(orgID string, admin, c orgs.Caller, role roles.Role) {
	a.T.Helper()
	ctx := context.Background()
	access, err := a.Env.Orgs().Authorize(ctx, admin, orgID, "")
	if err != nil {
		a.T.Fatal(err)
	}
	inv, err := a.Inviter().Create(ctx, access, invites.Input{Email: c.Email, Role: string(role)})
	if err != nil {
		a.T.Fatal(err)
	}
	// The invite's outbox message, done here and now by the inviter's handler.
	msg, err := a.Store.OutboxMessage(ctx, inv.DeliveryMessage)
	if err != nil {
		a.T.Fatal(err)
	}
	if err := a.Inviter().SendInviteEmail(ctx, msg); err != nil {
		a.T.Fatal(err)
	}
	token := ""
	for i := len(a.box.Sent) - 1; i >= 0 && token == ""; i-- {
		if a.box.Sent[i].To == c.Email {
			token = LinkToken.FindStringSubmatch(a.box.Sent[i].Text)[1]
		}
	}
	if token == "" {
		a.T.Fatalf("no mail to %s", c.Email)
	}
	if _, err := a.Inviter().Accept(ctx, c, token); err != nil {
		a.T.Fatal(err)
	}
}

// SetMembersCanInvite sets the org's setting straight in the table.
func (a *API) SetMembersCanInvite(orgID string, on bool) {
	a.T.Helper()
	_, err := a.Env.DynamoDB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(a.Env.Config.TableName),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID}, "SK": &types.AttributeValueMemberS{Value: "META"},
		},
		UpdateExpression:          aws.String("SET membersCanInvite = :on"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":on": &types.AttributeValueMemberBOOL{Value: on}},
	})
	if err != nil {
		a.T.Fatal(err)
	}
}

// Request builds the v2 event API Gateway sends for a call of r by c (nil: no token) with
// the path parameters, query (repeated parameters joined by commas, as API Gateway does) and
// body. It starts from a sample event of events/.
func (a *API) Request(r *httpapi.Route, c *orgs.Caller, params map[string]string, query url.Values, body string) events.APIGatewayV2HTTPRequest {
	a.T.Helper()
	ev := LoadEvent(a.T, "get-org.json")
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

// Handler is r bound to the env, once per api.
func (a *API) Handler(r *httpapi.Route) httpapi.LambdaHandler {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn, ok := a.bound[r]
	if !ok {
		fn = httpapi.Bind(r, a.Env)
		a.bound[r] = fn
	}
	return fn
}

// Call runs one request of r and returns the answer.
func (a *API) Call(r *httpapi.Route, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	a.T.Helper()
	resp, err := a.Handler(r)(context.Background(), ev)
	if err != nil {
		a.T.Fatalf("%s: the handler returned an error to Lambda: %v", r.Name, err)
	}
	if slices.Contains(routes.All(), r) {
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(resp.Body)
		}
		if err := Contract.Check(r.Method, r.Path, resp.StatusCode, resp.Headers["Content-Type"], body); err != nil {
			a.T.Errorf("the answer is not as openapi.yaml documents it: %v\n%s", err, resp.Body)
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

// Invoke runs ev through the bound route and returns the answer and the number of DynamoDB
// round trips the request's log line reports.
func (a *API) Invoke(r *httpapi.Route, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, int) {
	a.T.Helper()
	a.Logs.Take()
	resp := a.Call(r, ev)
	lines := a.Logs.Take()
	var found []requestLog
	for _, l := range lines {
		var rl requestLog
		if err := json.Unmarshal([]byte(l), &rl); err != nil {
			a.T.Fatalf("log line %q: %v", l, err)
		}
		if rl.Route == r.Name && rl.DynamoDBCalls != nil {
			found = append(found, rl)
		}
	}
	if len(found) != 1 {
		a.T.Fatalf("%s: want one request log line with dynamodbCalls, got %q", r.Name, lines)
	}
	if found[0].Status != resp.StatusCode {
		a.T.Errorf("%s: logged status %d, answered %d", r.Name, found[0].Status, resp.StatusCode)
	}
	return resp, *found[0].DynamoDBCalls
}

// Reply is the answer of do.
type Reply struct {
	Status int
	Body   string
	Calls  int
}

func (r Reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// Do serves one request to r as c (nil: no token), with path parameters, query and body,
// and returns the status, the body and the DynamoDB calls it made.
func (a *API) Do(r *httpapi.Route, c *orgs.Caller, params, query map[string]string, body string) Reply {
	a.T.Helper()
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	resp, calls := a.Invoke(r, a.Request(r, c, params, q, body))
	return Reply{Status: resp.StatusCode, Body: resp.Body, Calls: calls}
}

// LogBuffer is the log sink of an api, which handlers may write to from several goroutines;
// Bind logs one JSON line per request.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Take returns the lines logged since the last call and forgets them.
func (b *LogBuffer) Take() []string {
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
	writes []Write
	Calls  atomic.Int64
}

// Write is one successful write call: its operation and the items it put or changed.
type Write struct {
	Op    string
	Items []writtenItem
}

type writtenItem struct {
	PK  string
	Put map[string]types.AttributeValue // nil when the item is updated or deleted
}

// Reset forgets what was recorded.
func (w *writeLog) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = nil
	w.Calls.Store(0)
}

func (w *writeLog) All() []Write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.writes)
}

func (w *writeLog) record(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordWrites",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			w.Calls.Add(1)
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

func PKOf(k map[string]types.AttributeValue) string {
	if s, ok := k["PK"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// writeOf describes a write call's input; false for reads.
func writeOf(input any) (Write, bool) {
	switch in := input.(type) {
	case *dynamodb.TransactWriteItemsInput:
		wr := Write{Op: "TransactWriteItems"}
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				wr.Items = append(wr.Items, writtenItem{PK: PKOf(it.Put.Item), Put: it.Put.Item})
			case it.Update != nil:
				wr.Items = append(wr.Items, writtenItem{PK: PKOf(it.Update.Key)})
			case it.Delete != nil:
				wr.Items = append(wr.Items, writtenItem{PK: PKOf(it.Delete.Key)})
			}
		}
		return wr, true
	case *dynamodb.PutItemInput:
		return Write{Op: "PutItem", Items: []writtenItem{{PK: PKOf(in.Item), Put: in.Item}}}, true
	case *dynamodb.UpdateItemInput:
		return Write{Op: "UpdateItem", Items: []writtenItem{{PK: PKOf(in.Key)}}}, true
	case *dynamodb.DeleteItemInput:
		return Write{Op: "DeleteItem", Items: []writtenItem{{PK: PKOf(in.Key)}}}, true
	case *dynamodb.BatchWriteItemInput:
		wr := Write{Op: "BatchWriteItem"}
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					wr.Items = append(wr.Items, writtenItem{PK: PKOf(r.PutRequest.Item), Put: r.PutRequest.Item})
				} else if r.DeleteRequest != nil {
					wr.Items = append(wr.Items, writtenItem{PK: PKOf(r.DeleteRequest.Key)})
				}
			}
		}
		return wr, true
	}
	return Write{}, false
}
