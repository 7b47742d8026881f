package triggers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newEnv(t *testing.T) *app.Env {
	client, table := testenv.DynamoDB(t)
	env := app.New(app.Config{Region: "us-east-1", TableName: table, DynamoDBEndpoint: aws.ToString(client.Options().BaseEndpoint)},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The scheduled job sends mail: its main installs SES. No invite is due in these tests.
	ses.Install(env)
	return env
}

func readEvent(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

func TestPostConfirmationCreatesThePersonalAccountOnce(t *testing.T) {
	env := newEnv(t)
	handler := PostConfirmation.Build(env).(func(context.Context, events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error))
	var ev events.CognitoEventUserPoolsPostConfirmation
	readEvent(t, "post-confirmation.json", &ev)
	for range 2 { // Cognito retries a trigger that times out: the second run must change nothing
		out, err := handler(context.Background(), ev)
		if err != nil || out.UserName != ev.UserName {
			t.Fatalf("handler: %+v %v", out, err)
		}
	}
	acc, err := env.AccountStore().Account(context.Background(), "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Profile.Email != "grace@example.com" || acc.Profile.Name != "Grace Hopper" || len(acc.Memberships) != 1 || acc.Memberships[0].Kind != orgs.Personal {
		t.Errorf("account = %+v", acc)
	}
	// The user's first API call finds the same account.
	me, err := env.Orgs().Me(context.Background(), orgs.Caller{ID: acc.Profile.ID, Email: "grace@example.com"})
	if err != nil || me.Profile.PersonalOrgID != acc.Profile.PersonalOrgID {
		t.Errorf("first call: %+v %v", me, err)
	}
}

func TestPostConfirmationIgnoresForgottenPasswordConfirmations(t *testing.T) {
	env := newEnv(t)
	handler := PostConfirmation.Build(env).(func(context.Context, events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error))
	var ev events.CognitoEventUserPoolsPostConfirmation
	readEvent(t, "post-confirmation.json", &ev)
	ev.TriggerSource = "PostConfirmation_ConfirmForgotPassword"
	if _, err := handler(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if _, err := env.AccountStore().Account(context.Background(), ev.Request.UserAttributes["sub"]); err == nil {
		t.Error("a password reset created an account")
	}
}

func TestScheduledJobRunsOnItsEvent(t *testing.T) {
	env := newEnv(t)
	handler := ScheduledJob.Build(env).(func(context.Context, events.EventBridgeEvent) error)
	var ev events.EventBridgeEvent
	readEvent(t, "scheduled-job.json", &ev)
	if err := handler(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// TestPoolTriggersThatFailReturnTheirError: a trigger that could not do its work returns the
// error, so that Lambda counts it in the Errors metric the stack alarms on (a failure only
// logged reaches no one). The table here does not exist: every DynamoDB call fails.
func TestPoolTriggersThatFailReturnTheirError(t *testing.T) {
	env := newEnv(t)
	env.Config.TableName = "no-such-table"
	ctx := context.Background()

	confirm := PostConfirmation.Build(env).(func(context.Context, events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error))
	var ev events.CognitoEventUserPoolsPostConfirmation
	readEvent(t, "post-confirmation.json", &ev)
	if _, err := confirm(ctx, ev); err == nil {
		t.Error("post-confirmation: no error while the account could not be created")
	}

	signIn := PostAuthentication.Build(env).(func(context.Context, json.RawMessage) (json.RawMessage, error))
	raw, err := os.ReadFile("../../events/post-authentication.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(ctx, raw); err == nil {
		t.Error("post-authentication: no error while the sign-in could not be logged")
	}
	if _, err := signIn(ctx, json.RawMessage(`{"request":`)); err == nil {
		t.Error("post-authentication: no error on an event it could not read")
	}
}
