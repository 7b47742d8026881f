package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
)

// settings are the values a function's environment may hold. A nil value is one not known
// yet where the function is built (the pool's trigger is built before the pool): a function
// that needs it there fails the synthesis.
type settings struct {
	tableName, appURL, mailFrom *string
	// keyARNs are the ARNs of the server's keys, by purpose (app.Keys).
	keyARNs map[string]*string
	// apiURL is the API's public base URL: the HTTP API's endpoint, or OrgsStackProps.APIURL.
	apiURL *string
	// webhookQueueURL is the webhook delivery queue's URL.
	webhookQueueURL              *string
	userPoolID, userPoolClientID *string
	// secrets are the secrets functions may read, by Route.ReadsSecrets name.
	secrets map[string]readableSecret
	// features are the settings of each configured feature's functions, by Route.Feature.
	features map[string]map[string]*string
}

func (s settings) keyARN(fn, purpose string) *string {
	arn, ok := s.keyARNs[purpose]
	if !ok {
		panic(fmt.Sprintf("stack: function %s uses key %q, which this deployment does not have", fn, purpose))
	}
	return arn
}

func (s settings) secret(fn, name string) readableSecret {
	sec, ok := s.secrets[name]
	if !ok {
		panic(fmt.Sprintf("stack: function %s reads secret %q, which this deployment does not have", fn, name))
	}
	return sec
}

// writeActions are the DynamoDB actions that change items. A function that writes may put an
// email into its change's outbox, and the email's links need APP_URL.
var writeActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}

// EnvRule says which functions get one environment variable: the rule of functionEnv, kept
// here in words for the README and the tests.
var EnvRule = map[string]string{
	"TABLE_NAME":          "functions with a dynamodb: action",
	"MAIL_FROM":           "functions with an ses: action",
	"APP_URL":             "functions with an ses: action or a DynamoDB write (an outbox email's links)",
	"USER_POOL_ID":        "functions with a cognito-idp: action, and get-config",
	"USER_POOL_CLIENT_ID": "get-config",
	"CURSOR_KEY_ARN":      "functions whose Keys name the cursor key (the paged lists: the glue seals their cursors), which may read that key",
	"TOKEN_KEY_ARN":       "functions whose Keys name the token key (the org access token's routes), which may read that key",
	"SEAL_KEY_ARN":        "functions whose Keys name the sealing key (what puts credentials or codes in the outbox, and the stream processor and job that open them)",
	"WEBHOOK_KEY_ARN":     "functions whose Keys name the webhook key (the webhook routes, the stream processor and the job)",
	"GOMEMLIMIT":          "every function: 90% of its memory, so that Go's collector works harder before the function runs out",
	"API_URL":             "the SCIM capability's functions (the absolute links of SCIM answers, meta.location)",
	"WEBHOOK_QUEUE_URL":   "functions with an sqs: action (they send webhook delivery jobs, or take them)",
	"MAIL_DOMAINS_FILE":   "functions whose route refuses public mail domains (Route.MailDomains: adding and verifying a domain), with the layer that holds the table",
}

// goMemLimit is GOMEMLIMIT for a function of memoryMB: 90% of it, the rest left to what Go
// does not count (the runtime's own, the binary, the Lambda runtime's buffers).
func goMemLimit(memoryMB int) string { return fmt.Sprintf("%dMiB", memoryMB*9/10) }

// functionEnv is a function's environment: only the settings it uses, by the rules of EnvRule,
// plus its feature's settings and the ARNs of the secrets it reads. Nothing is handed to
// every function "just in case": a setting in a function's environment is one more thing it
// could leak, and one more reason to redeploy it.
func functionEnv(fn functionSpec, s settings) map[string]*string {
	env := map[string]*string{"GOMEMLIMIT": jsii.String(goMemLimit(FunctionMemoryMB))}
	set := func(key string, v *string) {
		if v == nil {
			panic(fmt.Sprintf("stack: function %s needs %s, which is not known where it is built", fn.name, key))
		}
		env[key] = v
	}
	uses := func(service string) bool {
		return slices.ContainsFunc(fn.actions, func(a string) bool { return strings.HasPrefix(a, service+":") })
	}
	writes := slices.ContainsFunc(fn.actions, func(a string) bool { return slices.Contains(writeActions, a) })
	signInConfig := fn.route == orgsapi.GetConfig

	if uses("dynamodb") {
		set("TABLE_NAME", s.tableName)
	}
	if uses("ses") {
		set("MAIL_FROM", s.mailFrom)
	}
	if uses("ses") || writes {
		set("APP_URL", s.appURL)
	}
	if uses("cognito-idp") || signInConfig {
		set("USER_POOL_ID", s.userPoolID)
	}
	if signInConfig {
		set("USER_POOL_CLIENT_ID", s.userPoolClientID)
	}
	if fn.route != nil && RouteCapability(fn.route) == "scim" {
		set("API_URL", s.apiURL)
	}
	for _, k := range fn.keys {
		set(app.KeyEnv[k], s.keyARN(fn.name, k))
	}
	if uses("sqs") {
		set("WEBHOOK_QUEUE_URL", s.webhookQueueURL)
	}
	if fn.route != nil && fn.route.MailDomains {
		set("MAIL_DOMAINS_FILE", jsii.String(MailDomainsFile))
	}
	if fn.feature != "" {
		for k, v := range s.features[fn.feature] {
			set(k, v)
		}
	}
	for _, name := range fn.readsSecrets {
		set(secretEnv[name], jsii.String(s.secret(fn.name, name).id))
	}
	return env
}
