// Package stack defines the AWS CDK stack of the orgs back end: one DynamoDB table, a Cognito
// user pool, an SES sender identity, the shared application secret, one Lambda function per
// row of the route table (routes.All) behind an API Gateway HTTP API with a Cognito JWT
// authorizer, and one Lambda function per non-HTTP function (triggers.Functions): the
// scheduled job, run by an EventBridge rule every five minutes, the stream processor, fed from
// the table's stream by an event source mapping (batch item failures, bisect on error,
// bounded retries and record age, an SQS queue for what it gives up on), and the user pool's
// post-confirmation trigger.
//
// Everything the stack knows about the endpoints comes from routes.All and
// triggers.Functions, and everything it knows about the table comes from dynamo.Schema, so the
// deployed infrastructure, local mode and the tests cannot disagree. Each function gets its
// own IAM role whose inline policy allows exactly the IAM actions its route or trigger lists,
// on the resources those actions apply to.
//
// Each function's environment holds only the settings it uses (functionEnv), and its role only
// the actions its row lists, plus writing its own log group, sending to its failure queue and,
// with tracing on, X-Ray. Operations (operations.go) apply to every function the two tables
// list, so a function added later gets them without touching the stack: its log group with
// the configured retention, its error-and-throttle alarm, its stage throttle (routes), X-Ray
// when switched on, its figures on the dashboard. Sign-in providers are in federation.go.
//
// The routes' functions, each with its role, log group, alarm, API route, integration and
// invoke permission, are in nested stacks, one per capability of the API (nested.go), so that
// no template nears CloudFormation's 500 resources; the shared resources, the HTTP API with
// its authorizer and stage, the operations and the non-HTTP functions are in the root stack.
//
// The stack is environment-agnostic: it names no account or region and does no context
// lookups, so it synthesizes offline and deploys to whatever account and region the CDK CLI
// is configured for.
package stack

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/triggers"
)

// OperatorsGroup is the Cognito group whose members may call Operator routes: the one name
// the glue checks in the "cognito:groups" claim and the local stand-in's pool defines.
const OperatorsGroup = roles.OperatorsGroup

// Function settings shared by every function, route or trigger.
const (
	// FunctionMemoryMB is the memory of every function. The handlers are small Go binaries
	// that mostly wait on DynamoDB, Cognito or SES; 256 MB gives them enough CPU (which
	// Lambda allots in proportion to memory) for a quick cold start at a low price.
	FunctionMemoryMB = 256
	// FunctionTimeoutSeconds bounds one invocation. It is well below the HTTP API's 30 s
	// integration timeout and leaves room for a cold start plus a few AWS calls.
	FunctionTimeoutSeconds = 10
	// JobTimeoutSeconds bounds one run of the scheduled job, which runs every 5 minutes.
	JobTimeoutSeconds = 120
)

// ScheduleRateMinutes is the interval of the scheduled job (triggers.KindSchedule).
const ScheduleRateMinutes = 5

// The stream processor's event source mapping (triggers.KindStream). A batch that fails is
// split in two (bisect) and retried, at most StreamRetryAttempts times and for at most
// StreamMaxRecordAgeHours; what is still failing is described in the on-failure queue, and
// the scheduled job re-drives the outbox messages concerned from the table, so nothing is
// lost. The records a batch reports as failed (ReportBatchItemFailures) are the only ones
// retried.
const (
	StreamBatchSize         = 25
	StreamRetryAttempts     = 5
	StreamMaxRecordAgeHours = 6
	// StreamTimeoutSeconds bounds one invocation: a batch of emails, each one SES call.
	StreamTimeoutSeconds = 60
)

// CORS headers the browser may send.
var corsAllowHeaders = []string{"Authorization", "Content-Type", "Idempotency-Key"}

// CorsExposeHeaders are the answer's headers, beyond the CORS-safelisted ones, that browser
// code may read: when to try again (429, 503), where a created thing is (201), the name of a
// download. The local gateway (package gateway) exposes the same.
var CorsExposeHeaders = httpapi.CORSExposeHeaders

// OrgsStackProps configures NewOrgsStack.
type OrgsStackProps struct {
	awscdk.StackProps

	// BuildDir holds one directory per function (see FunctionNames),
	// <BuildDir>/<function name>/bootstrap, each packaged as that function's code, and the
	// table of public mail domains at <BuildDir>/MailDomainsLayer/domains.txt, packaged as the
	// layer of the functions that refuse them (`make build` puts it there). Relative paths
	// are taken from the working directory of the synthesizing process. Required.
	BuildDir string

	// AppURL is the web front end's base URL (no trailing slash needed). It is handed to the
	// functions for email links and, unless AllowedOrigins is set, is the only CORS origin.
	// Required.
	AppURL string
	// AllowedOrigins are the CORS origins of the HTTP API and the functions; empty means
	// just AppURL.
	AllowedOrigins []string

	// MailFrom is the SES sender address of the functions' emails. Required.
	MailFrom string
	// MailFromDomainIdentity makes the stack's SES identity the domain of MailFrom (verified
	// by publishing the three DKIM CNAME records it outputs) instead of the address itself
	// (verified by clicking the link SES mails to it).
	MailFromDomainIdentity bool
	// CognitoSESEmail makes Cognito send its own mail (sign-up codes, password resets)
	// through SES from MailFrom (EmailSendingAccount DEVELOPER) instead of Cognito's own
	// sender (COGNITO_DEFAULT, a few dozen messages a day). Cognito refuses an SES identity
	// that is not verified yet, and the stack creates the identity: so the first deploy
	// leaves it off, the identity is verified (the link SES mails, or the DKIM records), and
	// a second deploy turns it on (docs/runbook.md, Deploy).
	CognitoSESEmail bool

	// APIURL is the API's public base URL when a custom domain fronts the HTTP API
	// (https://api.example.com); empty means the HTTP API's own endpoint. Functions that
	// write absolute links to the API (SCIM's meta.location) get it as API_URL.
	APIURL string

	// GoogleClientID and GoogleClientSecret configure sign-in with Google. Federation is
	// skipped when GoogleClientID is empty. The secret should be a reference that is resolved
	// at deploy time (e.g. awscdk.SecretValue_SecretsManager) rather than plain text, which
	// would end up in the template.
	GoogleClientID     string
	GoogleClientSecret awscdk.SecretValue
	// AuthDomainPrefix is the Cognito hosted-UI domain prefix
	// (<prefix>.auth.<region>.amazoncognito.com). Every federated provider needs it; without
	// one it is optional.
	AuthDomainPrefix string

	// EntraTenantID, EntraClientID and EntraClientSecret configure sign-in with Microsoft
	// Entra ID (OpenID Connect, issuer https://login.microsoftonline.com/<tenant>/v2.0).
	// Federation is skipped when EntraClientID is empty.
	EntraTenantID     string
	EntraClientID     string
	EntraClientSecret awscdk.SecretValue

	// GitHubClientID and GitHubClientSecret are the GitHub OAuth app's; GitHubKeySecret names
	// the Secrets Manager secret (name or complete ARN) holding the PEM signing keys of the
	// stack's GitHub OIDC provider (package githuboidc). Sign-in with GitHub, and the
	// provider's functions, are deployed only when GitHubClientID is set.
	GitHubClientID     string
	GitHubClientSecret awscdk.SecretValue
	GitHubKeySecret    string

	// AlarmEmail, when set, subscribes that address to the alarm topic.
	AlarmEmail string
	// LogRetentionDays is the retention of every function's log group (a value CloudWatch
	// Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, ... 3653); 0 means DefaultLogRetentionDays.
	LogRetentionDays int
	// Tracing turns on X-Ray active tracing for every function.
	Tracing bool
}

// Stack outputs.
const (
	OutputAPIURL     = "ApiUrl"
	OutputUserPoolID = "UserPoolId"
	OutputClientID   = "UserPoolClientId"
	// OutputFederatedClientID is the app client of sign-in through the hosted UI with a
	// federated provider; output only when one is configured.
	OutputFederatedClientID = "UserPoolFederatedClientId"
	OutputTableName         = "TableName"
	OutputAuthDomain        = "AuthDomain"
	outputDkimRecordFm      = "DkimRecord%d"
)

// routeTable is the route table the stack deploys, routes.All; a test swaps it for a
// bigger one (export_test.go).
var routeTable = routes.All

// FunctionNames lists every function of the stack, routes first, then the non-HTTP ones: the
// names of the directories BuildDir must hold.
func FunctionNames() []string {
	var names []string
	for _, r := range routeTable() {
		names = append(names, r.Name)
	}
	for _, f := range triggers.Functions {
		names = append(names, f.Name)
	}
	return names
}

// NewOrgsStack defines the orgs back end in scope. It panics (as CDK constructs do) when
// props are incomplete, or a route of routes.All or a function of triggers.Functions is
// malformed: a name used twice, an unknown HTTP method, auth kind, trigger kind, feature or
// secret, an IAM action that is a wildcard or of a service the stack does not know the
// resource of, or a post-confirmation trigger that asks for user pool (cognito-idp) actions.
func NewOrgsStack(scope constructs.Construct, id string, props *OrgsStackProps) awscdk.Stack {
	if props == nil {
		panic("stack: OrgsStackProps is required")
	}
	for name, v := range map[string]string{"BuildDir": props.BuildDir, "AppURL": props.AppURL, "MailFrom": props.MailFrom} {
		if v == "" {
			panic("stack: OrgsStackProps." + name + " is required")
		}
	}
	checkFunctions(routeTable(), triggers.Functions)
	checkFederation(props)
	appURL := strings.TrimRight(props.AppURL, "/")
	origins := props.AllowedOrigins
	if len(origins) == 0 {
		origins = []string{appURL}
	}

	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	b := &builder{stack: stack, props: props, features: enabledFeatures(props)}
	b.ops = newOperations(stack, props)

	table := newTable(stack)
	identity := newMailIdentity(stack, props)
	keys := newKeys(stack)
	webhookQueue := newWebhookQueue(stack)

	// What the functions get that does not depend on the user pool: all the post-confirmation
	// trigger may have, since the pool depends on it.
	b.res = iam.Resources{
		Table:        *table.TableArn(),
		MailIdentity: *identity.EmailIdentityArn(),
		Stream:       *table.TableStreamArn(),
		Keys:         map[string]string{},
		Secrets:      map[string]string{},
		WebhookQueue: *webhookQueue.QueueArn(),
	}
	for purpose, k := range keys {
		b.res.Keys[purpose] = *k.SecretArn()
	}
	b.settings = settings{
		tableName: table.TableName(),
		appURL:    jsii.String(appURL),
		mailFrom:  jsii.String(props.MailFrom),
		// Not the keys' values: their ARNs, each for the functions that use the key only,
		// whose roles may read those keys alone; they read them from Secrets Manager at
		// their cold start (app.Env.Key), so no function's configuration holds one
		// (principle 9), and a paged list can derive no org token.
		keyARNs:         map[string]*string{},
		webhookQueueURL: webhookQueue.QueueUrl(),
		secrets:         map[string]readableSecret{},
	}
	for purpose, k := range keys {
		b.settings.keyARNs[purpose] = k.SecretArn()
	}
	if props.GitHubClientID != "" {
		b.settings.secrets[oidcapi.SecretGitHubOIDCKeys] = importSecret(props.GitHubKeySecret)
		b.res.Secrets[oidcapi.SecretGitHubOIDCKeys] = b.settings.secrets[oidcapi.SecretGitHubOIDCKeys].policyResource
	}

	var poolTriggers awscognito.UserPoolTriggers
	for _, f := range triggers.Functions {
		switch f.Kind {
		case triggers.KindPostConfirmation:
			poolTriggers.PostConfirmation = b.newFunction(b.stack, triggerSpec(f))
		case triggers.KindPostAuthentication:
			poolTriggers.PostAuthentication = b.newFunction(b.stack, triggerSpec(f))
		}
	}

	pool := newUserPool(stack, props, &poolTriggers)
	if props.CognitoSESEmail {
		// Cognito sends its own mail (sign-up codes, forgotten passwords) from the product's
		// sender, so the identity must exist first.
		pool.Node().AddDependency(identity)
	}
	b.res.UserPool = *pool.UserPoolArn()
	b.settings.userPoolID = pool.UserPoolId()

	for _, f := range triggers.Functions {
		if f.Kind != triggers.KindSchedule {
			continue
		}
		b.newScheduledFunction(f)
	}
	for _, f := range triggers.Functions {
		switch f.Kind {
		case triggers.KindStream:
			b.newStreamProcessor(f, table)
		case triggers.KindQueue:
			b.newQueueFunction(f, webhookQueue)
		}
	}

	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(id),
		Description: jsii.String("Orgs API"),
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins:  jsii.Strings(origins...),
			AllowMethods:  corsMethods(routeTable()),
			AllowHeaders:  jsii.Strings(corsAllowHeaders...),
			ExposeHeaders: jsii.Strings(CorsExposeHeaders...),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		},
		// The stage is defined below, with a throttle per route.
		CreateDefaultStage: jsii.Bool(false),
	})

	// The API's own URL: no cycle, since the API does not depend on any function (the
	// routes, in the nested stacks, depend on the API and their functions).
	b.settings.apiURL = api.ApiEndpoint()
	if props.APIURL != "" {
		b.settings.apiURL = jsii.String(strings.TrimRight(props.APIURL, "/"))
	}

	fed := newFederation(stack, props, pool, appURL, api)
	client := fed.client
	b.settings.userPoolClientID = client.UserPoolClientId()
	b.settings.features = fed.functionSettings

	// The audiences are the app clients: ID tokens carry theirs in "aud", access tokens in
	// "client_id"; API Gateway accepts either. A token of either client is a user of the pool.
	audiences := []awscognito.IUserPoolClient{client}
	if fed.federatedClient != nil {
		audiences = append(audiences, fed.federatedClient)
	}
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CognitoAuthorizer"), pool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{UserPoolClients: &audiences})

	var deployed []*httpapi.Route
	for _, r := range routeTable() {
		if r.Feature == "" || b.features[r.Feature] {
			deployed = append(deployed, r)
		}
	}
	// Each route's function, with its API route, integration and invoke permission, lives in
	// its capability's nested stack (nested.go); what they refer to in this stack (the API,
	// the authorizer, the table, the pool, the topic, ...) CDK passes in as the nested
	// stack's parameters, and what this stack refers to in them (the functions and alarms on
	// the dashboard) comes back as its outputs.
	groupOf, groups := RouteGroups(deployed)
	nested := map[string]awscdk.NestedStack{}
	for _, g := range groups {
		nested[g] = awscdk.NewNestedStack(stack, jsii.String(nestedStackID(g)), &awscdk.NestedStackProps{
			Description: jsii.String("Orgs API routes: " + g),
		})
	}
	var apiRoutes []awsapigatewayv2.HttpRoute
	for _, r := range deployed {
		ns := nested[groupOf[r.Name]]
		fn := b.newFunction(ns, routeSpec(r))

		var auth awsapigatewayv2.IHttpRouteAuthorizer
		switch r.Auth {
		case httpapi.JWT, httpapi.Operator:
			auth = authorizer
		case httpapi.Public, httpapi.Token, httpapi.SCIM:
			// No authorizer: the route is open, or the function checks HTTP Basic or the SCIM
			// bearer token itself.
		}
		// The route is defined beside its function (not with api.AddRoutes, which would put
		// it in this stack): its integration and invoke permission follow it there. The
		// authorizer is defined once, under the API, in this stack.
		route := awsapigatewayv2.NewHttpRoute(ns, jsii.String(r.Name+"Route"), &awsapigatewayv2.HttpRouteProps{
			HttpApi:     api,
			RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), httpMethod(r)),
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(r.Name+"Integration"), fn, nil),
			Authorizer:  auth,
		})
		if auth == nil {
			suppress(route, suppression{rule: "APIG4", reason: authOutsideTheAuthorizer[r.Auth]})
		}
		apiRoutes = append(apiRoutes, route)
	}
	newStage(stack, api, deployed, apiRoutes, b.ops.accessLogs)

	b.ops.finish(api, b.functions)

	awscdk.NewCfnOutput(stack, jsii.String(OutputAPIURL), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API"),
		Value:       api.ApiEndpoint(),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputUserPoolID), &awscdk.CfnOutputProps{
		Description: jsii.String("Cognito user pool id"),
		Value:       pool.UserPoolId(),
	})
	awscdk.NewCfnOutput(stack, jsii.String(OutputClientID), &awscdk.CfnOutputProps{
		Description: jsii.String("Cognito app client of password sign-in (a JWT audience; GET /v1/config answers it)"),
		Value:       client.UserPoolClientId(),
	})
	if fed.federatedClient != nil {
		awscdk.NewCfnOutput(stack, jsii.String(OutputFederatedClientID), &awscdk.CfnOutputProps{
			Description: jsii.String("Cognito app client of sign-in with a federated provider through the hosted UI (a JWT audience)"),
			Value:       fed.federatedClient.UserPoolClientId(),
		})
	}
	awscdk.NewCfnOutput(stack, jsii.String(OutputTableName), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table name"),
		Value:       table.TableName(),
	})
	for _, purpose := range app.Keys() {
		awscdk.NewCfnOutput(stack, jsii.String(OutputKeyARN(purpose)), &awscdk.CfnOutputProps{
			Description: jsii.String("ARN of the Secrets Manager secret holding the " + purpose + " (rotation: the README)"),
			Value:       keys[purpose].SecretArn(),
		})
	}
	return stack
}

// builder holds what the functions are built from, and the functions built so far.
type builder struct {
	// mailDomains is the layer of the table of public mail domains, made for the first
	// function that needs it (Route.MailDomains).
	mailDomains awslambda.ILayerVersion
	stack       awscdk.Stack
	props       *OrgsStackProps
	features    map[string]bool
	res         iam.Resources
	settings    settings
	ops         *operations
	// functions are every function of the stack by name, in the order built.
	functions []namedFunction
}

type namedFunction struct {
	name string
	fn   awslambda.Function
	// route: the function serves an HTTP route (and counts its 5xx answers, httpapi.MetricServerErrors).
	route bool
}

// newScheduledFunction defines the scheduled job f: its function, its EventBridge schedule,
// and the failure queue of both the asynchronous invocation and the rule's delivery.
func (b *builder) newScheduledFunction(f *triggers.Function) awslambda.Function {
	spec := triggerSpec(f)
	queue := NewFailureQueue(b.stack, f.Name+"Failures", "Failed runs of "+f.Name)
	spec.failureQueue = queue
	fn := b.newFunction(b.stack, spec)
	// The schedule is the retry: a failed run is repeated by the next one, five minutes
	// later, so Lambda does not retry the asynchronous invocation itself (which would run
	// every task again, not only the failed one). A run that fails goes to the failure queue,
	// whose depth alarms: the job failing run after run is what an operator must hear of.
	// (The L1 resource, because the L2 destination would grant the send in a separate IAM
	// policy; the role's inline policy allows it instead.)
	awslambda.NewCfnEventInvokeConfig(fn, jsii.String("InvokeConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:         fn.FunctionName(),
		Qualifier:            jsii.String("$LATEST"),
		MaximumRetryAttempts: jsii.Number(0),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: queue.QueueArn()},
		},
	})
	// EventBridge still retries delivering the event (throttling, service errors), but not
	// past the next run; an event it gives up on goes to the same queue.
	awsevents.NewRule(fn, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Runs %s every %d minutes", f.Name, ScheduleRateMinutes)),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(ScheduleRateMinutes))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			RetryAttempts:   jsii.Number(2),
			MaxEventAge:     awscdk.Duration_Minutes(jsii.Number(ScheduleRateMinutes - 1)),
			DeadLetterQueue: queue,
		})},
	})
	return fn
}

// checkFunctions validates the routes and the non-HTTP functions before anything is defined,
// so that a malformed one fails the synthesis with a clear message.
func checkFunctions(routes []*httpapi.Route, fns []*triggers.Function) {
	seen := map[string]bool{}
	use := func(name string) {
		if name == "" {
			panic("stack: a function has no name")
		}
		if seen[name] {
			panic(fmt.Sprintf("stack: function name %q used twice (routes and triggers share one namespace)", name))
		}
		seen[name] = true
	}
	for _, r := range routes {
		use(r.Name)
		httpMethod(r)
		RouteCapability(r)
		switch r.Auth {
		case httpapi.JWT, httpapi.Operator, httpapi.Public, httpapi.Token, httpapi.SCIM:
		default:
			panic(fmt.Sprintf("stack: route %s: unknown auth kind %q", r.Name, r.Auth))
		}
		switch r.Feature {
		case "", oidcapi.FeatureGitHubOIDC:
		default:
			panic(fmt.Sprintf("stack: route %s: unknown feature %q", r.Name, r.Feature))
		}
		for _, name := range r.ReadsSecrets {
			if _, ok := secretEnv[name]; !ok {
				panic(fmt.Sprintf("stack: route %s: unknown secret %q (the stack knows %v)", r.Name, name, slices.Sorted(maps.Keys(secretEnv))))
			}
		}
		iam.Statements(r.Grant(), checkResources)
	}
	postConfirmation := 0
	for _, f := range fns {
		use(f.Name)
		switch f.Kind {
		case triggers.KindSchedule, triggers.KindStream, triggers.KindQueue, triggers.KindPostAuthentication:
		case triggers.KindPostConfirmation:
			postConfirmation++
			if postConfirmation > 1 {
				panic(fmt.Sprintf("stack: function %s: a user pool has only one post-confirmation trigger", f.Name))
			}
		default:
			panic(fmt.Sprintf("stack: function %s: unknown trigger kind %q", f.Name, f.Kind))
		}
		iam.Statements(f.Grant(), checkResources)
	}
}

// newKeys defines the server's keys, one secret per purpose (app.Keys), each read at cold
// start by the functions that use that purpose only: 64 random letters and digits, generated
// by Secrets Manager when the secret is created. Like the table and the user pool they are
// retained when the stack is deleted: they key what the retained data and its holders keep
// (org access tokens, sealed secrets, cursors).
func newKeys(stack awscdk.Stack) map[string]awssecretsmanager.Secret {
	keys := map[string]awssecretsmanager.Secret{}
	for _, purpose := range app.Keys() {
		keys[purpose] = awssecretsmanager.NewSecret(stack, jsii.String(keyID(purpose)), &awssecretsmanager.SecretProps{
			Description: jsii.String("The " + purpose + " of the orgs functions, read only by the functions that use it"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(64),
				ExcludePunctuation: jsii.Bool(true),
				IncludeSpace:       jsii.Bool(false),
			},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		suppress(keys[purpose], suppression{rule: "SMG4", reason: "Rotated by an operator, not on a schedule: a new value " +
			"invalidates what was sealed or MACed under the old one (list cursors, org access tokens), so it is an " +
			"announced step (docs/runbook.md), not an automatic one"})
	}
	return keys
}

// OutputKeyARN is the name of the output giving the ARN of the key of purpose ("CursorKeyArn").
func OutputKeyARN(purpose string) string { return keyID(purpose) + "Arn" }

// keyID is the logical id of a key's secret: "cursor-key" → "CursorKey".
func keyID(purpose string) string {
	var b strings.Builder
	for _, part := range strings.Split(purpose, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// newTable defines the single table from dynamo.Schema.
func newTable(stack awscdk.Stack) awsdynamodb.Table {
	s := dynamo.Schema
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: stringKey(s.PartitionKey),
		SortKey:      stringKey(s.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(s.TTLAttribute),
		Stream:              awsdynamodb.StreamViewType(s.StreamView),
		// Retained when the stack goes, and not deletable at all until an operator turns
		// deletion protection off: the table is the product's data.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})
	for _, ix := range s.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   stringKey(ix.PartitionKey),
			SortKey:        stringKey(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table
}

// stringKey is a string key attribute, or nil for an empty name (no sort key).
func stringKey(name string) *awsdynamodb.Attribute {
	if name == "" {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// newMailIdentity defines the SES identity the functions send from: MailFrom's domain or
// the address itself.
func newMailIdentity(stack awscdk.Stack, props *OrgsStackProps) awsses.EmailIdentity {
	at := strings.LastIndex(props.MailFrom, "@")
	if at <= 0 || at == len(props.MailFrom)-1 {
		panic(fmt.Sprintf("stack: MailFrom %q is not an email address", props.MailFrom))
	}
	ident := awsses.Identity_Email(jsii.String(props.MailFrom))
	if props.MailFromDomainIdentity {
		ident = awsses.Identity_Domain(jsii.String(props.MailFrom[at+1:]))
	}
	identity := awsses.NewEmailIdentity(stack, jsii.String("MailIdentity"), &awsses.EmailIdentityProps{Identity: ident})
	if props.MailFromDomainIdentity {
		names := []*string{identity.DkimDnsTokenName1(), identity.DkimDnsTokenName2(), identity.DkimDnsTokenName3()}
		values := []*string{identity.DkimDnsTokenValue1(), identity.DkimDnsTokenValue2(), identity.DkimDnsTokenValue3()}
		for i := range names {
			awscdk.NewCfnOutput(stack, jsii.String(fmt.Sprintf(outputDkimRecordFm, i+1)), &awscdk.CfnOutputProps{
				Description: jsii.String("DKIM CNAME record to publish for the mail domain"),
				Value:       awscdk.Fn_Join(jsii.String(" CNAME "), &[]*string{names[i], values[i]}),
			})
		}
	}
	return identity
}

// newUserPool defines the user pool with its Lambda triggers and its operators group. The pool
// depends on the trigger functions, so they must not refer to the pool or its client. Its
// app client, hosted-UI domain and federated providers are defined by newFederation.
func newUserPool(stack awscdk.Stack, props *OrgsStackProps, lambdaTriggers *awscognito.UserPoolTriggers) awscognito.UserPool {
	// Until the SES identity is verified (OrgsStackProps.CognitoSESEmail), Cognito's own
	// sender: Cognito refuses a DEVELOPER sender whose identity is unverified.
	email := awscognito.UserPoolEmail_WithCognito(nil)
	if props.CognitoSESEmail {
		// Sign-up codes and password resets go out through SES from the product's sender,
		// not from Cognito's shared sender with its daily cap of a few dozen messages. The
		// stack names no region, so the SES region is the deployment's own, as a token.
		sesOpts := &awscognito.UserPoolSESOptions{FromEmail: jsii.String(props.MailFrom), SesRegion: awscdk.Aws_REGION()}
		if props.MailFromDomainIdentity {
			sesOpts.SesVerifiedDomain = jsii.String(props.MailFrom[strings.LastIndex(props.MailFrom, "@")+1:])
		}
		email = awscognito.UserPoolEmail_WithSES(sesOpts)
	}
	pool := awscognito.NewUserPool(stack, jsii.String("UserPool"), &awscognito.UserPoolProps{
		LambdaTriggers:      lambdaTriggers,
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		SelfSignUpEnabled:   jsii.Bool(true),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		// A changed email takes effect only once verified (the API's own change flow sets it
		// verified after its confirmation link): an unverified address never becomes the
		// user's, so it can't be used to accept someone else's invitation.
		KeepOriginal: &awscognito.KeepOriginalAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		// custom:provisioned marks the users provisioning creates (cognito.ProvisionedAttribute):
		// only those may be taken over after a half-done create. Immutable, so it is set at
		// creation only, and never by a user or an app client.
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			"provisioned": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(false), MaxLen: jsii.Number(8)}),
		},
		// Two-factor sign-in is the user's choice, with an authenticator app (TOTP) only: no
		// SMS, so no SMS role, no SMS spending and no SIM-swap path. The README shows the
		// front end's three calls that enrol an app.
		Mfa:             awscognito.Mfa_OPTIONAL,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		EnableSmsRole:   jsii.Bool(false),
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(false),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		Email:           email,
		// The pool holds every user's identity: retained when the stack goes, and not
		// deletable until an operator turns deletion protection off.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})

	suppress(pool,
		suppression{rule: "COG1", reason: "At least 12 characters with lower case, upper case and digits; no symbol " +
			"rule, as NIST SP 800-63B advises against composition rules: length is what makes a password strong"},
		suppression{rule: "COG2", reason: "Two-factor sign-in (TOTP) is offered to every user and is each user's " +
			"choice by product decision; orgs that need it enforce it at their identity provider (federation)"},
		suppression{rule: "COG8", reason: "The Plus tier's threat protection is a pricing decision left to the " +
			"operator; sign-in attempts are throttled per route and every sign-in is in the orgs' event logs"})

	awscognito.NewCfnUserPoolGroup(stack, jsii.String("OperatorsGroup"), &awscognito.CfnUserPoolGroupProps{
		UserPoolId:  pool.UserPoolId(),
		GroupName:   jsii.String(OperatorsGroup),
		Description: jsii.String("Operators of the service; may call operator routes"),
	})
	return pool
}

// WebhookQueueID is the construct id of the webhook delivery queue: a work queue, whose depth
// is not alarmed as a failure queue's (its dead-letter queue's is).
const WebhookQueueID = "WebhookDeliveryQueue"

// newWebhookQueue defines the FIFO queue of webhook delivery jobs (one message group per
// endpoint: triggers.WebhookDelivery, docs/webhooks.md) and its dead-letter queue, a FIFO
// failure queue kept 14 days. A job hidden until its retry is due stays in flight up to
// 10 hours, within the 12 SQS allows; retention is the longest SQS has (14 days), beyond
// the retry schedule's 28 hours.
func newWebhookQueue(stack awscdk.Stack) awssqs.Queue {
	dead := awssqs.NewQueue(stack, jsii.String(WebhookQueueID+"Failures"), &awssqs.QueueProps{
		Fifo:            jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	awscdk.Tags_Of(dead).Add(jsii.String("purpose"), jsii.String("Webhook delivery jobs received too often"), nil)
	return awssqs.NewQueue(stack, jsii.String(WebhookQueueID), &awssqs.QueueProps{
		Fifo:              jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(triggers.DeliveryVisibilitySeconds)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(14)),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dead, MaxReceiveCount: jsii.Number(triggers.DeliveryMaxReceives)},
	})
}

// newQueueFunction defines the webhook delivery function f and the event source mapping that
// feeds it from queue: one job per invocation, batch item failures reported. (The L1
// mapping, as for the stream: the role's inline policy allows the queue's reads.)
func (b *builder) newQueueFunction(f *triggers.Function, queue awssqs.Queue) awslambda.Function {
	spec := triggerSpec(f)
	spec.timeoutSeconds = triggers.DeliveryTimeoutSeconds
	fn := b.newFunction(b.stack, spec)
	awslambda.NewCfnEventSourceMapping(fn, jsii.String("DeliveryQueue"), &awslambda.CfnEventSourceMappingProps{
		FunctionName:          fn.FunctionName(),
		EventSourceArn:        queue.QueueArn(),
		BatchSize:             jsii.Number(triggers.DeliveryBatchSize),
		FunctionResponseTypes: jsii.Strings("ReportBatchItemFailures"),
	})
	return fn
}

// newStreamProcessor defines the stream processor f: its function (with the alarms, logs and
// tracing of every function), whose role may read the table's stream and send to its
// on-failure queue, and the event source mapping that feeds it from the stream. (The L1
// mapping, because the L2 one would grant the stream and the queue in a separate IAM policy;
// the role's inline policy allows them instead.)
func (b *builder) newStreamProcessor(f *triggers.Function, table awsdynamodb.Table) awslambda.Function {
	spec := triggerSpec(f)
	spec.timeoutSeconds = StreamTimeoutSeconds
	failures := NewFailureQueue(b.stack, f.Name+"Failures", "Stream records "+f.Name+" gave up on")
	spec.failureQueue = failures
	fn := b.newFunction(b.stack, spec)
	awslambda.NewCfnEventSourceMapping(fn, jsii.String("TableStream"), &awslambda.CfnEventSourceMappingProps{
		FunctionName:               fn.FunctionName(),
		EventSourceArn:             table.TableStreamArn(),
		StartingPosition:           jsii.String("TRIM_HORIZON"),
		BatchSize:                  jsii.Number(StreamBatchSize),
		BisectBatchOnFunctionError: jsii.Bool(true),
		MaximumRetryAttempts:       jsii.Number(StreamRetryAttempts),
		MaximumRecordAgeInSeconds:  jsii.Number(StreamMaxRecordAgeHours * 3600),
		FunctionResponseTypes:      jsii.Strings("ReportBatchItemFailures"),
		DestinationConfig: &awslambda.CfnEventSourceMapping_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventSourceMapping_OnFailureProperty{Destination: failures.QueueArn()},
		},
	})
	return fn
}

// secretEnv maps each secret a function may read (Route.ReadsSecrets) to the environment
// variable that hands it the secret's ARN.
var secretEnv = map[string]string{
	oidcapi.SecretGitHubOIDCKeys: app.EnvGitHubOIDCKeySecret,
}

// functionSpec is what newFunction needs to know of a route or a non-HTTP function.
type functionSpec struct {
	name        string
	description string
	actions     []string
	// grant is the function's row's grant (httpapi.Route.Grant, triggers.Function.Grant):
	// what its role is given beyond its logging, its failure queue and tracing, and what local
	// mode and the tests enforce on its AWS calls.
	grant iam.Grant
	// timeoutSeconds bounds one invocation.
	timeoutSeconds float64
	// route is set for an HTTP route's function.
	route *httpapi.Route
	// keys: the server's keys the function uses (their ARNs, and the grant to read them).
	keys []string
	// feature and readsSecrets are the route's (Route.Feature, Route.ReadsSecrets).
	feature      string
	readsSecrets []string
	// failureQueue, when set, is where the function's failed asynchronous invocations go:
	// its role may send to it.
	failureQueue awssqs.IQueue
}

func routeSpec(r *httpapi.Route) functionSpec {
	description := r.Name + ": " + r.Method + " " + r.Path
	if r.Summary != "" {
		description += " - " + r.Summary
	}
	return functionSpec{
		name: r.Name, description: description, actions: r.AllActions(), timeoutSeconds: FunctionTimeoutSeconds,
		route: r, feature: r.Feature, readsSecrets: r.ReadsSecrets, grant: r.Grant(),
		// Only the keys the route uses: a paged list gets the cursor key alone.
		keys: r.Keys,
	}
}

func triggerSpec(f *triggers.Function) functionSpec {
	description := f.Name + ": " + string(f.Kind)
	if f.Summary != "" {
		description += " - " + f.Summary
	}
	spec := functionSpec{
		name: f.Name, description: description, actions: f.Actions,
		grant:          f.Grant(),
		timeoutSeconds: FunctionTimeoutSeconds,
		keys:           f.Keys,
	}
	if f.Kind == triggers.KindSchedule {
		// The job works through what is due in batches and stops early when time runs
		// short; the next run goes on from there.
		spec.timeoutSeconds = JobTimeoutSeconds
	}
	return spec
}

// checkResources stand for every resource a grant may name, for checking the grants
// (iam.Statements panics on a malformed one) before any resource exists.
var checkResources = iam.Resources{Table: "table", Stream: "stream", MailIdentity: "identity", UserPool: "pool", WebhookQueue: "webhook-queue",
	Keys:    map[string]string{app.KeyCursors: "cursor-key", app.KeyTokens: "token-key", app.KeySealing: "seal-key", app.KeyWebhooks: "webhook-key"},
	Secrets: map[string]string{oidcapi.SecretGitHubOIDCKeys: "oidc-keys"}}

// serviceStatement is one statement of a function's policy: the actions of one service on
// its resources.
type serviceStatement struct {
	sid       string
	actions   []string
	resources []string
}

// newFunction defines a function in parent (the root stack, or a route's nested stack) with
// its own log group and role, and registers it for the operations every function gets
// (alarms, dashboard). The role's inline policies allow writing to that log group and
// exactly the function's actions, its secrets, its failure queue, and X-Ray when tracing is
// on. Every function, route or trigger, is built the same way: provided.al2023 on arm64,
// with the code of <BuildDir>/<name>, and the environment functionEnv gives it.
func (b *builder) newFunction(parent constructs.Construct, fn functionSpec) awslambda.Function {
	scope := constructs.NewConstruct(parent, jsii.String(fn.name))

	logGroup := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(LogGroupName(*b.stack.StackName(), fn.name)),
		Retention:    logRetention(b.props.LogRetentionDays),
	})

	policies := map[string]awsiam.PolicyDocument{
		// The log group exists, so the function needs no logs:CreateLogGroup.
		"Logging": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Logs"),
				Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
				Resources: jsii.Strings(*logGroup.LogGroupArn()),
			})},
		}),
	}
	for _, name := range fn.readsSecrets {
		b.settings.secret(fn.name, name) // panics on a secret this deployment does not have
	}
	var stmts []serviceStatement
	for _, s := range iam.Statements(fn.grant, b.res) {
		stmts = append(stmts, serviceStatement{sid: s.Sid, actions: s.Actions, resources: s.Resources})
	}
	if fn.failureQueue != nil {
		stmts = append(stmts, serviceStatement{sid: "FailureQueue", actions: []string{"sqs:SendMessage"}, resources: []string{*fn.failureQueue.QueueArn()}})
	}
	if b.props.Tracing {
		// X-Ray's write actions take no resource.
		stmts = append(stmts, serviceStatement{sid: "Tracing", actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, resources: []string{"*"}})
	}
	if len(stmts) > 0 {
		doc := awsiam.NewPolicyDocument(nil)
		for _, s := range stmts {
			if len(s.resources) == 0 {
				panic(fmt.Sprintf("stack: function %s: no resources for %v", fn.name, s.actions))
			}
			doc.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String(s.sid),
				Actions:   jsii.Strings(s.actions...),
				Resources: jsii.Strings(s.resources...),
			}))
		}
		policies["Function"] = doc
	}
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		Description:    jsii.String("Execution role of the " + fn.name + " function"),
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		InlinePolicies: &policies,
	})
	suppress(role, tableIndexes)
	if b.props.Tracing {
		suppress(role, tracingWrites)
	}

	description := strings.ToValidUTF8(fn.description, "")
	for len(description) > 256 {
		_, size := utf8.DecodeLastRuneInString(description)
		description = description[:len(description)-size]
	}
	env := functionEnv(fn, b.settings)
	var layers []awslambda.ILayerVersion
	if fn.route != nil && fn.route.MailDomains {
		layers = append(layers, b.mailDomainsLayer())
	}
	f := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		Layers:       &layers,
		Description:  jsii.String(description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.props.BuildDir, fn.name)), nil),
		MemorySize:   jsii.Number(FunctionMemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(fn.timeoutSeconds)),
		Environment:  &env,
		Role:         role,
		LogGroup:     logGroup,
	})
	if b.props.Tracing {
		// Set on the L1 resource: the L2 Tracing prop would grant X-Ray in a separate IAM
		// policy, and the role's inline policy already allows it.
		f.Node().DefaultChild().(awslambda.CfnFunction).AddPropertyOverride(jsii.String("TracingConfig.Mode"), "Active")
	}
	b.functions = append(b.functions, namedFunction{name: fn.name, fn: f, route: fn.route != nil})
	return f
}

// MailDomainsLayer is the directory of BuildDir packaged as the layer of the table of public
// mail domains; Lambda unpacks a layer under /opt, where MailDomainsFile is.
const (
	MailDomainsLayer = "MailDomainsLayer"
	MailDomainsFile  = "/opt/" + maildomains.FileName
)

// mailDomainsLayer is the layer of the table of public mail domains (package maildomains):
// 2 MB of data that the functions of Route.MailDomains read at MailDomainsFile, rather than
// each linking it into its binary.
func (b *builder) mailDomainsLayer() awslambda.ILayerVersion {
	if b.mailDomains == nil {
		b.mailDomains = awslambda.NewLayerVersion(b.stack, jsii.String("MailDomains"), &awslambda.LayerVersionProps{
			Description:             jsii.String("The free, public and disposable mail domains no org may claim (" + MailDomainsFile + ")"),
			Code:                    awslambda.Code_FromAsset(jsii.String(filepath.Join(b.props.BuildDir, MailDomainsLayer)), nil),
			CompatibleArchitectures: &[]awslambda.Architecture{awslambda.Architecture_ARM_64()},
			CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
		})
	}
	return b.mailDomains
}

// httpMethod is the route's method as API Gateway knows it.
func httpMethod(r *httpapi.Route) awsapigatewayv2.HttpMethod {
	m := awsapigatewayv2.HttpMethod(strings.ToUpper(r.Method))
	switch m {
	case awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_POST, awsapigatewayv2.HttpMethod_PUT,
		awsapigatewayv2.HttpMethod_PATCH, awsapigatewayv2.HttpMethod_DELETE, awsapigatewayv2.HttpMethod_HEAD,
		awsapigatewayv2.HttpMethod_ANY:
		return m
	}
	panic(fmt.Sprintf("stack: route %s: unsupported method %q", r.Name, r.Method))
}

// corsMethods are the distinct methods of the routes, for the CORS preflight answer.
func corsMethods(routes []*httpapi.Route) *[]awsapigatewayv2.CorsHttpMethod {
	var ms []awsapigatewayv2.CorsHttpMethod
	for _, r := range routes {
		if r.Method == httpapi.AnyMethod {
			continue // a catch-all (SCIM's unknown paths) is no method a browser is meant to use
		}
		m := awsapigatewayv2.CorsHttpMethod(strings.ToUpper(r.Method))
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	slices.Sort(ms)
	return &ms
}
