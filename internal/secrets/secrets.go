// Package secrets reads the server's secret from AWS Secrets Manager, once per cold start.
//
// Package app does not link this package or the Secrets Manager SDK: Install puts the reader
// into an Env, and only the functions marked Secret (whose IAM actions include
// httpapi.SecretAction) call it, from their generated main (httpapi.InstallsFor), so the
// others link neither, and hold neither the secret nor the grant to read it (principle 9).
package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/vendorportal/orgs/internal/app"
)

// Install makes env read the server's secret (APP_SECRET_ARN) from Secrets Manager. Without
// an ARN (local mode) there is nothing to install: Env.Secret uses APP_SECRET.
func Install(env *app.Env) {
	if env.Config.SecretARN == "" {
		return
	}
	client := secretsmanager.NewFromConfig(env.AWSConfig(), func(o *secretsmanager.Options) {
		if ep := env.Config.SecretsManagerEndpoint; ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	env.UseSecretReader(func(ctx context.Context, arn string) ([]byte, error) {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("secrets manager: %w", err)
		}
		switch {
		case out.SecretString != nil:
			return []byte(*out.SecretString), nil
		case out.SecretBinary != nil:
			return out.SecretBinary, nil
		}
		return nil, errors.New("secrets manager: the secret has no value")
	})
}
