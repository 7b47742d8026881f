// Package lambdaapp starts a route's Lambda function: the cold-start wiring every function
// main shares, so that a main is one line.
package lambdaapp

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/triggers"
)

// Start reads the configuration, runs install (ses.Install, cognito.Install: what the route
// needs beyond DynamoDB, see mainsrc.InstallsFor), builds the route's handler and its
// clients once, and serves invocations until the runtime stops the process.
func Start(r *httpapi.Route, install ...func(*app.Env)) {
	cfg := app.ConfigFromEnv()
	cfg.AppID = r.Name
	lambda.Start(httpapi.Bind(r, newEnv(cfg, install)))
}

func newEnv(cfg app.Config, install []func(*app.Env)) *app.Env {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel()}))
	env := app.New(cfg, log)
	for _, f := range install {
		f(env)
	}
	return env
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// StartFunction is Start for a function that API Gateway does not invoke.
func StartFunction(f *triggers.Function, install ...func(*app.Env)) {
	lambda.Start(f.Build(newEnv(triggers.ConfigFor(f, app.ConfigFromEnv()), install)))
}
