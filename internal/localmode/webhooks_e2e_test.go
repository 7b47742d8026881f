package localmode_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/webhooks/signature"
)

// startWebhookLocal is startLocal with loopback webhooks allowed, as `make run` has them.
func startWebhookLocal(t *testing.T) *local {
	t.Helper()
	db, table := testenv.DynamoDB(t)
	cognito, _, cognitoEndpoint := testenv.Cognito(t)
	sesEndpoint := testenv.SES(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	poolName := strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com")
	api, err := localmode.New(ctx, localmode.Options{
		DynamoDBEndpoint: aws.ToString(db.Options().BaseEndpoint), CognitoEndpoint: cognitoEndpoint, SESEndpoint: sesEndpoint,
		TableName: table, PoolName: poolName,
		Config: app.Config{Region: "us-east-1", AppURL: "http://localhost:3000", MailFrom: "no-reply@example.com",
			Secret: app.RandomSecret(), AllowLoopbackWebhooks: true},
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	failOnDenied(t, api)
	t.Cleanup(func() {
		_, _ = cognito.DeleteUserPool(context.Background(), &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: aws.String(api.Pool.ID)})
	})
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	return &local{t: t, api: api, srv: srv, cognito: cognito, db: db, table: table, ses: sesEndpoint}
}

// hookReceiver is a customer's endpoint on 127.0.0.1: it answers with the statuses it is
// given in turn (200 once they run out) and keeps what it got.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	r := &hookReceiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.got = append(r.got, hookRequest{req.Header.Clone(), body, time.Now()})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the requests once there are at least n, failing after 30 s.
func (r *hookReceiver) wait(t *testing.T, n int) []hookRequest {
	t.Helper()
	return testenv.Await(t, 30*time.Second, fmt.Sprintf("the receiver's %d requests", n), func() ([]hookRequest, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return slices.Clone(r.got), len(r.got) >= n
	})
}

func (r *hookReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func verifies(t *testing.T, secret string, g hookRequest) bool {
	t.Helper()
	key, err := signature.Secret(secret).Key()
	if err != nil {
		t.Fatal(err)
	}
	return signature.Verify(key, g.header, g.body, time.Now()) == nil
}

func TestWebhooksEndToEndInLocalMode(t *testing.T) {
	l := startWebhookLocal(t)
	admin := l.user(testenv.UniqueAddress(t))
	var o struct{ ID string }
	l.do("POST", "/v1/orgs", admin, `{"name":"Hooks Inc"}`, 201, &o)
	rename := func(name string) {
		l.do("PATCH", "/v1/orgs/"+o.ID, admin, `{"name":"`+name+`"}`, 200, nil)
	}

	// A receiver that fails once: the event arrives within seconds, signed, and the retry 5 s
	// later carries the same webhook-id.
	flaky := newHookReceiver(t, http.StatusInternalServerError)
	var hook struct {
		ID     string
		Secret string
	}
	l.do("POST", "/v1/orgs/"+o.ID+"/webhooks", admin, `{"url":"`+flaky.URL+`/hook","events":["org.*"]}`, 201, &hook)
	start := time.Now()
	rename("Hooks Two")
	got := flaky.wait(t, 2)
	if first := got[0].at.Sub(start); first > 10*time.Second {
		t.Errorf("the first attempt came %v after the change", first)
	}
	if gap := got[1].at.Sub(got[0].at); gap < 4*time.Second || gap > 15*time.Second {
		t.Errorf("the retry came %v after the first attempt; want about 5 s", gap)
	}
	for i, g := range got {
		if !verifies(t, hook.Secret, g) {
			t.Errorf("request %d: the signature does not verify", i)
		}
		if g.header.Get("webhook-id") != got[0].header.Get("webhook-id") || string(g.body) != string(got[0].body) {
			t.Errorf("request %d differs from the first in id or body", i)
		}
	}
	if !strings.Contains(string(got[0].body), `"type":"org.updated"`) {
		t.Errorf("body %s", got[0].body)
	}
	var deliveries struct {
		Items []struct {
			ID, EventID, Status string
			Attempts            int
			LastStatusCode      *int
		}
	}
	testenv.Eventually(10*time.Second, func() (struct{}, bool) {
		l.do("GET", "/v1/orgs/"+o.ID+"/webhooks/"+hook.ID+"/deliveries", admin, "", 200, &deliveries)
		return struct{}{}, len(deliveries.Items) == 1 && deliveries.Items[0].Status == "succeeded"
	})
	if d := deliveries.Items; len(d) != 1 || d[0].Status != "succeeded" || d[0].Attempts != 2 || d[0].EventID != got[0].header.Get("webhook-id") {
		t.Errorf("deliveries %+v", d)
	}

	// Rotation: for a day, deliveries carry a signature under each secret.
	var rotated struct{ Secret string }
	l.do("POST", "/v1/orgs/"+o.ID+"/webhooks/"+hook.ID+"/rotate-secret", admin, "", 200, &rotated)
	rename("Hooks Three")
	g := flaky.wait(t, 3)[2]
	if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != 2 || !verifies(t, hook.Secret, g) || !verifies(t, rotated.Secret, g) {
		t.Errorf("after rotation: %d signatures, old verifies %v, new verifies %v", n, verifies(t, hook.Secret, g), verifies(t, rotated.Secret, g))
	}

	// A receiver answering 410 Gone: the endpoint is disabled and gets nothing more.
	gone := newHookReceiver(t, http.StatusGone)
	var goneHook struct{ ID string }
	l.do("POST", "/v1/orgs/"+o.ID+"/webhooks", admin, `{"url":"`+gone.URL+`","events":["org.updated"]}`, 201, &goneHook)
	rename("Hooks Four")
	gone.wait(t, 1)
	var list struct {
		Items []struct {
			ID      string
			Enabled bool
		}
	}
	_, disabled := testenv.Eventually(10*time.Second, func() (struct{}, bool) {
		l.do("GET", "/v1/orgs/"+o.ID+"/webhooks", admin, "", 200, &list)
		return struct{}{}, slices.ContainsFunc(list.Items, func(it struct {
			ID      string
			Enabled bool
		}) bool {
			return it.ID == goneHook.ID && !it.Enabled
		})
	})
	if !disabled {
		t.Fatalf("the endpoint that answered 410 is still enabled: %+v", list.Items)
	}
	rename("Hooks Five")
	flaky.wait(t, 5) // Four and Five reached the first endpoint...
	if n := gone.count(); n != 1 {
		t.Errorf("...but the disabled one got %d requests", n) // ...and not the disabled one.
	}
	if !slices.Contains(l.actions(o.ID), "webhook.updated") {
		t.Error("no webhook.updated event for the disabling")
	}
}
