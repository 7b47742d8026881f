// Command invoke runs one function's handler on a sample event, in-process, against the
// stand-ins of a running `make run`, and prints the response:
//
//	export TOKEN=$(go run ./infra/localuser -email ada@example.com)
//	make invoke FN=get-me EVENT=events/get-me.json
//
// For a route that takes a signed-in user, the event's authorizer claims are replaced by the
// claims of TOKEN (an ID or access token of the local pool, checked as the JWT authorizer
// checks it), so the function sees the local user: the sample event's claims name a user who
// is not in the pool, and the first call would make them an account of their own. The API is
// found as the other local tools find it (PORT, .local/api-url, else port 8080).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/gateway"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/secrets"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

func main() {
	fn := flag.String("fn", "", "function name, e.g. get-me")
	eventFile := flag.String("event", "", "path of a JSON event, e.g. events/get-me.json")
	api := flag.String("api", localmode.DefaultAPI(), "the running local API, asked for its configuration")
	token := flag.String("token", os.Getenv("TOKEN"), "the signed-in user's token (default $TOKEN), whose claims the event carries")
	flag.Parse()
	if err := run(*fn, *eventFile, *api, *token, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(fn, eventFile, api, token string, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var route *httpapi.Route
	for _, r := range routes.All() {
		if r.Name == fn {
			route = r
		}
	}
	if route == nil {
		return fmt.Errorf("no function named %q (see functions/)", fn)
	}
	raw, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("%s is not an API Gateway v2 event: %w", eventFile, err)
	}
	cfg := app.ConfigFromEnv()
	local, err := localmode.FetchSignInConfig(ctx, api)
	if err != nil {
		return err
	}
	if route.Auth == httpapi.JWT || route.Auth == httpapi.Operator {
		if err := useClaimsOf(ctx, &ev, token, local); err != nil {
			return err
		}
	}
	cfg.UserPoolID, cfg.UserPoolClientID, cfg.Issuer, cfg.CognitoEndpoint = local.UserPoolID, local.UserPoolClientID, local.Issuer, local.CognitoEndpoint
	if cfg.DynamoDBEndpoint == "" {
		cfg.DynamoDBEndpoint = "http://127.0.0.1:8000"
	}
	if cfg.SESEndpoint == "" {
		cfg.SESEndpoint = "http://127.0.0.1:8005"
	}
	if route.MailDomains && cfg.MailDomainsFile == "" {
		// As local mode does: the repository's table (the working directory is its root).
		cfg.MailDomainsFile = maildomains.RepoPath
	}
	env := app.New(cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ses.Install(env)
	cognito.Install(env)
	sheets.Install(env)
	secrets.Install(env)
	toolauth.Install(env)
	orgauthz.Install(env)
	scimauth.Install(env)
	out, err := httpapi.Bind(route, env)(ctx, ev)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// useClaimsOf puts token's claims, checked as the JWT authorizer checks them, into the event
// in place of the sample's.
func useClaimsOf(ctx context.Context, ev *events.APIGatewayV2HTTPRequest, token string, local localmode.SignInConfig) error {
	if token == "" {
		return fmt.Errorf("this function takes a signed-in user: export TOKEN=$(go run ./infra/localuser -email you@example.com) first (the sample event's claims are of no user in the local pool)")
	}
	verifier, err := gateway.NewVerifier(ctx, local.Issuer, local.UserPoolClientID)
	if err != nil {
		return err
	}
	claims, err := verifier.Verify(token)
	if err != nil {
		return fmt.Errorf("TOKEN is not a valid token of the local pool (sign in again with infra/localuser): %w", err)
	}
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
	}
	return nil
}
