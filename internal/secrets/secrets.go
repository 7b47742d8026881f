// Package secrets reads the server's secret from AWS Secrets Manager, once per cold start.
//
// Package app does not link this package: Install puts the reader into an Env, and only the
// functions marked Secret (whose IAM actions include httpapi.SecretAction) call it, from their
// generated main (httpapi.InstallsFor), so the others link it not, and hold neither the secret
// nor the grant to read it (principle 9).
//
// The one call it makes, GetSecretValue, is a signed JSON POST: made here with the SDK's
// SigV4 signer and net/http, which every function links already for DynamoDB, rather than
// with the Secrets Manager SDK client, whose serializers, endpoint rules and middleware add
// about 0.15 MB to a function's zip and time to its init (see `make measure`).
package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vendorportal/orgs/internal/app"
)

// Install makes env read the server's secret (APP_SECRET_ARN) from Secrets Manager. Without
// an ARN (local mode) there is nothing to install: Env.Secret uses APP_SECRET.
func Install(env *app.Env) {
	if env.Config.SecretARN == "" {
		return
	}
	r := &Reader{AWS: env.AWSConfig(), Endpoint: env.Config.SecretsManagerEndpoint}
	env.UseSecretReader(r.Read)
}

// Reader calls GetSecretValue.
type Reader struct {
	AWS aws.Config
	// Endpoint is a stand-in's URL; empty: the region's Secrets Manager.
	Endpoint string
	// HTTP is the client to use; nil: one with a 5-second timeout.
	HTTP *http.Client
}

// attempts is how often Read tries a call that failed on the service's side or on the way.
const attempts = 3

// Read returns the value of the secret arn (its SecretString, or its SecretBinary).
func (r *Reader) Read(ctx context.Context, arn string) ([]byte, error) {
	var err error
	for i := range attempts {
		var retry bool
		var v []byte
		if v, retry, err = r.read(ctx, arn); err == nil || !retry {
			return v, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(50<<i) * time.Millisecond):
		}
	}
	return nil, err
}

func (r *Reader) read(ctx context.Context, arn string) (value []byte, retry bool, err error) {
	body, _ := json.Marshal(map[string]string{"SecretId": arn})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint(), bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	if r.AWS.AppID != "" {
		req.Header.Set("User-Agent", "app/"+r.AWS.AppID)
	}
	creds, err := r.AWS.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("secrets manager: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "secretsmanager", r.AWS.Region, time.Now()); err != nil {
		return nil, false, fmt.Errorf("secrets manager: sign: %w", err)
	}
	client := r.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("secrets manager: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, fmt.Errorf("secrets manager: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		code := e.Type[strings.LastIndexByte(e.Type, '#')+1:]
		return nil, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || code == "ThrottlingException",
			fmt.Errorf("secrets manager: GetSecretValue: %d %s: %s", resp.StatusCode, code, e.Message)
	}
	var out struct {
		SecretString *string
		SecretBinary *string // base64, as the JSON protocol sends blobs
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false, fmt.Errorf("secrets manager: answer: %w", err)
	}
	switch {
	case out.SecretString != nil:
		return []byte(*out.SecretString), false, nil
	case out.SecretBinary != nil:
		b, err := base64.StdEncoding.DecodeString(*out.SecretBinary)
		return b, false, err
	}
	return nil, false, errors.New("secrets manager: the secret has no value")
}

// endpoint is the stand-in's URL, or the region's Secrets Manager.
func (r *Reader) endpoint() string {
	if r.Endpoint != "" {
		return strings.TrimRight(r.Endpoint, "/") + "/"
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(r.AWS.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://secretsmanager." + r.AWS.Region + "." + suffix + "/"
}
