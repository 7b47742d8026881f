package secrets_test

// The server's keys as app.Env.Key reads them with this package's Reader.

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/secrets"
	"github.com/vendorportal/orgs/internal/standins"
)

const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AppSecret-AbCdEf"

func env(t *testing.T, sm *standins.SecretsManager, secretARN string) *app.Env {
	t.Helper()
	arns := map[string]string{}
	if secretARN != "" {
		arns[app.KeyCursors] = secretARN
	}
	e := app.New(app.Config{Region: "us-east-1", KeyARNs: arns, SecretsManagerEndpoint: sm.URL, Secret: []byte("from-the-environment")},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	secrets.Install(e)
	return e
}

// With its ARN set (CURSOR_KEY_ARN), a key is read from Secrets Manager, once, whatever the
// environment holds.
func TestSecretIsReadFromSecretsManagerOnce(t *testing.T) {
	sm, err := standins.NewSecretsManager(map[string]string{arn: "the-real-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	e := env(t, sm, arn)
	for range 3 {
		if got := string(e.Key(app.KeyCursors)); got != "the-real-secret" {
			t.Fatalf("Key() = %q, want the value in Secrets Manager", got)
		}
	}
	if n := sm.Calls.Load(); n != 1 {
		t.Errorf("%d GetSecretValue calls, want 1", n)
	}
	// Without an ARN (local mode, tests) it is derived from APP_SECRET, and Secrets Manager is
	// not asked.
	if got := env(t, sm, "").Key(app.KeyCursors); string(got) != string(app.DeriveKey([]byte("from-the-environment"), app.KeyCursors)) || sm.Calls.Load() != 1 {
		t.Errorf("without an ARN: %q after %d calls", got, sm.Calls.Load())
	}
}

// A secret that can't be read fails the cold start (Lambda retries it); it never falls back
// to another value.
func TestUnreadableSecretFailsTheColdStart(t *testing.T) {
	sm, err := standins.NewSecretsManager(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	e := env(t, sm, arn)
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(p.(string), "ResourceNotFoundException") {
			t.Errorf("recovered %v, want a panic naming the Secrets Manager error", p)
		}
	}()
	e.Key(app.KeyCursors)
}

// In local mode and the tests a key has no ARN and is derived, not read; it is still given
// only to a function whose role may read its secret (named after the purpose there), and
// refused to another as AWS would refuse the read, with AccessDeniedException.
func TestDerivedKeyNeedsItsReadGrant(t *testing.T) {
	cfg := app.Config{Region: "us-east-1", AppID: "list-orgs", Secret: []byte("local")}
	enforce.Local(cfg, "", iam.Grant{Function: "list-orgs", Keys: []string{app.KeyCursors}}).Install(&cfg, "list-orgs")
	e := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := e.Key(app.KeyCursors); !bytes.Equal(got, app.DeriveKey([]byte("local"), app.KeyCursors)) {
		t.Errorf("the granted key: %x, want the one derived from the local secret", got)
	}
	defer func() {
		p, _ := recover().(string)
		want := "not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:" + app.KeyTokens
		if !strings.Contains(p, enforce.ErrorCode) || !strings.Contains(p, want) {
			t.Errorf("recovered %q, want AccessDeniedException on the token key's secret", p)
		}
	}()
	e.Key(app.KeyTokens)
	t.Error("a key the role may not read was given")
}
