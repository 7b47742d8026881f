// Package app is the cold-start wiring shared by every function and by local mode: it reads
// the configuration once and builds each AWS client and domain service at most once, on first
// use. A function asks only for what its handler needs, so its binary links nothing else.
package app

import (
	"crypto/rand"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/oklog/ulid/v2"

	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ses"
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
	MailFrom       string
	// DynamoDBEndpoint, CognitoEndpoint and SESEndpoint point at local stand-ins; empty in AWS.
	DynamoDBEndpoint string
	CognitoEndpoint  string
	SESEndpoint      string
	// Secret keys the server's MACs: list cursors, and what else must be verifiable without
	// being stored. From APP_SECRET; every function of a deployment must share it.
	Secret []byte
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
		DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		CognitoEndpoint:  os.Getenv("COGNITO_ENDPOINT"),
		SESEndpoint:      os.Getenv("SES_ENDPOINT"),
	}
	c.Issuer = os.Getenv("JWT_ISSUER")
	if c.Issuer == "" {
		c.Issuer = IssuerFor(c.Region, c.UserPoolID, c.CognitoEndpoint)
	}
	c.Secret = []byte(os.Getenv("APP_SECRET"))
	if len(c.Secret) == 0 {
		// Without a configured secret nothing sealed survives this process: fine for a test.
		c.Secret = RandomSecret()
	}
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

	mu    sync.Mutex
	cache map[string]*lazy
}

type lazy struct {
	once sync.Once
	v    any
}

// New returns an Env for cfg with the real clock and ULID ids.
func New(cfg Config, log *slog.Logger) *Env {
	return &Env{Config: cfg, Log: log, Now: func() time.Time { return time.Now().UTC() }, NewID: NewULID}
}

// NewULID returns a new time-ordered, lower-case ULID.
func NewULID() string {
	return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String())
}

// once builds the value under key the first time it is asked for. Builders may ask for other
// values: the lock guards only the map, not the building.
func once[T any](e *Env, key string, build func() T) T {
	e.mu.Lock()
	if e.cache == nil {
		e.cache = map[string]*lazy{}
	}
	l, ok := e.cache[key]
	if !ok {
		l = &lazy{}
		e.cache[key] = l
	}
	e.mu.Unlock()
	l.once.Do(func() { l.v = build() })
	return l.v.(T)
}

// awsConfig builds an aws.Config straight from the environment Lambda provides (region and
// credentials in variables) without config.LoadDefaultConfig, which costs init time and size.
func (e *Env) awsConfig() aws.Config {
	return once(e, "aws", func() aws.Config {
		cfg := aws.Config{Region: e.Config.Region}
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
	return once(e, "dynamodb", func() *dynamodb.Client {
		return dynamo.NewClient(e.awsConfig(), e.Config.DynamoDBEndpoint)
	})
}

// Store returns the single-table store.
func (e *Env) Store() *dynamo.Store {
	return once(e, "store", func() *dynamo.Store { return dynamo.New(e.DynamoDB(), e.Config.TableName) })
}

// Orgs returns the org service.
func (e *Env) Orgs() *orgs.Service {
	return once(e, "orgs", func() *orgs.Service {
		return &orgs.Service{Store: e.Store(), Now: e.Now, NewID: e.NewID}
	})
}

// Mail returns the mail sender: SES.
func (e *Env) Mail() mail.Sender {
	return once(e, "mail", func() mail.Sender {
		return &ses.Mailer{Client: ses.NewClient(e.awsConfig(), e.Config.SESEndpoint), From: e.Config.MailFrom}
	})
}

// Directory returns the identity provider: the Cognito user pool.
func (e *Env) Directory() orgs.Directory {
	return once(e, "directory", func() orgs.Directory {
		return &cognito.Directory{Client: cognito.NewClient(e.awsConfig(), e.Config.CognitoEndpoint), PoolID: e.Config.UserPoolID}
	})
}

// SelfService returns the account self-service.
func (e *Env) SelfService() *orgs.SelfService {
	return once(e, "self", func() *orgs.SelfService {
		return &orgs.SelfService{Orgs: e.Orgs(), Members: e.Store(), Directory: e.Directory(), Mail: e.Mail(), AppURL: e.Config.AppURL}
	})
}

// Members returns the member service.
func (e *Env) Members() *orgs.MemberService {
	return once(e, "members", func() *orgs.MemberService {
		return &orgs.MemberService{Store: e.Store(), Now: e.Now, NewID: e.NewID}
	})
}

// Invites returns the invite service without a mail sender, for the routes that send no
// email (so their binaries do not link the SES client).
func (e *Env) Invites() *orgs.InviteService {
	return once(e, "invites", func() *orgs.InviteService {
		return &orgs.InviteService{Store: e.Store(), Accounts: e.Orgs(), AppURL: e.Config.AppURL, Now: e.Now, NewID: e.NewID, Log: e.Log}
	})
}

// InvitesSending returns the invite service that sends the invite emails through SES.
func (e *Env) InvitesSending() *orgs.InviteService {
	return once(e, "invites-sending", func() *orgs.InviteService {
		s := *e.Invites()
		s.Mail = e.Mail()
		return &s
	})
}
