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
//	cognitoSesEmail COGNITO_SES_EMAIL   "true": Cognito's own mail through SES from MAIL_FROM; only once
//	                                    the SES identity (made by the first deploy) is verified
//	apiUrl         API_URL              the API's public base URL when a custom domain fronts it
//	                                    (default: the HTTP API's own endpoint)
//	googleClientId GOOGLE_CLIENT_ID     enables sign-in with Google
//	googleSecret   GOOGLE_CLIENT_SECRET_NAME  Secrets Manager secret (name or ARN) holding the
//	                                    Google client secret, resolved by CloudFormation at deploy time
//	authDomain     AUTH_DOMAIN_PREFIX   Cognito hosted-UI domain prefix (required with any federated provider)
//	entraTenantId  ENTRA_TENANT_ID      Microsoft Entra ID tenant (directory) id
//	entraClientId  ENTRA_CLIENT_ID      enables sign-in with Microsoft Entra ID (OIDC)
//	entraSecret    ENTRA_CLIENT_SECRET_NAME  Secrets Manager secret holding the Entra client secret
//	githubClientId GITHUB_CLIENT_ID     enables sign-in with GitHub (the GitHub OAuth app's client id)
//	githubSecret   GITHUB_CLIENT_SECRET_NAME Secrets Manager secret holding the GitHub app's client secret
//	githubKeys     GITHUB_OIDC_KEY_SECRET_NAME Secrets Manager secret (name or ARN) holding the PEM
//	                                    signing keys of the stack's GitHub OIDC provider
//	alarmEmail     ALARM_EMAIL          address subscribed to the alarm topic
//	logRetention   LOG_RETENTION_DAYS   days the functions' logs are kept (default 30)
//	tracing        TRACING              "true": X-Ray active tracing on every function
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/infra/stack"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
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
		CognitoSESEmail:        get("cognitoSesEmail", "COGNITO_SES_EMAIL", "") == "true",
		APIURL:                 get("apiUrl", "API_URL", ""),
		GoogleClientID:         get("googleClientId", "GOOGLE_CLIENT_ID", ""),
		AuthDomainPrefix:       get("authDomain", "AUTH_DOMAIN_PREFIX", ""),
		EntraTenantID:          get("entraTenantId", "ENTRA_TENANT_ID", ""),
		EntraClientID:          get("entraClientId", "ENTRA_CLIENT_ID", ""),
		GitHubClientID:         get("githubClientId", "GITHUB_CLIENT_ID", ""),
		GitHubKeySecret:        get("githubKeys", "GITHUB_OIDC_KEY_SECRET_NAME", ""),
		AlarmEmail:             get("alarmEmail", "ALARM_EMAIL", ""),
		Tracing:                get("tracing", "TRACING", "") == "true",
	}
	secretRef := func(name string) awscdk.SecretValue {
		if name == "" {
			return nil
		}
		return awscdk.SecretValue_SecretsManager(jsii.String(name), nil)
	}
	props.GoogleClientSecret = secretRef(get("googleSecret", "GOOGLE_CLIENT_SECRET_NAME", ""))
	props.EntraClientSecret = secretRef(get("entraSecret", "ENTRA_CLIENT_SECRET_NAME", ""))
	props.GitHubClientSecret = secretRef(get("githubSecret", "GITHUB_CLIENT_SECRET_NAME", ""))
	var missing []string
	if v := get("logRetention", "LOG_RETENTION_DAYS", ""); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days <= 0 {
			missing = append(missing, "LOG_RETENTION_DAYS must be a number of days such as 30")
		}
		props.LogRetentionDays = days
	}
	if v := get("allowedOrigins", "ALLOWED_ORIGINS", ""); v != "" {
		props.AllowedOrigins = strings.Split(v, ",")
	}
	if props.AppURL == "" {
		missing = append(missing, "APP_URL (or -c appUrl=...)")
	}
	if props.MailFrom == "" {
		missing = append(missing, "MAIL_FROM (or -c mailFrom=...)")
	}
	federated := false
	for _, p := range []struct {
		on     bool
		needed []string
		have   []bool
	}{
		{props.GoogleClientID != "", []string{"GOOGLE_CLIENT_SECRET_NAME (or -c googleSecret=...)"}, []bool{props.GoogleClientSecret != nil}},
		{props.EntraClientID != "", []string{"ENTRA_TENANT_ID (or -c entraTenantId=...)", "ENTRA_CLIENT_SECRET_NAME (or -c entraSecret=...)"},
			[]bool{props.EntraTenantID != "", props.EntraClientSecret != nil}},
		{props.GitHubClientID != "", []string{"GITHUB_CLIENT_SECRET_NAME (or -c githubSecret=...)", "GITHUB_OIDC_KEY_SECRET_NAME (or -c githubKeys=...)"},
			[]bool{props.GitHubClientSecret != nil, props.GitHubKeySecret != ""}},
	} {
		if !p.on {
			continue
		}
		federated = true
		for i, ok := range p.have {
			if !ok {
				missing = append(missing, p.needed[i]+", needed with its provider's client id")
			}
		}
	}
	if federated && props.AuthDomainPrefix == "" {
		missing = append(missing, "AUTH_DOMAIN_PREFIX (or -c authDomain=...), needed with a federated provider")
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
	if _, err := os.Stat(filepath.Join(props.BuildDir, stack.MailDomainsLayer, maildomains.FileName)); err != nil {
		unbuilt = append(unbuilt, "the mail domains' layer")
	}
	if len(unbuilt) > 0 {
		fmt.Fprintf(os.Stderr, "infra/cdk: %s has no bootstrap for %s (build the functions first)\n", props.BuildDir, strings.Join(unbuilt, ", "))
		return 2
	}

	// cdk-nag's AwsSolutions rules run over the synthesis: a finding the stack neither fixed
	// nor suppressed with its reason is an error annotation, which fails `cdk synth` and
	// `cdk deploy` (the stack's tests check the same).
	stack.AddChecks(app)
	stack.NewOrgsStack(app, "Orgs", props)
	app.Synth(nil)
	return 0
}
