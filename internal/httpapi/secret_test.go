package httpapi

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// Principle 9: only the routes marked Secret read the server's secret, once, when Bind builds
// them at the cold start; the others never ask for it. (A paged list not marked fails its
// first request: Request.Page panics without the cursor key.)
func TestBindReadsTheSecretOnlyForRoutesMarkedSecret(t *testing.T) {
	for _, r := range Routes() {
		var reads atomic.Int64
		env := app.New(app.Config{SecretARN: "arn:aws:secretsmanager:eu-west-1:1:secret:s"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		env.UseMail(&mail.Recorder{})
		env.UseDirectory(newFakeDirectory())
		env.UseSpreadsheets(sheets.XLSX{})
		toolauth.Install(env)
		orgauthz.Install(env)
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
	}
}
