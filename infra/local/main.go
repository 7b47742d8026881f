// Command local runs the whole API on this machine (`make run`): it starts DynamoDB Local,
// cognito-local and the SES stand-in (or uses the ones DYNAMODB_ENDPOINT, COGNITO_ENDPOINT and
// SES_ENDPOINT name), creates the table and the user pool if absent, and serves every route on
// 127.0.0.1:$PORT until Ctrl-C or SIGTERM, keeping data under .local/ (LOCAL_DIR). While it
// runs, .local/api-url holds the URL it serves, where the local tools (localuser, invoke,
// demo) find it.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/githuboidc"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	root, err := standins.RepoRoot()
	if err != nil {
		return err
	}
	dataDir := envOr("LOCAL_DIR", filepath.Join(root, ".local"))
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	// Listen first: a port in use fails here, before any stand-in starts.
	ln, err := net.Listen("tcp", "127.0.0.1:"+envOr("PORT", localmode.DefaultPort))
	if err != nil {
		return fmt.Errorf("%w (set PORT to use another port)", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	stack, err := standins.Start(ctx, standins.Options{
		DataDir:      dataDir,
		DynamoDBPort: 8000, CognitoPort: 9229, SESPort: 8005,
		DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		CognitoEndpoint:  os.Getenv("COGNITO_ENDPOINT"),
		SESEndpoint:      os.Getenv("SES_ENDPOINT"),
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := stack.Stop(); err != nil {
			log.Error("stop stand-ins", "error", err)
		}
	}()

	cfg := app.ConfigFromEnv()
	if os.Getenv("API_URL") == "" {
		// The API's own URL (SCIM clients are pointed at it) is where it listens, whatever PORT.
		cfg.APIURL = "http://" + addr
	}
	if os.Getenv("ALLOW_LOOPBACK_WEBHOOKS") == "" {
		// Local mode's default: webhooks may go to a receiver on this machine.
		cfg.AllowLoopbackWebhooks = true
	}
	if err := gitHubOIDCKey(dataDir); err != nil {
		return err
	}
	if os.Getenv("APP_SECRET") == "" {
		// Keep one secret across restarts, so that cursors handed out stay valid.
		if cfg.Secret, err = localSecret(filepath.Join(dataDir, "app-secret")); err != nil {
			return err
		}
	}
	if os.Getenv("API_URL") == "" {
		// SCIM's meta.location and other absolute links name local mode's own address.
		cfg.APIURL = "http://" + addr
	}
	api, err := localmode.New(ctx, localmode.Options{
		DynamoDBEndpoint: stack.DynamoDBEndpoint, CognitoEndpoint: stack.CognitoEndpoint, SESEndpoint: stack.SESEndpoint,
		TableName: cfg.TableName, PoolName: envOr("USER_POOL_NAME", "orgs-local"), Config: cfg, Log: log,
		LambdaEndpoint: stack.LambdaEndpoint,
		// The data outlives restarts: the stream processor starts at the stream's end, and
		// the scheduled job re-drives what it missed meanwhile.
		StreamFromLatest: true,
		// The webhook jobs waiting in the SQS stand-in outlive restarts too.
		SQSFile: filepath.Join(dataDir, "sqs.json"),
	})
	if err != nil {
		return err
	}
	interval, err := time.ParseDuration(envOr("JOB_INTERVAL", "1m"))
	if err != nil || interval <= 0 {
		return fmt.Errorf("JOB_INTERVAL must be a Go duration such as 30s or 1h, not %q", os.Getenv("JOB_INTERVAL"))
	}
	go api.RunJobs(ctx, interval)
	srv := &http.Server{Handler: api.Handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	removeURL, err := localmode.WriteAPIURL(dataDir, "http://"+addr)
	if err != nil {
		return err
	}
	defer removeURL()

	c := api.Env.Config
	fmt.Printf(`
Local API is up.
  API              http://%s  (try: curl http://%s/v1/config)
  API docs         http://%s/docs  (the document: /openapi.yaml)
  DynamoDB Local   %s  (table %s)
  cognito-local    %s  (pool %s, client %s)
  SES stand-in     %s  (captured mail: %s/store)
  data             %s
  scheduled job    every %s (JOB_INTERVAL)
  stream processor in-process, fed from the table's stream
  webhook delivery in-process, fed from the SQS FIFO stand-in at %s
  email budget     %s emails an org a day (ORG_DAILY_EMAIL_LIMIT), %s a user (USER_DAILY_EMAIL_LIMIT)
Ctrl-C stops everything.
`, addr, addr, addr, c.DynamoDBEndpoint, c.TableName, c.CognitoEndpoint, c.UserPoolID, c.UserPoolClientID,
		c.SESEndpoint, c.SESEndpoint, dataDir, interval, c.SQSEndpoint, envOr("ORG_DAILY_EMAIL_LIMIT", "1000"), envOr("USER_DAILY_EMAIL_LIMIT", "2000"))

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// localSecret reads the local mode's secret, making one on first use.
func localSecret(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := []byte(hex.EncodeToString(app.RandomSecret()))
	return b, os.WriteFile(path, b, 0o600)
}

// gitHubOIDCKey gives every function of the GitHub OIDC provider one signing key, kept in
// dataDir across restarts, when none is configured (GITHUB_OIDC_SIGNING_KEY or
// GITHUB_OIDC_KEY_SECRET): otherwise each function would make a key of its own, and the JWKS
// would not publish the key the token function signs with.
func gitHubOIDCKey(dataDir string) error {
	if os.Getenv(app.EnvGitHubOIDCSigningKey) != "" || os.Getenv(app.EnvGitHubOIDCKeySecret) != "" {
		return nil
	}
	path := filepath.Join(dataDir, "github-oidc-key.pem")
	pemText, err := os.ReadFile(path)
	if err == nil {
		_, err = githuboidc.ParseKeys(pemText)
	}
	if err != nil {
		pemText = githuboidc.GenerateKeys().EncodePEM()
		if err := os.WriteFile(path, pemText, 0o600); err != nil {
			return err
		}
	}
	return os.Setenv(app.EnvGitHubOIDCSigningKey, string(pemText))
}
