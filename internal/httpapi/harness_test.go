package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/testenv"
)

// harnessNow is the harness's clock: the time of the sample events' tokens.
var harnessNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// api runs routes as Lambda runs them after API Gateway: through Bind, on real v2 events,
// against DynamoDB Local (a fresh table per test). Its DynamoDB client records every write
// that succeeds, so tests can see what a route's call wrote.
type api struct {
	t      *testing.T
	env    *app.Env
	store  *dynamo.Store
	writes *writeLog
	logs   bytes.Buffer
	bound  map[*Route]LambdaHandler
}

func newAPI(t *testing.T) *api {
	t.Helper()
	base, table := testenv.DynamoDB(t)
	a := &api{t: t, writes: &writeLog{}, bound: map[*Route]LambdaHandler{}}
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(slices.Clone(o.APIOptions), a.writes.record)
	})
	a.env = app.New(app.Config{
		Region: "eu-west-1", TableName: table, UserPoolID: "pool", UserPoolClientID: "client", Issuer: "iss",
		Secret: []byte("test secret"),
	}, slog.New(slog.NewJSONHandler(&a.logs, nil)))
	a.env.Now = func() time.Time { return harnessNow }
	a.env.UseDynamoDB(client)
	a.store = a.env.Store()
	return a
}

// person is a signed-in user.
func person(name string) orgs.Caller {
	return orgs.Caller{ID: "user-" + name, Email: name + "@example.com", EmailVerified: true, IssuedAt: harnessNow}
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

// request builds the v2 event API Gateway sends for a call of r by c (nil: no token) with
// the path parameters, query (repeated parameters joined by commas, as API Gateway does) and
// body. It starts from a sample event of events/.
func (a *api) request(r *Route, c *orgs.Caller, params map[string]string, query url.Values, body string) events.APIGatewayV2HTTPRequest {
	a.t.Helper()
	ev := loadEvent(a.t, "get-org.json")
	path := r.Path
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
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
	}
	return ev
}

// call runs one request of r and returns the answer.
func (a *api) call(r *Route, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	a.t.Helper()
	fn, ok := a.bound[r]
	if !ok {
		fn = Bind(r, a.env)
		a.bound[r] = fn
	}
	resp, err := fn(context.Background(), ev)
	if err != nil {
		a.t.Fatalf("%s: the handler returned an error to Lambda: %v", r.Name, err)
	}
	return resp
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
