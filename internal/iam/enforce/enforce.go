// Package enforce checks every AWS call a function makes, before it leaves the process,
// against exactly the IAM statements the stack gives that function's role (iam.Statements of
// the same grants), and fails a call outside them as AWS would: an API error
// AccessDeniedException. Local mode and the tests install it on every function's SDK clients
// (Enforcer.APIOption, through app.Config.APIOptions), so any missing grant is a failing
// request there, not a surprise after the deploy.
//
// It names each call as IAM does: DynamoDB operations by their action, each item of a
// transaction by its own (ConditionCheckItem, PutItem, UpdateItem, DeleteItem; GetItem for
// TransactGetItems), a Query or Scan of an index on the index's ARN; Cognito's calls on the
// user pool; SES's on the identity of the sender; Secrets Manager's on the secret (read
// through app.Env, which passes each read through the same options); SQS's on the queue, a
// batch by its single call's action; the DynamoDB Streams calls on the stream.
package enforce

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/iam"
)

// ErrorCode is the code of the error a denied call fails with, as AWS answers it.
const ErrorCode = "AccessDeniedException"

// Enforcer holds every function's statements on the local resources.
type Enforcer struct {
	region, account string
	statements      map[string][]iam.Statement

	mu     sync.Mutex
	used   map[Use]bool
	denied []string
	// usageFile, when set, gets a line per first use of an action by a function.
	usageFile string
}

// Use is an action a function was allowed to make.
type Use struct {
	Function, Action string
}

// UsageFileEnv names the environment variable that, when set to a file name, makes every
// Enforcer append a line "<function> <action>" to that file at the first allowed use of each
// action by each function in the process: the tests' record of the grants they exercised
// (`make iam-usage` compares it with the grants).
const UsageFileEnv = "IAM_USAGE_FILE"

// New returns an Enforcer of the grants on res, whose ARNs name things in region and account
// (iam.Local gives them for local mode).
func New(region, account string, res iam.Resources, grants ...iam.Grant) *Enforcer {
	e := &Enforcer{region: region, account: account, statements: map[string][]iam.Statement{}, used: map[Use]bool{},
		usageFile: os.Getenv(UsageFileEnv)}
	for _, g := range grants {
		if _, dup := e.statements[g.Function]; dup {
			panic(fmt.Sprintf("enforce: function %s granted twice", g.Function))
		}
		e.statements[g.Function] = iam.Statements(g, res)
	}
	return e
}

// Statements returns the statements of function fn; false when the Enforcer does not know it.
func (e *Enforcer) Statements(fn string) ([]iam.Statement, bool) {
	s, ok := e.statements[fn]
	return s, ok
}

// Used returns the actions the functions made and were allowed, sorted.
func (e *Enforcer) Used() []Use {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Use
	for u := range e.used {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b Use) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Action, b.Action))
	})
	return out
}

// TakeDenied returns the messages of the calls refused since the last call, and forgets
// them: a test fails on any, even where the code swallows the error (a trigger that must not
// fail the sign-in, a best-effort catch-up), since in AWS that call would fail too.
func (e *Enforcer) TakeDenied() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.denied
	e.denied = nil
	return d
}

// APIOption returns the SDK option that checks the calls of a client of function fn: add it
// to the client's (or the aws.Config's) APIOptions. A call made with a context marked with
// iam.AsFunction is checked against that function's statements instead. A call of a client
// with no function (fn "") and an unmarked context is the tools' or the test's own, and so
// is one of a function the Enforcer does not know (a test's ad-hoc route): they pass.
func (e *Enforcer) APIOption(fn string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("IAMEnforce",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				name := fn
				if marked, ok := iam.FunctionOf(ctx); ok {
					name = marked
				}
				if _, known := e.statements[name]; known {
					if err := e.check(ctx, name, in.Parameters); err != nil {
						return middleware.InitializeOutput{}, middleware.Metadata{}, err
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

// Request is one authorization of a call: an action on a resource.
type Request struct {
	Action, Resource string
}

// check returns the error AWS would answer when fn's statements lack one of the call's
// requests.
func (e *Enforcer) check(ctx context.Context, fn string, input any) error {
	stmts := e.statements[fn]
	for _, r := range e.Requests(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), input) {
		if !iam.Allows(stmts, r.Action, r.Resource) {
			msg := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/%s-role/%s is not authorized to perform: %s on resource: %s "+
				"because no identity-based policy allows the %s action", e.account, fn, fn, r.Action, r.Resource, r.Action)
			e.mu.Lock()
			e.denied = append(e.denied, msg)
			e.mu.Unlock()
			return &smithy.GenericAPIError{Code: ErrorCode, Message: msg, Fault: smithy.FaultClient}
		}
		e.record(Use{Function: fn, Action: r.Action})
	}
	return nil
}

func (e *Enforcer) record(u Use) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.used[u] {
		return
	}
	e.used[u] = true
	if e.usageFile == "" {
		return
	}
	f, err := os.OpenFile(e.usageFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", u.Function, u.Action)
}

// prefixes are the IAM service prefixes of the SDK's service ids.
var prefixes = map[string]string{
	"DynamoDB":                  "dynamodb",
	"DynamoDB Streams":          "dynamodb",
	"Cognito Identity Provider": "cognito-idp",
	"SES":                       "ses",
	"SESv2":                     "ses",
	"Secrets Manager":           "secretsmanager",
	"SQS":                       "sqs",
	"SNS":                       "sns",
	"EventBridge":               "events",
	"Scheduler":                 "scheduler",
}

// Requests are the authorizations a call of operation op of service (the SDK's service id)
// with input needs.
func (e *Enforcer) Requests(service, op string, input any) []Request {
	prefix, ok := prefixes[service]
	if !ok {
		prefix = strings.ToLower(strings.ReplaceAll(service, " ", ""))
	}
	if prefix == "dynamodb" {
		if rs, ok := e.dynamoRequests(input); ok {
			return rs
		}
	}
	if prefix == "sqs" {
		// SQS has no action of its own for a batch: SendMessageBatch, DeleteMessageBatch and
		// ChangeMessageVisibilityBatch need what their single calls need.
		op = strings.TrimSuffix(op, "Batch")
	}
	action := prefix + ":" + op
	return []Request{{Action: action, Resource: e.resource(prefix, input)}}
}

// dynamoRequests names the table operations whose items or indexes IAM authorizes one by one.
func (e *Enforcer) dynamoRequests(input any) ([]Request, bool) {
	table := func(name *string) string {
		if name != nil && strings.HasPrefix(*name, "arn:") {
			return *name
		}
		return iam.TableARN(e.region, e.account, deref(name))
	}
	switch in := input.(type) {
	case *dynamodb.TransactWriteItemsInput:
		var rs []Request
		for _, it := range in.TransactItems {
			switch {
			case it.ConditionCheck != nil:
				rs = append(rs, Request{"dynamodb:ConditionCheckItem", table(it.ConditionCheck.TableName)})
			case it.Put != nil:
				rs = append(rs, Request{"dynamodb:PutItem", table(it.Put.TableName)})
			case it.Update != nil:
				rs = append(rs, Request{"dynamodb:UpdateItem", table(it.Update.TableName)})
			case it.Delete != nil:
				rs = append(rs, Request{"dynamodb:DeleteItem", table(it.Delete.TableName)})
			}
		}
		return rs, true
	case *dynamodb.TransactGetItemsInput:
		var rs []Request
		for _, it := range in.TransactItems {
			if it.Get != nil {
				rs = append(rs, Request{"dynamodb:GetItem", table(it.Get.TableName)})
			}
		}
		return rs, true
	case *dynamodb.BatchGetItemInput:
		var rs []Request
		for _, name := range slices.Sorted(maps.Keys(in.RequestItems)) {
			rs = append(rs, Request{"dynamodb:BatchGetItem", table(&name)})
		}
		return rs, true
	case *dynamodb.BatchWriteItemInput:
		var rs []Request
		for _, name := range slices.Sorted(maps.Keys(in.RequestItems)) {
			rs = append(rs, Request{"dynamodb:BatchWriteItem", table(&name)})
		}
		return rs, true
	case *dynamodb.QueryInput:
		return []Request{{"dynamodb:Query", index(table(in.TableName), in.IndexName)}}, true
	case *dynamodb.ScanInput:
		return []Request{{"dynamodb:Scan", index(table(in.TableName), in.IndexName)}}, true
	}
	return nil, false
}

func index(table string, name *string) string {
	if name == nil || *name == "" {
		return table
	}
	return table + "/index/" + *name
}

// resource is the ARN a call of service prefix with input is authorized on, read from the
// input's field that names it; "*" when it has none.
func (e *Enforcer) resource(prefix string, input any) string {
	field := func(name string) string {
		v := reflect.ValueOf(input)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return ""
		}
		f := v.FieldByName(name)
		if !f.IsValid() {
			return ""
		}
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				return ""
			}
			f = f.Elem()
		}
		if f.Kind() != reflect.String {
			return ""
		}
		return f.String()
	}
	switch prefix {
	case "dynamodb":
		if arn := field("StreamArn"); arn != "" {
			return arn
		}
		// GetRecords names its stream by the iterator, which begins with the stream's ARN.
		if it := field("ShardIterator"); strings.HasPrefix(it, "arn:") {
			arn, _, _ := strings.Cut(it, "|")
			return arn
		}
		if name := field("TableName"); name != "" {
			if strings.HasPrefix(name, "arn:") {
				return name
			}
			return iam.TableARN(e.region, e.account, name)
		}
	case "cognito-idp":
		if id := field("UserPoolId"); id != "" {
			return iam.UserPoolARN(e.region, e.account, id)
		}
	case "ses":
		// SES authorizes a send on the identity of the sender: the address's own identity,
		// which the stack creates unless it verifies the domain (then Local names the domain
		// as the identity, and the address's domain is looked up instead).
		from := cmp.Or(field("Source"), field("FromEmailAddress"))
		if from != "" {
			return iam.MailIdentityARN(e.region, e.account, bareAddress(from))
		}
	case "secretsmanager":
		if id := field("SecretId"); id != "" {
			return iam.SecretARN(e.region, e.account, id)
		}
	case "sqs":
		if u := field("QueueUrl"); u != "" {
			if p, err := url.Parse(u); err == nil {
				parts := strings.Split(strings.Trim(p.Path, "/"), "/")
				return "arn:aws:sqs:" + e.region + ":" + e.account + ":" + parts[len(parts)-1]
			}
		}
	}
	return "*"
}

// bareAddress is the address of a sender such as `"Orgs" <no-reply@example.com>`.
func bareAddress(from string) string {
	if i := strings.LastIndex(from, "<"); i >= 0 {
		from = strings.TrimSuffix(from[i+1:], ">")
	}
	return strings.TrimSpace(from)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Local returns an Enforcer of the grants on the resources of local mode and the tests as cfg
// names them: its table (and streamARN, the table's stream), its sender identity, its user
// pool, the server's keys (their ARNs, or secrets named by their purposes) and the other secrets
// by their names, all in cfg's region and iam.LocalAccount.
func Local(cfg app.Config, streamARN string, grants ...iam.Grant) *Enforcer {
	region, account := cfg.Region, iam.LocalAccount
	res := iam.Resources{
		Table:        iam.TableARN(region, account, cfg.TableName),
		Stream:       streamARN,
		MailIdentity: iam.MailIdentityARN(region, account, bareAddress(cfg.MailFrom)),
		UserPool:     iam.UserPoolARN(region, account, cfg.UserPoolID),
		Keys:         map[string]string{},
		Secrets:      map[string]string{},
	}
	// The webhook delivery queue, named as the enforcer names an SQS call's queue (the last
	// part of its URL); local mode's queue name when cfg names none.
	queue := "webhook-deliveries.fifo"
	if cfg.WebhookQueueURL != "" {
		queue = cfg.WebhookQueueURL[strings.LastIndex(cfg.WebhookQueueURL, "/")+1:]
	}
	res.WebhookQueue = "arn:aws:sqs:" + region + ":" + account + ":" + queue
	if res.Stream == "" {
		// No stream read in this process: none may be read.
		res.Stream = "arn:aws:dynamodb:" + region + ":" + account + ":table/" + cfg.TableName + "/stream/none"
	}
	for _, k := range app.Keys() {
		res.Keys[k] = iam.SecretARN(region, account, cmp.Or(cfg.KeyARNs[k], k))
	}
	for _, g := range grants {
		for _, name := range g.Secrets {
			res.Secrets[name] = iam.SecretARN(region, account, name)
		}
	}
	return New(region, account, res, grants...)
}

// Install makes every AWS client cfg's Env builds check its calls as function fn's (fn ""
// for the tools' own Env, whose calls only a context marked with iam.AsFunction subjects to
// a function's statements).
func (e *Enforcer) Install(cfg *app.Config, fn string) {
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), e.APIOption(fn))
}
