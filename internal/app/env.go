// Package app is the cold-start wiring shared by every function and by local mode: it reads
// the configuration once and builds each AWS client and domain service at most once, on first
// use. A function asks only for what its handler needs, so its binary links nothing else.
//
// Env has one typed slot per getter (slot.go), grouped by the file that holds the getters:
// Orgs reads e.people.orgs, a slot of *orgs.Service, and go-to-definition on a getter leads to
// what it builds. A slot is built once, on first use, safely under concurrent use, and a
// builder may ask for other getters. The Use methods set a slot from outside, with a value of
// the slot's own type.
//
// Package app itself links only the DynamoDB client, which every function uses. What a
// function needs only when its route says so is installed into its Env from outside, by an
// Install that its generated main calls (mainsrc.RouteInstalls for a route, InstallsFor for
// the other functions): ses.Install and cognito.Install (UseMail, UseDirectory) for an ses:
// or a cognito-idp: action, sqs.Install (UseWebhookQueue) for an sqs: action, secrets.Install
// (UseSecretReader) for a function that reads a key or a secret, sheets.Install
// (UseSpreadsheets) for a route that reads or writes spreadsheets, and the glue's steps,
// orgauthz.Install, toolauth.Install and scimauth.Install (UseAuthorizer, UseToolSignIn,
// UseSCIMSignIn), for org routes, the tools' routes and SCIM's. Tests install fakes with the
// same Use methods. Asking an Env for one that nobody installed panics, at the cold start,
// when the handler is built, and again with the same message if asked again.
package app

import (
	"crypto/rand"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/oklog/ulid/v2"

	"github.com/vendorportal/orgs/internal/account"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/tickets"
)

// Config is the process configuration, read from the environment once per cold start.
type Config struct {
	Region           string
	TableName        string
	UserPoolID       string
	UserPoolClientID string
	// Issuer is the JWT issuer of the user pool.
	Issuer string
	// AppURL is the web frontend's base URL, used in email links and as the default CORS origin.
	AppURL         string
	AllowedOrigins []string
	// APIURL is the API's own public base URL (API_URL), where SCIM clients are pointed.
	APIURL   string
	MailFrom string
	// DynamoDBEndpoint, CognitoEndpoint and SESEndpoint point at local stand-ins; empty in AWS.
	DynamoDBEndpoint string
	CognitoEndpoint  string
	SESEndpoint      string
	// SQSEndpoint points the SQS client at the local stand-in (package sqslocal); empty in AWS.
	SQSEndpoint string
	// WebhookQueueURL is the FIFO queue of webhook delivery jobs (WEBHOOK_QUEUE_URL): set on
	// the functions that send to it or take from it (an sqs: action).
	WebhookQueueURL string
	// SecretsManagerEndpoint points the Secrets Manager client at a stand-in (the cold-start
	// bench); empty in AWS.
	SecretsManagerEndpoint string
	// KeyARNs are the Secrets Manager ARNs of the keys the function was given, by purpose
	// (KeyEnv's variables: set in AWS on the functions that use each key, and only on those).
	// Read a key with Env.Key.
	KeyARNs map[string]string
	// Keys, when not nil, are the only key purposes the function may ask for (Env.Key
	// panics on another): in Lambda, those whose ARN the stack set; in local mode, those its
	// route or trigger names, as the stack would grant them. Nil: any (tests, tools).
	Keys []string
	// Secret is the local secret every key is derived from where a key has no ARN (APP_SECRET;
	// local mode and tests), random when unset. No deployed function has one.
	Secret []byte
	// AllowLoopbackWebhooks lets webhook URLs be http(s)://127.0.0.1 or localhost: local
	// development only (ALLOW_LOOPBACK_WEBHOOKS; on by default in local mode, never set by
	// the deployed stack).
	AllowLoopbackWebhooks bool
	// AppID is the name of the function the process serves ("create-invite",
	// "stream-processor", "scheduled-job"): every AWS SDK client carries it as its app id, so
	// each request's User-Agent says which function made it (app/<name>). Set by the
	// function's main (lambdaapp) and by local mode, one Env per function.
	AppID string
	// AdaptiveRetry makes the SDK clients retry in adaptive mode (client-side rate limiting
	// under throttling) rather than standard: for the background functions, which can wait.
	AdaptiveRetry bool
	// DailyEmailLimit is the org's email budget a UTC day (ORG_DAILY_EMAIL_LIMIT; 0: the
	// default of ratelimit.OrgDailyEmails).
	DailyEmailLimit int
	// APIOptions are added to every AWS SDK client built from the Env: local mode and the
	// tests check each call there against the function's IAM statements (package
	// iam/enforce). Empty in AWS, where IAM itself does.
	APIOptions []func(*middleware.Stack) error
	// MailDomainsFile is the table of free, public and disposable mail domains
	// (MAIL_DOMAINS_FILE): in AWS the file of the layer the stack gives the functions whose
	// route refuses such domains (Route.MailDomains), and only those; in local mode the
	// repository's file, for those same functions. Env.MailDomains opens it.
	MailDomainsFile string
	// UserDailyEmailLimit is the acting user's email budget a UTC day across all their orgs
	// (USER_DAILY_EMAIL_LIMIT; 0: the default of ratelimit.UserDailyEmails).
	UserDailyEmailLimit int
}

// ConfigFromEnv reads the configuration from environment variables.
func ConfigFromEnv() Config {
	c := Config{
		Region:           envOr("AWS_REGION", "us-east-1"),
		TableName:        envOr("TABLE_NAME", "orgs"),
		UserPoolID:       os.Getenv("USER_POOL_ID"),
		UserPoolClientID: os.Getenv("USER_POOL_CLIENT_ID"),
		AppURL:           strings.TrimRight(envOr("APP_URL", "http://localhost:3000"), "/"),
		MailFrom:         envOr("MAIL_FROM", "no-reply@example.com"),
		APIURL:           envOr("API_URL", "http://127.0.0.1:8080"),
		DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		CognitoEndpoint:  os.Getenv("COGNITO_ENDPOINT"),
		SESEndpoint:      os.Getenv("SES_ENDPOINT"),
		SQSEndpoint:      os.Getenv("SQS_ENDPOINT"),
		WebhookQueueURL:  os.Getenv("WEBHOOK_QUEUE_URL"),
		MailDomainsFile:  os.Getenv("MAIL_DOMAINS_FILE"),
	}
	c.Issuer = os.Getenv("JWT_ISSUER")
	if c.Issuer == "" {
		c.Issuer = IssuerFor(c.Region, c.UserPoolID, c.CognitoEndpoint)
	}
	keysFromEnv(&c)
	c.SecretsManagerEndpoint = os.Getenv("SECRETSMANAGER_ENDPOINT")
	c.Secret = []byte(os.Getenv("APP_SECRET"))
	if len(c.Secret) == 0 {
		// Without a configured secret nothing sealed survives this process: fine for a test;
		// a deployed function reads its keys by their ARNs and derives none from it.
		c.Secret = RandomSecret()
	}
	c.AllowLoopbackWebhooks = envBool("ALLOW_LOOPBACK_WEBHOOKS")
	c.DailyEmailLimit, _ = strconv.Atoi(os.Getenv("ORG_DAILY_EMAIL_LIMIT"))
	c.UserDailyEmailLimit, _ = strconv.Atoi(os.Getenv("USER_DAILY_EMAIL_LIMIT"))
	c.AllowedOrigins = []string{c.AppURL}
	if v := os.Getenv("ALLOWED_ORIGINS"); v != "" {
		c.AllowedOrigins = strings.Split(v, ",")
	}
	return c
}

// RandomSecret returns 32 random bytes.
func RandomSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// IssuerFor returns the JWT issuer of a user pool: AWS's, or the local stand-in's.
func IssuerFor(region, poolID, cognitoEndpoint string) string {
	if cognitoEndpoint != "" {
		return strings.TrimRight(cognitoEndpoint, "/") + "/" + poolID
	}
	return "https://cognito-idp." + region + ".amazonaws.com/" + poolID
}

// envBool reads a setting that is on when it says true, 1 or yes.
func envBool(key string) bool {
	switch strings.ToLower(os.Getenv(key)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Env holds the configuration and the clients and services built from it. Its getters are
// safe for concurrent use and build each thing once.
type Env struct {
	Config Config
	Log    *slog.Logger
	// Now and NewID are the clock and the id generator handed to every service.
	Now   func() time.Time
	NewID func() string

	// What the getters build or the Use methods set, one typed slot per getter, grouped by
	// the file that holds the getters.
	clients      clientSlots       // AWSConfig, DynamoDB, Mail, Directory (here and use.go)
	people       peopleSlots       // Orgs, Members, Invites, the account self-service, EventLog
	stores       storeSlots        // stores.go
	secrets      secretSlots       // secret.go: the secret reader and the keys
	gitHub       gitHubSlots       // githuboidc.go
	tokens       tokenSlots        // tokens.go
	provisioning provisioningSlots // provisioning.go
	scim         scimSlots         // scim.go
	webhooks     webhookSlots      // webhooks.go
	outbox       outboxSlots       // outbox.go
	licensing    slot[*licensing.Service]
	tickets      slot[*tickets.Service]
	customRoles  slot[*customroles.Service]
	// The glue steps the mains install: orgauthz.go, toolauth.go, scimauth.go.
	authorizer installedSlot[Authorizer]
	toolSignIn installedSlot[ToolSignIn]
	scimSignIn installedSlot[SCIMSignIn]
}

// clientSlots are the AWS configuration and the clients: DynamoDB's, built here unless a test
// sets it (UseDynamoDB), and the mail sender and the directory, which only an install (or a
// test) sets.
type clientSlots struct {
	aws       slot[aws.Config]
	dynamoDB  slot[*dynamodb.Client]
	mail      slot[mail.Sender]
	directory slot[account.Directory]
}

// peopleSlots are the services of orgs, members, invites and accounts.
type peopleSlots struct {
	orgs           slot[*orgs.Service]
	profiles       slot[*account.Service]
	selfSending    slot[*account.Service]
	selfDirectory  slot[*account.Service]
	selfDeletion   slot[*account.Service]
	members        slot[*members.Service]
	invites        slot[*invites.Service]
	invitesSending slot[*invites.Service]
	eventLog       slot[*audit.Log]
}

// New returns an Env for cfg with the real clock and ULID ids.
func New(cfg Config, log *slog.Logger) *Env {
	return &Env{Config: cfg, Log: log, Now: func() time.Time { return time.Now().UTC() }, NewID: NewULID}
}

// NewULID returns a new time-ordered, lower-case ULID.
func NewULID() string {
	return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String())
}

// AWSConfig builds an aws.Config straight from the environment Lambda provides (region and
// credentials in variables) without config.LoadDefaultConfig, which costs init time and size.
func (e *Env) AWSConfig() aws.Config {
	return get(&e.clients.aws, func() aws.Config {
		cfg := aws.Config{Region: e.Config.Region, AppID: e.Config.AppID, APIOptions: slices.Clone(e.Config.APIOptions)}
		// The standard retryer (3 attempts, exponential backoff with jitter, throttling and
		// 5xx retried) for the routes, whose callers wait; adaptive mode, which also slows
		// the client down while DynamoDB throttles it, for the background functions. What
		// still fails after that is answered 503 unavailable with Retry-After (httpapi).
		if e.Config.AdaptiveRetry {
			cfg.Retryer = func() aws.Retryer {
				return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
					o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = 5 })
				})
			}
		} else {
			cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
		}
		if id := os.Getenv("AWS_ACCESS_KEY_ID"); id != "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider(id, os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
		} else {
			// Local stand-ins accept any signature.
			cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
		return cfg
	})
}

// DynamoDB returns the DynamoDB client.
func (e *Env) DynamoDB() *dynamodb.Client {
	return get(&e.clients.dynamoDB, func() *dynamodb.Client {
		return dynamo.NewClient(e.AWSConfig(), e.Config.DynamoDBEndpoint)
	})
}

// Orgs returns the org service.
func (e *Env) Orgs() *orgs.Service {
	return get(&e.people.orgs, func() *orgs.Service {
		return &orgs.Service{Store: e.orgsStore(), Now: e.Now, NewID: e.NewID}
	})
}

// Mail returns the mail sender installed with UseMail (SES: ses.Install).
func (e *Env) Mail() mail.Sender {
	return get(&e.clients.mail, func() mail.Sender {
		panic("app: no mail sender installed: a function that sends mail needs the ses:SendEmail action, for which its generated main calls ses.Install")
	})
}

// Directory returns the identity provider installed with UseDirectory (the Cognito user
// pool: cognito.Install).
func (e *Env) Directory() account.Directory {
	return get(&e.clients.directory, func() account.Directory {
		panic("app: no directory installed: a function that changes users in the pool needs a cognito-idp: action, for which its generated main calls cognito.Install")
	})
}

// Profiles returns the account self-service without a mail sender or a directory: enough for
// changes to the profile, which touch only the table, and for requesting an email change,
// whose link leaves through the outbox.
func (e *Env) Profiles() *account.Service {
	return get(&e.people.profiles, func() *account.Service {
		return &account.Service{Orgs: e.Orgs(), Members: e.MembersStore(), AppURL: e.Config.AppURL}
	})
}

// SelfService returns the account self-service: what requesting an email change needs (its
// link leaves through the outbox).
func (e *Env) SelfService() *account.Service { return e.Profiles() }

// SelfServiceSending returns the account self-service that sends mail: the outbox handlers'
// (the email-change link).
func (e *Env) SelfServiceSending() *account.Service {
	return get(&e.people.selfSending, func() *account.Service {
		s := *e.Profiles()
		s.Mail = e.Mail()
		return &s
	})
}

// SelfServiceWithDirectory returns the account self-service that changes the directory: what
// confirming an email change needs (the notice to the old address leaves through the outbox).
func (e *Env) SelfServiceWithDirectory() *account.Service {
	return get(&e.people.selfDirectory, func() *account.Service {
		s := *e.Profiles()
		s.Directory = e.Directory()
		return &s
	})
}

// AccountDeletion returns the account self-service that changes the directory but sends no
// mail: what deleting an account needs.
func (e *Env) AccountDeletion() *account.Service {
	return get(&e.people.selfDeletion, func() *account.Service {
		s := *e.Profiles()
		s.Directory = e.Directory()
		return &s
	})
}

// Members returns the member service.
func (e *Env) Members() *members.Service {
	return get(&e.people.members, func() *members.Service {
		return &members.Service{Store: e.MembersStore(), Now: e.Now, NewID: e.NewID}
	})
}

// Invites returns the invite service without a mail sender: what the routes need, whose
// emails leave through the outbox.
func (e *Env) Invites() *invites.Service {
	return get(&e.people.invites, func() *invites.Service {
		return &invites.Service{Store: e.InvitesStore(), Accounts: e.Orgs(), AppURL: e.Config.AppURL, Now: e.Now, NewID: e.NewID, Log: e.Log,
			DailyEmailLimit: e.Config.DailyEmailLimit, UserDailyEmailLimit: e.Config.UserDailyEmailLimit}
	})
}

// InvitesSending returns the invite service that sends the invite emails with Mail: the
// outbox handler's (SendInviteEmail).
func (e *Env) InvitesSending() *invites.Service {
	return get(&e.people.invitesSending, func() *invites.Service {
		s := *e.Invites()
		s.Mail = e.Mail()
		return &s
	})
}

// EventLog returns the reader of org event logs.
func (e *Env) EventLog() *audit.Log {
	return get(&e.people.eventLog, func() *audit.Log { return &audit.Log{Store: e.EventsStore()} })
}
