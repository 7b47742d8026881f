// Command invoke runs one function's handler on a sample event, in-process, against the
// stand-ins of a running `make run`, and prints the response:
//
//	make invoke FN=get-me EVENT=events/get-me.json
//
// The authorizer's claims in the event are taken as they are: no token is checked, as in
// Lambda, where API Gateway has checked it before the function runs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/secrets"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

func main() {
	fn := flag.String("fn", "", "function name, e.g. get-me")
	eventFile := flag.String("event", "", "path of a JSON event, e.g. events/get-me.json")
	api := flag.String("api", "http://127.0.0.1:8080", "the running local API, asked for its configuration")
	flag.Parse()
	if err := run(*fn, *eventFile, *api); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(fn, eventFile, api string) error {
	var route *httpapi.Route
	for _, r := range httpapi.Routes() {
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
	local, err := localmode.FetchSignInConfig(context.Background(), api)
	if err != nil {
		return err
	}
	cfg.UserPoolID, cfg.UserPoolClientID, cfg.Issuer, cfg.CognitoEndpoint = local.UserPoolID, local.UserPoolClientID, local.Issuer, local.CognitoEndpoint
	if cfg.DynamoDBEndpoint == "" {
		cfg.DynamoDBEndpoint = "http://127.0.0.1:8000"
	}
	if cfg.SESEndpoint == "" {
		cfg.SESEndpoint = "http://127.0.0.1:8005"
	}
	env := app.New(cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ses.Install(env)
	cognito.Install(env)
	sheets.Install(env)
	secrets.Install(env)
	toolauth.Install(env)
	orgauthz.Install(env)
	out, err := httpapi.Bind(route, env)(context.Background(), ev)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
