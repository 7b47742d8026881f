// Package secrets reads a Secrets Manager secret's current value: one signed
// GetSecretValue call over HTTPS, made with the AWS SDK's request signer rather than the
// Secrets Manager SDK client, so that a function that reads a secret once at its cold start
// links a few kilobytes instead of another service client. Being no SDK client, it is not
// where local mode and the tests check the call against the function's role: app.Env does,
// before it calls the reader (app.Call, with the SDK clients' APIOptions), for every read.
package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vendorportal/orgs/internal/app"
)

// Reader reads secrets with the credentials and region of an aws.Config.
type Reader struct {
	Config aws.Config
	// Endpoint overrides https://secretsmanager.<region>.amazonaws.com (tests).
	Endpoint string
	HTTP     *http.Client
}

// String returns the SecretString of the secret's AWSCURRENT version. The error never holds
// the value.
func (r *Reader) String(ctx context.Context, secretID string) (string, error) {
	endpoint := r.Endpoint
	if endpoint == "" {
		endpoint = "https://secretsmanager." + r.Config.Region + ".amazonaws.com"
	}
	body, err := json.Marshal(map[string]string{"SecretId": secretID})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	if r.Config.Credentials == nil {
		return "", fmt.Errorf("secrets: no credentials to read %s", secretID)
	}
	creds, err := r.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("secrets: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "secretsmanager", r.Config.Region, time.Now()); err != nil {
		return "", fmt.Errorf("secrets: sign: %w", err)
	}
	client := r.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("secrets: read %s: %w", secretID, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("secrets: read %s: %w", secretID, err)
	}
	if resp.StatusCode != http.StatusOK {
		// The error body names the error type and says why; it never holds a secret value.
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		return "", fmt.Errorf("secrets: read %s: status %d %s %s", secretID, resp.StatusCode, e.Type, e.Message)
	}
	var out struct {
		SecretString *string `json:"SecretString"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("secrets: read %s: undecodable answer", secretID)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secrets: %s has no SecretString (a binary secret?)", secretID)
	}
	return *out.SecretString, nil
}

// Install makes env read secrets from Secrets Manager, with env's AWS configuration and
// SECRETSMANAGER_ENDPOINT (a stand-in in tests): the generated main of every function that
// reads a secret calls it (mainsrc.InstallsFor), so that no other function links the reader.
func Install(env *app.Env) {
	env.UseSecretReader(func(ctx context.Context, arn string) ([]byte, error) {
		// Built at the read, once per cold start, from the configuration env has by then.
		r := &Reader{Config: env.AWSConfig(), Endpoint: env.Config.SecretsManagerEndpoint}
		v, err := r.String(ctx, arn)
		return []byte(v), err
	})
}
