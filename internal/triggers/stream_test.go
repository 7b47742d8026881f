package triggers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/testenv"
)

// userAgents is a proxy in front of DynamoDB Local that records each request's User-Agent.
type userAgents struct {
	mu     sync.Mutex
	agents []string
	proxy  *httputil.ReverseProxy
}

func (u *userAgents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.agents = append(u.agents, r.Header.Get("User-Agent"))
	u.mu.Unlock()
	u.proxy.ServeHTTP(w, r)
}

// streamEnv is the stream processor's Env over a fresh table, as its main builds it, with
// its DynamoDB requests going through ua and its mail to rec.
func streamEnv(t *testing.T, ua *userAgents, rec mail.Sender) (*app.Env, *dynamodb.Client) {
	client, table := testenv.DynamoDB(t)
	target, _ := url.Parse(aws.ToString(client.Options().BaseEndpoint))
	ua.proxy = httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(ua)
	t.Cleanup(srv.Close)
	cfg := ConfigFor(StreamProcessor, app.Config{Region: "eu-west-1", TableName: table, DynamoDBEndpoint: srv.URL})
	env := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	env.UseMail(rec)
	return env, client
}

func TestTheStreamProcessorDoesTheSampleEventsOutboxMessageOnceAndHandsOnItsEvent(t *testing.T) {
	ua := &userAgents{}
	rec := &mail.Recorder{}
	env, client := streamEnv(t, ua, rec)
	var mu sync.Mutex
	var sunk []audit.Event
	env.UseEventSink(func(_ context.Context, ev audit.Event) error {
		mu.Lock()
		defer mu.Unlock()
		sunk = append(sunk, ev)
		return nil
	})
	handler := StreamProcessor.Build(env).(func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error))
	var ev events.DynamoDBEvent
	readEvent(t, "stream-processor.json", &ev)
	// The message is in the table, as the change's transaction wrote it.
	if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: aws.String(env.Config.TableName), Item: dynamo.FromStreamImage(ev.Records[0].Change.NewImage),
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // Lambda hands a batch over again after a timeout: nothing is done twice
		resp, err := handler(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handler: %+v %v", resp, err)
		}
	}
	if len(rec.Sent) != 1 || rec.Sent[0].To != "grace@example.com" || !strings.Contains(rec.Sent[0].Text, "grace.hopper@example.com") {
		t.Fatalf("sent %+v; want the one notice", rec.Sent)
	}
	m, err := env.OutboxStore().OutboxMessage(context.Background(), "01jd5p7y3k0000000000000001")
	if err != nil || m.Status != outbox.StatusDone || m.Attempts != 1 {
		t.Errorf("message %+v %v; want done after one attempt", m, err)
	}
	if len(sunk) != 2 || sunk[0].Action != "account.email_changed" || sunk[0].Actor.Email != "grace@example.com" {
		t.Errorf("event sink got %+v; want the event, once per delivery of its record", sunk)
	}
	// Its clients say which function they are.
	for _, a := range ua.agents {
		if !strings.Contains(a, "app/stream-processor") {
			t.Errorf("User-Agent %q lacks app/stream-processor", a)
		}
	}
	if len(ua.agents) == 0 {
		t.Error("no DynamoDB request seen")
	}
}

func TestAStreamRecordTheTableFailsForIsReportedAsABatchItemFailure(t *testing.T) {
	ua := &userAgents{}
	env, _ := streamEnv(t, ua, &mail.Recorder{})
	var ev events.DynamoDBEvent
	readEvent(t, "stream-processor.json", &ev)
	// The table is gone: the claim fails, and the record must be handed over again.
	env.Config.TableName = "no-such-table"
	env2 := app.New(env.Config, env.Log)
	env2.UseMail(&mail.Recorder{})
	// The event's record would fail too (the webhooks' fan-out reads the table): this test is
	// about the outbox record.
	env2.UseEventSink(func(context.Context, audit.Event) error { return nil })
	resp, err := StreamHandler(env2)(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[0].Change.SequenceNumber {
		t.Fatalf("response %+v %v; want the outbox record as the one failure", resp, err)
	}
}
