package app

import (
	"context"
	"fmt"
	"time"
)

// Secret returns the server's secret, from which each use derives its own key (package seal):
// list cursors, the org access tokens, anything sealed. Only the functions that use it ask for
// it (httpapi.Route.Secret, triggers.Function.Secret), once, at the cold start.
//
// In AWS the secret lives in Secrets Manager: with APP_SECRET_ARN set (the stack sets it, and
// grants the read, only on the functions marked Secret), the first call reads it, and a
// failure fails the cold start, which Lambda retries. Without the
// ARN (local mode, tests) it is APP_SECRET, or random for this process.
func (e *Env) Secret() []byte {
	return once(e, "secret", func() []byte {
		if e.Config.SecretARN == "" {
			return e.Config.Secret
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b, err := e.secretReader()(ctx, e.Config.SecretARN)
		if err != nil {
			panic(fmt.Sprintf("app: read the server secret %s: %v", e.Config.SecretARN, err))
		}
		if len(b) == 0 {
			panic("app: the server secret " + e.Config.SecretARN + " is empty")
		}
		return b
	})
}

// SecretReader reads a secret's value by its ARN.
type SecretReader func(ctx context.Context, arn string) ([]byte, error)

// UseSecretReader makes e read secrets with r: Secrets Manager (secrets.Install), or in tests
// a reader that counts the reads. Call it before anything asks for a secret.
func (e *Env) UseSecretReader(r SecretReader) { preset(e, "secret-reader", r) }

// secretReader is the installed reader: Secrets Manager's GetSecretValue (secrets.Install,
// which the generated main of a function that reads a secret calls), or a test's. It is
// installed rather than built here so that no other function links it.
func (e *Env) secretReader() SecretReader {
	return once(e, "secret-reader", func() SecretReader {
		panic("app: no secret reader installed: a function that reads a secret (Route.Secret, Route.ReadsSecrets, triggers.Function.Secret) has a main that calls secrets.Install")
	})
}
