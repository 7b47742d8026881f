// Package localmode assembles the whole API on one machine against the local stand-ins:
// it creates the table, the user pool and a demo catalog when they are absent, serves every route of the
// route table through the local gateway, runs the stream processor in-process, fed from
// DynamoDB Local's stream (package streamfeed), the webhook delivery function, fed from the
// delivery queue in the SQS stand-in (packages sqslocal and queuefeed), and the scheduled
// job on a timer. `make run`
// and the end-to-end tests both use it.
//
// Each function gets an Env of its own, as each Lambda function has its own process: its SDK
// clients carry the function's name as their app id (User-Agent app/<name>), the routes',
// the stream processor's and the scheduled job's alike.
package localmode

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/dynamo/tableadmin"
	"github.com/vendorportal/orgs/internal/gateway"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/queuefeed"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/secrets"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/sqs"
	"github.com/vendorportal/orgs/internal/sqslocal"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/streamfeed"
	"github.com/vendorportal/orgs/internal/toolauth"
	"github.com/vendorportal/orgs/internal/triggers"
)

// Options say where the stand-ins are and what to call things in them.
type Options struct {
	DynamoDBEndpoint, CognitoEndpoint, SESEndpoint string
	TableName                                      string
	PoolName                                       string
	// Config is the starting configuration (APP_URL, MAIL_FROM, ...); the endpoints, table,
	// pool and issuer are filled in from the above.
	Config app.Config
	Log    *slog.Logger
	// LambdaEndpoint, when set, is where cognito-local invokes the pool's Lambda triggers
	// (standins.Stack.LambdaEndpoint): New serves the trigger functions there until ctx ends.
	LambdaEndpoint string
	// StreamFromLatest starts the stream processor at the stream's end rather than its
	// beginning (see streamfeed.Feeder.FromLatest): `make run`, whose data outlives restarts.
	StreamFromLatest bool
	// SQSEndpoint names an SQS stand-in already running (or Config.SQSEndpoint does); empty:
	// New serves one in-process (package sqslocal) until ctx ends.
	SQSEndpoint string
	// SQSFile, when set, is where the in-process SQS stand-in keeps its queues across
	// restarts (`make run`: .local/sqs.json).
	SQSFile string
}

// DeliveryQueueName is the webhook delivery queue's name in the SQS stand-in.
const DeliveryQueueName = "webhook-deliveries.fifo"

// API is the assembled local API.
type API struct {
	// Env is an Env of the local tools (app id "local"), for reading what the API wrote.
	Env     *app.Env
	Pool    standins.Pool
	Handler http.Handler
	// Stream feeds the stream processor (its Env: StreamEnv), from New until its ctx ends.
	Stream    *streamfeed.Feeder
	StreamEnv *app.Env
	// JobEnv is the scheduled job's Env.
	JobEnv *app.Env
	// Deliveries feeds the webhook delivery function (its Env: DeliveryEnv) from the delivery
	// queue, from New until its ctx ends.
	Deliveries  *queuefeed.Feeder
	DeliveryEnv *app.Env
	// IAM checks every function's AWS calls; it records what each was allowed to do.
	IAM *enforce.Enforcer
}

// toolsAppID is the app id of the local tools' Env (API.Env), which is no function's.
const toolsAppID = "local"

// New bootstraps the table and the user pool if absent and returns the API's handler. The
// JWKS is fetched now and refreshed until ctx ends; the stream processor runs until then too.
func New(ctx context.Context, o Options) (*API, error) {
	cfg := o.Config
	cfg.DynamoDBEndpoint, cfg.CognitoEndpoint, cfg.SESEndpoint = o.DynamoDBEndpoint, o.CognitoEndpoint, o.SESEndpoint
	cfg.TableName = o.TableName
	if err := tableadmin.EnsureTable(ctx, standins.DynamoDBClient(cfg.DynamoDBEndpoint), cfg.TableName); err != nil {
		return nil, fmt.Errorf("create table %s: %w", cfg.TableName, err)
	}
	pool, err := standins.EnsureUserPool(ctx, standins.CognitoClient(cfg.CognitoEndpoint), o.PoolName)
	if err != nil {
		return nil, fmt.Errorf("create user pool %s: %w", o.PoolName, err)
	}
	if o.SQSEndpoint != "" {
		cfg.SQSEndpoint = o.SQSEndpoint
	}
	if cfg.SQSEndpoint == "" {
		srv, err := sqslocal.StartPersistent(ctx, "127.0.0.1:0", o.SQSFile)
		if err != nil {
			return nil, err
		}
		cfg.SQSEndpoint = srv.Endpoint
	}
	queueARN := ""
	cfg.WebhookQueueURL, queueARN, err = sqslocal.EnsureDeliveryQueue(ctx, standins.SQSClient(cfg.SQSEndpoint), DeliveryQueueName,
		triggers.DeliveryVisibilitySeconds, triggers.DeliveryMaxReceives)
	if err != nil {
		return nil, fmt.Errorf("create the webhook delivery queue: %w", err)
	}
	cfg.UserPoolID, cfg.UserPoolClientID = pool.ID, pool.ClientID
	mailDomains := cfg.MailDomainsFile
	if mailDomains == "" {
		root, err := standins.RepoRoot()
		if err != nil {
			return nil, err
		}
		mailDomains = filepath.Join(root, maildomains.RepoPath)
	}
	// Only the functions whose route declares the table get it, as the stack gives its layer.
	cfg.MailDomainsFile = ""
	cfg.Issuer = app.IssuerFor(cfg.Region, pool.ID, cfg.CognitoEndpoint)
	verifier, err := gateway.NewVerifier(ctx, cfg.Issuer, cfg.UserPoolClientID)
	if err != nil {
		return nil, err
	}
	// Every function's AWS calls are checked against its role's statements, as IAM does in
	// AWS (package iam/enforce); the tools' own Env ("local") is not a function's.
	streamARN, err := tableadmin.StreamARN(ctx, standins.DynamoDBClient(cfg.DynamoDBEndpoint), cfg.TableName)
	if err != nil {
		return nil, err
	}
	enforcer := enforce.Local(cfg, streamARN, routes.Grants()...)
	function := func(c app.Config) *app.Env {
		if c.AppID != toolsAppID {
			enforcer.Install(&c, c.AppID)
		}
		env := app.New(c, o.Log)
		ses.Install(env)
		cognito.Install(env)
		sheets.Install(env)
		secrets.Install(env)
		sqs.Install(env)
		toolauth.Install(env)
		orgauthz.Install(env)
		scimauth.Install(env)
		return env
	}
	tools := cfg
	tools.AppID = toolsAppID
	api := &API{Env: function(tools), Pool: pool, IAM: enforcer}
	if err := ensureDemoCatalog(ctx, api.Env); err != nil {
		return nil, err
	}
	api.Handler = withDocs(gateway.NewPerFunction(api.Env, routes.All(), verifier, func(r *httpapi.Route) *app.Env {
		c := cfg
		c.AppID = r.Name
		// The function holds only its route's keys, as the stack grants them.
		c.Keys = append([]string{}, r.Keys...)
		if r.MailDomains {
			c.MailDomainsFile = mailDomains
		}
		return function(c)
	}))
	if o.LambdaEndpoint != "" {
		if err := serveTriggers(ctx, o.LambdaEndpoint, pool.ID, func(f *triggers.Function) *app.Env {
			return function(triggers.ConfigFor(f, cfg))
		}); err != nil {
			return nil, err
		}
	}
	api.StreamEnv = function(triggers.ConfigFor(triggers.StreamProcessor, cfg))
	api.JobEnv = function(triggers.ConfigFor(triggers.ScheduledJob, cfg))
	if api.Stream, err = NewFeeder(ctx, api.StreamEnv); err != nil {
		return nil, err
	}
	api.Stream.FromLatest = o.StreamFromLatest
	go api.Stream.Run(ctx)
	api.DeliveryEnv = function(triggers.ConfigFor(triggers.WebhookDelivery, cfg))
	api.Deliveries = &queuefeed.Feeder{
		Client: sqs.NewClient(api.DeliveryEnv.AWSConfig(), cfg.SQSEndpoint), QueueURL: cfg.WebhookQueueURL, QueueARN: queueARN,
		Region: cfg.Region, Handler: triggers.DeliveryHandler(api.DeliveryEnv), Log: o.Log, BatchSize: triggers.DeliveryBatchSize,
	}
	go api.Deliveries.Run(ctx)
	return api, nil
}

// NewFeeder returns the feeder of env's table's stream to the stream processor's handler
// built from env (triggers.StreamHandler): what local mode runs, and what tests that want
// the outbox's work done use (Drain).
func NewFeeder(ctx context.Context, env *app.Env) (*streamfeed.Feeder, error) {
	// The stream's ARN is the deployment's to know (the event source mapping's in AWS), not
	// something the stream processor asks for: it may not DescribeTable.
	arn, err := tableadmin.StreamARN(ctx, standins.DynamoDBClient(env.Config.DynamoDBEndpoint), env.Config.TableName)
	if err != nil {
		return nil, err
	}
	return &streamfeed.Feeder{
		Client: streamfeed.NewClient(env.AWSConfig(), env.Config.DynamoDBEndpoint), StreamARN: arn,
		Handler: triggers.StreamHandler(env), Region: env.Config.Region, Log: env.Log,
	}, nil
}

// RunJobs runs the scheduled job every interval until ctx ends, as the EventBridge schedule
// does in AWS.
func (a *API) RunJobs(ctx context.Context, interval time.Duration) {
	tasks := triggers.Tasks(a.JobEnv)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := triggers.RunScheduled(ctx, a.JobEnv, tasks); err != nil {
				a.JobEnv.Log.Error("scheduled job", "error", err)
			}
		}
	}
}

// SignInConfig is what a running local API's GET /v1/config tells about its user pool.
type SignInConfig struct {
	UserPoolID       string `json:"userPoolId"`
	UserPoolClientID string `json:"userPoolClientId"`
	Issuer           string `json:"issuer"`
	CognitoEndpoint  string `json:"cognitoEndpoint"`
}

// FetchSignInConfig asks the local API at baseURL (as `make run` serves it) for its pool.
func FetchSignInConfig(ctx context.Context, baseURL string) (SignInConfig, error) {
	var cfg SignInConfig
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/v1/config", nil)
	if err != nil {
		return cfg, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return cfg, fmt.Errorf("is `make run` up? %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("read %s/v1/config: %w", baseURL, err)
	}
	if cfg.CognitoEndpoint == "" {
		return cfg, fmt.Errorf("%s is not in local mode (no cognitoEndpoint in /v1/config)", baseURL)
	}
	return cfg, nil
}
