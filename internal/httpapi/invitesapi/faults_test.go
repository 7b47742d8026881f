package invitesapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

// faults makes chosen DynamoDB calls fail, per attempt (inside the SDK's retry loop, so the
// retryer sees each failure as it would see DynamoDB's own).
type faults struct {
	mu       sync.Mutex
	failing  map[string]error // operation → the error its attempts get
	left     map[string]int   // operation → how many more attempts fail (absent: all)
	injected atomic.Int64
}

// fail makes every attempt of op fail with err (nil: none).
func (f *faults) fail(op string, err error) { f.failN(op, err, -1) }

// failN makes the next n attempts of op fail with err (n < 0: all of them).
func (f *faults) failN(op string, err error, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing == nil {
		f.failing, f.left = map[string]error{}, map[string]int{}
	}
	delete(f.left, op)
	if err == nil {
		delete(f.failing, op)
		return
	}
	f.failing[op] = err
	if n >= 0 {
		f.left[op] = n
	}
}

// take returns the error op's attempt gets, counting it down.
func (f *faults) take(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.failing[op]
	if err == nil {
		return nil
	}
	if n, ok := f.left[op]; ok {
		if n == 0 {
			return nil
		}
		f.left[op] = n - 1
	}
	return err
}

func (f *faults) options(o *dynamodb.Options) {
	// The retryer the functions run with (app.Env.AWSConfig), without its waits.
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.Backoff = retry.BackoffDelayerFunc(noWait) })
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("InjectFault",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := f.take(awsmiddleware.GetOperationName(ctx)); err != nil {
					f.injected.Add(1)
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

func noWait(int, error) (time.Duration, error) { return 0, nil }

var (
	throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "injected: rate of requests exceeds the allowed throughput"}
	// internal is what a 500 from DynamoDB looks like to the retryer.
	internal = &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError}},
		Err:      &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected: internal server error", Fault: smithy.FaultServer},
	}
)

func TestDynamoDBFaultsAfterRetriesAnswer503WithRetryAfterAndWriteNothing(t *testing.T) {
	f := &faults{}
	a := apitest.NewAPI(t, f.options)
	a.UseSES()
	ada, bob := a.Caller("ada"), a.Caller("bob")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	body := fmt.Sprintf(`{"email":%q,"role":"user"}`, bob.Email)

	for name, c := range map[string]struct {
		op  string
		err error
	}{
		"throttled write":        {"TransactWriteItems", throttled},
		"internal error on read": {"BatchGetItem", internal},
	} {
		f.fail(c.op, c.err)
		before := f.injected.Load()
		resp := a.Call(invitesapi.CreateInvite, a.Request(invitesapi.CreateInvite, &ada, org, nil, body))
		f.fail(c.op, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" || !strings.Contains(resp.Body, `"code":"unavailable"`) {
			t.Errorf("%s: %d %v %s; want 503 unavailable with Retry-After", name, resp.StatusCode, resp.Headers, resp.Body)
		}
		if n := f.injected.Load() - before; n != 3 {
			t.Errorf("%s: %d attempts failed; want the standard retryer's 3", name, n)
		}
		t.Logf("%s: %d attempts, then %d Retry-After %s", name, f.injected.Load()-before, resp.StatusCode, resp.Headers["Retry-After"])
	}
	// Nothing was written: no invite, no outbox message, no mail; the same call now works once.
	if got := a.Do(invitesapi.ListInvites, &ada, org, nil, ""); !strings.Contains(got.Body, `"items":[]`) {
		t.Fatalf("after the failed calls: %s", got.Body)
	}
	if got := a.Do(invitesapi.CreateInvite, &ada, org, nil, body); got.Status != 201 {
		t.Fatalf("after the faults: %d %s", got.Status, got.Body)
	}
	a.Deliver()
	if n := len(testenv.Mails(t, a.Env.Config.SESEndpoint, bob.Email)); n != 1 {
		t.Errorf("%d mails to bob; want 1", n)
	}
}

func TestAThrottleThatPassesWithinTheRetriesIsInvisible(t *testing.T) {
	f := &faults{}
	a := apitest.NewAPI(t, f.options)
	ada := a.Caller("ada")
	orgID := a.Org(ada, "Acme")
	// Two throttled attempts, then DynamoDB answers: the third attempt succeeds.
	f.failN("TransactWriteItems", throttled, 2)
	got := a.Do(invitesapi.CreateInvite, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com","role":"user"}`)
	if got.Status != 201 {
		t.Fatalf("%d %s", got.Status, got.Body)
	}
	if got := a.Do(invitesapi.ListInvites, &ada, map[string]string{"orgId": orgID}, nil, ""); strings.Count(got.Body, `"id"`) != 2 { // the invite and its inviter
		t.Errorf("one invite expected: %s", got.Body)
	}
	t.Logf("retries seen: %d throttled attempts before the write went through", f.injected.Load())
}

// failingSES is an SES endpoint that answers Throttling while fail is set and passes the
// rest on to the SES stand-in.
type failingSES struct {
	fail   atomic.Bool
	failed atomic.Int64
	proxy  *httputil.ReverseProxy
}

func (s *failingSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.fail.Load() && r.Method == http.MethodPost {
		s.failed.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>x</RequestId></ErrorResponse>`))
		return
	}
	s.proxy.ServeHTTP(w, r)
}

func TestSESFailingLetsTheInviteSucceedAndTheOutboxRetriesItOnce(t *testing.T) {
	a := apitest.NewAPI(t)
	clock := apitest.HarnessNow
	var mu sync.Mutex
	a.Env.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	target, _ := url.Parse(testenv.SES(t))
	fs := &failingSES{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	a.Env.Config.SESEndpoint = srv.URL
	a.Env.UseMail(&ses.Mailer{Client: standins.SESClient(srv.URL), From: "no-reply@example.com"})
	ada, bob := a.Caller("ada"), a.Caller("bob")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}

	fs.fail.Store(true)
	created := a.Do(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, bob.Email))
	if created.Status != 201 || !strings.Contains(created.Body, `"delivery":"pending"`) {
		t.Fatalf("create while SES fails: %d %s", created.Status, created.Body)
	}
	a.Deliver()
	if got := a.Do(invitesapi.ListInvites, &ada, org, nil, ""); !strings.Contains(got.Body, `"delivery":"failed"`) {
		t.Errorf("the admin sees: %s; want delivery failed", got.Body)
	}
	if fs.failed.Load() == 0 {
		t.Fatal("SES was never called")
	}
	t.Logf("SES calls that failed: %d (the SDK's retries within one attempt)", fs.failed.Load())
	// SES works again; the job re-drives the message when its retry falls due, once.
	fs.fail.Store(false)
	mu.Lock()
	clock = clock.Add(outbox.Backoff(1) * 2)
	mu.Unlock()
	for range 2 {
		if err := a.Env.Outbox().Redrive(context.Background(), a.Env.Now()); err != nil {
			t.Fatal(err)
		}
		a.Deliver()
	}
	if n := len(testenv.Mails(t, a.Env.Config.SESEndpoint, bob.Email)); n != 1 {
		t.Errorf("%d mails to bob after the retries; want exactly 1", n)
	}
	if got := a.Do(invitesapi.ListInvites, &ada, org, nil, ""); !strings.Contains(got.Body, `"delivery":"sent"`) {
		t.Errorf("after the retry the admin sees: %s", got.Body)
	}
}
