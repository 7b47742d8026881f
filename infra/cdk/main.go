// Command cdk is the CDK app of the orgs back end. It synthesizes the stack "Orgs" (see
// package stack) into the cloud assembly directory: the one the CDK CLI passes in CDK_OUTDIR
// ("cdk.out" per cdk.json), or CDK_OUTDIR itself when run directly with `go run ./infra/cdk`,
// which needs no network and no AWS credentials.
//
// Settings, each from CDK context (-c key=value) or else from the environment:
//
//	appUrl         APP_URL              web front end's base URL (required)
//	mailFrom       MAIL_FROM            SES sender address (required)
//	buildDir       BUILD_DIR            function binaries, <dir>/<function>/bootstrap for every route
//	                                    and non-HTTP function (default "build", what `make build` writes)
//	allowedOrigins ALLOWED_ORIGINS      comma-separated CORS origins (default: appUrl)
//	mailDomain     MAIL_DOMAIN_IDENTITY "true": verify MAIL_FROM's domain (DKIM) instead of the address
//	googleClientId GOOGLE_CLIENT_ID     enables sign-in with Google
//	googleSecret   GOOGLE_CLIENT_SECRET_NAME  Secrets Manager secret (name or ARN) holding the
//	                                    Google client secret, resolved by CloudFormation at deploy time
//	authDomain     AUTH_DOMAIN_PREFIX   Cognito hosted-UI domain prefix (required with Google)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/infra/stack"
)

func main() {
	code := run()
	jsii.Close()
	os.Exit(code)
}

// run synthesizes the app and returns the process exit code.
func run() int {
	app := awscdk.NewApp(nil)
	get := func(contextKey, envKey, def string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(contextKey)).(string); ok && v != "" {
			return v
		}
		if v := os.Getenv(envKey); v != "" {
			return v
		}
		return def
	}

	props := &stack.OrgsStackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Orgs back end: HTTP API, Lambda functions, DynamoDB, Cognito, SES"),
		},
		BuildDir:               get("buildDir", "BUILD_DIR", "build"),
		AppURL:                 get("appUrl", "APP_URL", ""),
		MailFrom:               get("mailFrom", "MAIL_FROM", ""),
		MailFromDomainIdentity: get("mailDomain", "MAIL_DOMAIN_IDENTITY", "") == "true",
		GoogleClientID:         get("googleClientId", "GOOGLE_CLIENT_ID", ""),
		AuthDomainPrefix:       get("authDomain", "AUTH_DOMAIN_PREFIX", ""),
	}
	if v := get("allowedOrigins", "ALLOWED_ORIGINS", ""); v != "" {
		props.AllowedOrigins = strings.Split(v, ",")
	}
	if secret := get("googleSecret", "GOOGLE_CLIENT_SECRET_NAME", ""); secret != "" {
		props.GoogleClientSecret = awscdk.SecretValue_SecretsManager(jsii.String(secret), nil)
	}

	var missing []string
	if props.AppURL == "" {
		missing = append(missing, "APP_URL (or -c appUrl=...)")
	}
	if props.MailFrom == "" {
		missing = append(missing, "MAIL_FROM (or -c mailFrom=...)")
	}
	if props.GoogleClientID != "" && props.GoogleClientSecret == nil {
		missing = append(missing, "GOOGLE_CLIENT_SECRET_NAME (or -c googleSecret=...), needed with GOOGLE_CLIENT_ID")
	}
	if len(missing) > 0 {
		fmt.Fprintln(os.Stderr, "infra/cdk: missing settings:", strings.Join(missing, "; "))
		return 2
	}
	if _, err := os.Stat(props.BuildDir); err != nil {
		fmt.Fprintf(os.Stderr, "infra/cdk: build directory %s: %v (build the functions first)\n", props.BuildDir, err)
		return 2
	}
	var unbuilt []string
	for _, name := range stack.FunctionNames() {
		if _, err := os.Stat(filepath.Join(props.BuildDir, name, "bootstrap")); err != nil {
			unbuilt = append(unbuilt, name)
		}
	}
	if len(unbuilt) > 0 {
		fmt.Fprintf(os.Stderr, "infra/cdk: %s has no bootstrap for %s (build the functions first)\n", props.BuildDir, strings.Join(unbuilt, ", "))
		return 2
	}

	stack.NewOrgsStack(app, "Orgs", props)
	app.Synth(nil)
	return 0
}
