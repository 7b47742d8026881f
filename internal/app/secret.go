package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"time"
)

// The server's keys, one per purpose. Each is a Secrets Manager secret of its own in AWS, and
// a function reads only the keys of the purposes it serves (httpapi.Route.Keys,
// triggers.Function.Keys): the stack gives it those keys' ARNs and the grant to read them,
// and nothing else. A paged list can seal its cursors but derive no org token; nothing but
// the stream processor, the scheduled job and the routes that seal can open a sealed email.
const (
	// KeyCursors seals list cursors (every paged list).
	KeyCursors = "cursor-key"
	// KeyTokens derives the org access tokens (tokens.NewKeys).
	KeyTokens = "token-key"
	// KeySealing seals what the outbox carries (provisioning's credentials and codes) and
	// MACs the domain codes it keeps.
	KeySealing = "seal-key"
	// KeyWebhooks seals the webhook endpoints' signing secrets in the table.
	KeyWebhooks = "webhook-key"
)

// secretSlots are the installed secret reader (secrets.Install) and the keys, one slot per
// purpose.
type secretSlots struct {
	reader                             slot[SecretReader]
	cursors, tokens, sealing, webhooks slot[[]byte]
}

// key returns the slot of purpose's key; a purpose that is none of Keys() panics.
func (s *secretSlots) key(purpose string) *slot[[]byte] {
	switch purpose {
	case KeyCursors:
		return &s.cursors
	case KeyTokens:
		return &s.tokens
	case KeySealing:
		return &s.sealing
	case KeyWebhooks:
		return &s.webhooks
	}
	panic(fmt.Sprintf("app: no key purpose %q: the purposes are app.Keys()", purpose))
}

// KeyEnv names the environment variable that holds each key's Secrets Manager ARN.
var KeyEnv = map[string]string{
	KeyCursors:  "CURSOR_KEY_ARN",
	KeyTokens:   "TOKEN_KEY_ARN",
	KeySealing:  "SEAL_KEY_ARN",
	KeyWebhooks: "WEBHOOK_KEY_ARN",
}

// Keys lists the key purposes.
func Keys() []string {
	return []string{KeyCursors, KeyTokens, KeySealing, KeyWebhooks}
}

// keysFromEnv reads the ARNs of the keys the function was given. In Lambda a function holds
// only the keys whose ARN the stack set; elsewhere (local mode, tests, tools) every key is
// derived from the local secret unless the caller narrows Config.Keys.
func keysFromEnv(c *Config) {
	for _, k := range Keys() {
		if arn := os.Getenv(KeyEnv[k]); arn != "" {
			if c.KeyARNs == nil {
				c.KeyARNs = map[string]string{}
			}
			c.KeyARNs[k] = arn
		}
	}
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		c.Keys = []string{}
		for k := range c.KeyARNs {
			c.Keys = append(c.Keys, k)
		}
	}
}

// Key returns the server's key for purpose (one of KeyCursors, ...), from which the purpose's
// uses derive their own (package seal). Only the functions that use a purpose ask for its
// key, once, at the cold start; asking for a key the function was not given panics there
// (a route whose Keys lack it fails its first test).
//
// In AWS each key lives in Secrets Manager: with its ARN set (KeyEnv; the stack sets it, and
// grants the read, only on the functions whose route names the key), the first call reads
// it, and a failure fails the cold start, which Lambda retries. Without an ARN (local mode,
// tests) it is derived from the local secret (APP_SECRET, or random for this process) and
// the purpose, so that local mode's keys differ by purpose as the deployed ones do. Either
// way the read is checked first against the function's role where local mode and the tests
// check every AWS call (Config.APIOptions, package iam/enforce): a function whose role may not
// read the key's secret is refused it with AccessDeniedException, as in AWS.
func (e *Env) Key(purpose string) []byte {
	return get(e.secrets.key(purpose), func() []byte {
		if e.Config.Keys != nil && !slices.Contains(e.Config.Keys, purpose) {
			panic(fmt.Sprintf("app: function %q was not given the key %q: its route (or trigger) must name it in Keys", e.Config.AppID, purpose))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		arn := e.Config.KeyARNs[purpose]
		if arn == "" {
			// Derived, as if read from the secret named after the purpose (what the IAM
			// check of local mode and the tests calls the key's secret): a function whose
			// role may not read that secret is refused its key here as in AWS.
			var k []byte
			if err := e.checkSecretRead(ctx, purpose, func() error { k = DeriveKey(e.Config.Secret, purpose); return nil }); err != nil {
				panic(fmt.Sprintf("app: read the key %s: %v", purpose, err))
			}
			return k
		}
		b, err := e.readSecret(ctx, arn)
		if err != nil {
			panic(fmt.Sprintf("app: read the key %s (%s): %v", purpose, arn, err))
		}
		if len(b) == 0 {
			panic("app: the key " + purpose + " (" + arn + ") is empty")
		}
		return b
	})
}

// DeriveKey is the key of purpose under a local secret (local mode, tests): HMAC-SHA256 of
// the purpose, so that holding one purpose's key reveals no other's.
func DeriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("orgs key purpose: " + purpose))
	return m.Sum(nil)
}

// SecretReader reads a secret's value by its ARN.
type SecretReader func(ctx context.Context, arn string) ([]byte, error)

// UseSecretReader makes e read secrets with r: Secrets Manager (secrets.Install), or in tests
// a reader that counts the reads. Call it before anything asks for a secret.
func (e *Env) UseSecretReader(r SecretReader) { set(&e.secrets.reader, r) }

// readSecret reads the secret id (an ARN or a name) with the installed reader, once its
// function's role allows it: the call passes the IAM check of local mode and the tests
// (Config.APIOptions) first, as Secrets Manager's GetSecretValue, whatever reader is
// installed. Every read of a secret comes here (Key, the GitHub OIDC signing keys).
func (e *Env) readSecret(ctx context.Context, id string) ([]byte, error) {
	var v []byte
	err := e.checkSecretRead(ctx, id, func() error {
		var err error
		v, err = e.secretReader()(ctx, id)
		return err
	})
	return v, err
}

// checkSecretRead does read once the IAM check of Config.APIOptions allows reading the
// secret id.
func (e *Env) checkSecretRead(ctx context.Context, id string, read func() error) error {
	return Call(ctx, e.Config.APIOptions, SecretsManagerService, GetSecretValue, &GetSecretValueInput{SecretId: &id},
		func(context.Context) error { return read() })
}

// secretReader is the installed reader: Secrets Manager's GetSecretValue (secrets.Install,
// which the generated main of a function that reads a secret calls), or a test's. It is
// installed rather than built here so that no other function links it.
func (e *Env) secretReader() SecretReader {
	return get(&e.secrets.reader, func() SecretReader {
		panic("app: no secret reader installed: a function that reads a secret (Route.Keys, Route.ReadsSecrets, triggers.Function.Keys) has a main that calls secrets.Install")
	})
}
