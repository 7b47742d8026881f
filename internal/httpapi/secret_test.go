package httpapi

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/mail"
)

// Principle 9: only the routes marked Secret read the server's secret, once, when Bind builds
// them at the cold start; the others never ask for it. Every paged list is marked (cursors).
func TestBindReadsTheSecretOnlyForRoutesMarkedSecret(t *testing.T) {
	for _, r := range Routes {
		var reads atomic.Int64
		env := app.New(app.Config{SecretARN: "arn:aws:secretsmanager:eu-west-1:1:secret:s"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		env.UseMail(&mail.Recorder{})
		env.UseDirectory(acceptingDirectory{})
		env.UseSecretReader(func(context.Context, string) ([]byte, error) {
			reads.Add(1)
			return []byte("s3cret"), nil
		})
		Bind(r, env)
		want := int64(0)
		if r.Secret {
			want = 1
		}
		if got := reads.Load(); got != want {
			t.Errorf("%s (Secret %v): the secret was read %d times at build, want %d", r.Name, r.Secret, got, want)
		}
		if paged := strings.HasPrefix(r.Name, "list-") || strings.HasSuffix(r.Name, "-queue"); paged && !r.Secret {
			t.Errorf("%s is a paged list but not marked Secret: its cursors need the secret", r.Name)
		}
	}
}
