// Package triggers holds the functions that API Gateway does not invoke: the scheduled job,
// the stream processor and the Cognito post-confirmation trigger. Like the route table, each is a package-level value
// that its generated main names, and Functions lists them for the CDK stack and local mode.
package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/mainsrc"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Kind is what invokes a function.
type Kind string

// The kinds of trigger.
const (
	// KindSchedule: an EventBridge schedule, every few minutes.
	KindSchedule Kind = "schedule"
	// KindPostConfirmation: Cognito, after a user confirms the sign-up.
	KindPostConfirmation Kind = "post-confirmation"
	// KindPostAuthentication: Cognito, after a user signed in.
	KindPostAuthentication Kind = "post-authentication"
	// KindStream: the table's DynamoDB stream, through an event source mapping that reports
	// batch item failures (local mode: package streamfeed).
	KindStream Kind = "stream"
	// KindQueue: the SQS FIFO queue of webhook delivery jobs, through an event source
	// mapping that reports batch item failures (local mode: package queuefeed).
	KindQueue Kind = "queue"
)

// Function is a non-HTTP Lambda function.
type Function struct {
	Name    string
	Kind    Kind
	Summary string
	// Actions are the IAM actions the function needs, as in the route table.
	Actions []string
	// Keys are the server's keys the function uses, by purpose (httpapi.Route.Keys).
	Keys []string
	// Build wires the handler once per cold start; it returns a value lambda.Start accepts.
	Build func(env *app.Env) any
}

// Task is one piece of the scheduled job's work. It must be idempotent: running it twice, or
// twice at once, changes nothing more than running it once.
type Task struct {
	Name string
	Run  func(ctx context.Context, now time.Time) error
}

// scheduledTasks lists the job's work, built from env's services.
func scheduledTasks(env *app.Env) []Task {
	store := env.OrgsStore()
	return []Task{
		{Name: "invites", Run: env.Invites().ProcessDue},
		{Name: "outbox", Run: env.Outbox().Redrive},
		{Name: "licenses", Run: func(ctx context.Context, now time.Time) error {
			return env.Licensing().ProcessDue(ctx, now, env.Log)
		}},
		{Name: "purge-deleted-orgs", Run: func(ctx context.Context, now time.Time) error {
			return orgs.PurgeDeleted(ctx, store, now, env.Log)
		}},
	}
}

// RunScheduled runs every task once, each even if another failed, and returns their errors.
func RunScheduled(ctx context.Context, env *app.Env, tasks []Task) error {
	ctx = iam.AsFunction(ctx, ScheduledJobName)
	var errs []error
	for _, t := range tasks {
		start := time.Now()
		err := t.Run(ctx, env.Now())
		env.Log.InfoContext(ctx, "scheduled task", "task", t.Name, "ms", time.Since(start).Milliseconds(), "error", err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// The functions' names.
const (
	ScheduledJobName       = "scheduled-job"
	StreamProcessorName    = "stream-processor"
	PostConfirmationName   = "post-confirmation"
	PostAuthenticationName = "post-authentication"
	WebhookDeliveryName    = "webhook-delivery"
)

// The functions.
var (
	ScheduledJob = &Function{
		Name: ScheduledJobName, Kind: KindSchedule,
		Summary: "the scheduled job: it expires invites and licenses, sends expiry notices, re-drives the outbox (retries of failed emails, what the stream processor missed), purges deleted orgs",
		// sqs:SendMessage: the webhook delivery jobs it re-drives go to the delivery queue.
		Actions: []string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem", "ses:SendEmail",
			"cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminDeleteUser",
			"sqs:SendMessage"},
		// The webhook deliveries it re-drives open the endpoints' sealed secrets, and the
		// outbox's sealed emails (provisioning's credentials and codes) open with the sealing key.
		Keys:  []string{app.KeySealing, app.KeyWebhooks},
		Build: buildScheduledJob,
	}
	StreamProcessor = &Function{
		Name: StreamProcessorName, Kind: KindStream,
		Summary: "the stream processor: it does the outbox messages each change writes (emails, webhook delivery jobs it queues, and the like) and hands new events to the event sink (the webhooks' fan-out)",
		// What the outbox handlers read and write: the invite and its token lookup, an
		// email change, the outbox item itself. The stream's own actions (GetRecords, ...)
		// are granted on the stream by the stack.
		// The webhooks' fan-out (a Query of the org's endpoints, a transaction of deliveries)
		// and the delivery jobs it sends to the delivery queue (sqs:SendMessage; it makes no
		// attempt itself); an import's chunks, which create users in the pool and read the
		// job; the sealed emails, which open with the server secret.
		Actions: []string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "ses:SendEmail",
			"cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminDeleteUser",
			"sqs:SendMessage"},
		Keys:  []string{app.KeySealing, app.KeyWebhooks},
		Build: buildStreamProcessor,
	}
	PostConfirmation = &Function{
		Name: PostConfirmationName, Kind: KindPostConfirmation,
		Summary: "the Cognito post-confirmation trigger: it creates the profile and personal account of a user who just confirmed the sign-up",
		// The account's Query, and its creation: a transaction of puts on condition that no
		// tombstone of a deleted account is there (a ConditionCheck).
		Actions: []string{"dynamodb:Query", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"},
		Build:   buildPostConfirmation,
	}
)

// WebhookDelivery attempts webhook deliveries, one job of the delivery queue at a time per
// endpoint, the endpoints side by side: the only function that waits on a customer's
// endpoint (ARCHITECTURE principle 12).
var WebhookDelivery = &Function{
	Name: WebhookDeliveryName, Kind: KindQueue,
	Summary: "the webhook delivery function: it takes delivery jobs from the FIFO queue (one message group per endpoint), makes each attempt and records it, and keeps a retry hidden in the queue until it is due",
	// An attempt reads the delivery, its endpoint and its event (a BatchGetItem), the chain's
	// next delivery (a Query) and records the outcome (a transaction: the delivery, the
	// chain move, the next job's outbox message, an event when a 410 disables the endpoint);
	// sqs:ChangeMessageVisibility hides a job until it is due, sqs:SendMessage queues the
	// next job at once (webhooks.Dispatcher.sendNow). The event source mapping's own reads
	// of the queue are granted on the queue by the stack.
	Actions: []string{"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
		"sqs:ChangeMessageVisibility", "sqs:SendMessage"},
	// It opens the endpoints' sealed signing secrets.
	Keys:  []string{app.KeyWebhooks},
	Build: buildWebhookDelivery,
}

// PostAuthentication logs each sign-in at the identity provider in the user's orgs.
var PostAuthentication = &Function{
	Name: PostAuthenticationName, Kind: KindPostAuthentication,
	Summary: "the Cognito post-authentication trigger: it logs user.signed_in in every org of the user who just signed in",
	Actions: []string{"dynamodb:Query", "dynamodb:PutItem"},
	Build:   buildPostAuthentication,
}

// IAMActions are the IAM actions the function needs: Actions, and reading its keys when it
// has any.
func (f *Function) IAMActions() []string { return httpapi.WithSecret(f.Actions, len(f.Keys) > 0) }

// Grant is what the function's role is given (see httpapi.Route.Grant): the stream
// processor also reads the table's stream, and the Cognito triggers may have no action on
// the user pool that invokes them.
func (f *Function) Grant() iam.Grant {
	return iam.Grant{Function: f.Name, Actions: f.Actions, Keys: f.Keys, Stream: f.Kind == KindStream,
		PoolTrigger: f.Kind == KindPostConfirmation || f.Kind == KindPostAuthentication, ConsumesQueue: f.Kind == KindQueue}
}

// Functions lists the non-HTTP functions.
var Functions = []*Function{ScheduledJob, StreamProcessor, WebhookDelivery, PostConfirmation, PostAuthentication}

// ConfigFor returns cfg as function f runs with it: its name as the SDK app id, and adaptive
// retries for the background functions, which can wait out throttling.
func ConfigFor(f *Function, cfg app.Config) app.Config {
	cfg.AppID = f.Name
	// The function holds only its own keys, in local mode as in AWS.
	cfg.Keys = append([]string{}, f.Keys...)
	cfg.AdaptiveRetry = f.Kind == KindSchedule || f.Kind == KindStream || f.Kind == KindQueue
	return cfg
}

// MainSource is the source of functions/<f.Name>/main.go.
func MainSource(f *Function) string {
	return mainsrc.GeneratedMain(f.Name, f.Summary, "triggers", "StartFunction(triggers."+mainsrc.VarName(f.Name), f.IAMActions())
}

// Tasks returns the scheduled job's tasks for env (local mode runs them on a timer).
func Tasks(env *app.Env) []Task { return scheduledTasks(env) }

func buildScheduledJob(env *app.Env) any {
	tasks := scheduledTasks(env)
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		return RunScheduled(ctx, env, tasks)
	}
}

// StreamHandler is the stream processor's handler for env: the same in Lambda and in local
// mode (package streamfeed feeds it there).
func StreamHandler(env *app.Env) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	h := dynamo.StreamHandler(env.Outbox(), env.EventSink(), env.Log)
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return h(iam.AsFunction(ctx, StreamProcessorName), ev)
	}
}

func buildStreamProcessor(env *app.Env) any { return StreamHandler(env) }

func buildPostConfirmation(env *app.Env) any {
	svc := env.Orgs()
	return func(ctx context.Context, ev events.CognitoEventUserPoolsPostConfirmation) (events.CognitoEventUserPoolsPostConfirmation, error) {
		ctx = iam.AsFunction(ctx, PostConfirmationName)
		if ev.TriggerSource != "PostConfirmation_ConfirmSignUp" {
			// Confirming a forgotten password also fires the trigger: nothing to create.
			return ev, nil
		}
		attrs := ev.Request.UserAttributes
		_, err := svc.Account(ctx, orgs.Caller{
			ID: attrs["sub"], Email: attrs["email"], EmailVerified: attrs["email_verified"] == "true", Name: attrs["name"],
		})
		if err != nil {
			// Returned, so that Lambda counts it in the function's Errors metric, which the
			// stack alarms on: a failure that is only logged reaches no one. The price: the
			// user's ConfirmSignUp answers UserLambdaValidationException, and the front end
			// shows an error at the step where the account is made. Nothing is lost or half
			// done: the creation is idempotent (a second confirmation, or the user's first API
			// call, which creates the same account through Orgs.Account, finishes it), and a
			// failure here means the table is failing, when no API call would work either.
			env.Log.ErrorContext(ctx, "post-confirmation: create account", slog.String("user", attrs["sub"]), slog.Any("error", err))
			return ev, fmt.Errorf("post-confirmation: create the account of %s: %w", attrs["sub"], err)
		}
		return ev, nil
	}
}

// postAuthentication is Cognito's post-authentication event with the request's context data,
// which carries the source IP where Cognito gives it (threat protection on).
type postAuthentication struct {
	events.CognitoEventUserPoolsPostAuthentication
	Request struct {
		events.CognitoEventUserPoolsPostAuthenticationRequest
		UserContextData *struct {
			IPAddress string `json:"ipAddress"`
		} `json:"userContextData,omitempty"`
	} `json:"request"`
}

func buildPostAuthentication(env *app.Env) any {
	log := env.SignIns()
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		ctx = iam.AsFunction(ctx, PostAuthenticationName)
		var ev postAuthentication
		if err := json.Unmarshal(raw, &ev); err != nil {
			env.Log.ErrorContext(ctx, "post-authentication: decode event", slog.Any("error", err))
			return raw, fmt.Errorf("post-authentication: decode the event: %w", err)
		}
		attrs := ev.Request.UserAttributes
		ip := ""
		if ev.Request.UserContextData != nil {
			ip = ev.Request.UserContextData.IPAddress
		}
		if err := log.SignedIn(ctx, attrs["sub"], attrs["email"], ip); err != nil {
			// Returned, so that Lambda counts it in the function's Errors metric, which the
			// stack alarms on. Cognito then refuses this sign-in (InitiateAuth answers
			// UserLambdaValidationException and issues no tokens): a sign-in the orgs' event
			// logs can't record doesn't happen. The store is the one every API call needs, so
			// while it fails the user could do nothing with the tokens anyway; the SDK has
			// already retried what was retryable.
			env.Log.ErrorContext(ctx, "post-authentication: log sign-in", slog.String("user", attrs["sub"]), slog.Any("error", err))
			return raw, fmt.Errorf("post-authentication: log the sign-in of %s: %w", attrs["sub"], err)
		}
		// The event is answered back unchanged, as Cognito expects.
		return raw, nil
	}
}
