package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/toolauth"
)

// keyARN is a test's ARN of the key of purpose.
func keyARN(purpose string) string {
	return "arn:aws:secretsmanager:eu-west-1:1:secret:" + purpose
}

// keyEnv is an Env as a function's in AWS: it holds the ARNs of the keys given (and of no
// other), and records which it reads.
func keyEnv(given []string) (*app.Env, func() []string) {
	arns := map[string]string{}
	for _, k := range given {
		arns[k] = keyARN(k)
	}
	env := app.New(app.Config{KeyARNs: arns, Keys: slices.Clone(given)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if env.Config.Keys == nil {
		env.Config.Keys = []string{}
	}
	env.UseMail(&mail.Recorder{})
	env.UseDirectory(apitest.NewFakeDirectory())
	env.UseSpreadsheets(sheets.XLSX{})
	toolauth.Install(env)
	orgauthz.Install(env)
	scimauth.Install(env)
	var mu sync.Mutex
	var read []string
	env.UseSecretReader(func(_ context.Context, arn string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		read = append(read, arn[strings.LastIndexByte(arn, ':')+1:])
		return []byte("s3cret"), nil
	})
	return env, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(read)
		slices.Sort(out)
		return out
	}
}

// Principle 9, per purpose (issue 21, finding 15): a function reads exactly the keys its
// route names, each once, when Bind builds it at the cold start; the others never. Asking for
// a key the route does not name panics at the build, so a route lacking one fails here.
func TestBindReadsExactlyTheKeysItsRouteNames(t *testing.T) {
	for _, r := range routes.All() {
		env, read := keyEnv(r.Keys)
		if r.MailDomains {
			// As the stack gives it the layer of the table (Route.MailDomains).
			env.Config.MailDomainsFile = filepath.Join("..", "..", maildomains.RepoPath)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s (Keys %v): building it asked for another key: %v", r.Name, r.Keys, p)
				}
			}()
			httpapi.Bind(r, env)
		}()
		want := slices.Clone(r.Keys)
		slices.Sort(want)
		if got := read(); !slices.Equal(got, want) {
			t.Errorf("%s: read the keys %v at build, want exactly %v", r.Name, got, want)
		}
	}
}

// A paged list holds the cursor key and no other: its Env can't give it the token key, so
// the function can derive no org token and open nothing sealed.
func TestAPagedListCanDeriveNoToken(t *testing.T) {
	if !slices.Equal(membersapi.ListMembers.Keys, []string{app.KeyCursors}) {
		t.Fatalf("list-members names the keys %v; want only the cursor key", membersapi.ListMembers.Keys)
	}
	env, _ := keyEnv(membersapi.ListMembers.Keys)
	for _, k := range []string{app.KeyTokens, app.KeySealing, app.KeyWebhooks} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("list-members' Env gave it the key %s", k)
				}
			}()
			env.Key(k)
		}()
	}
	// Local mode and tests derive each purpose's key from the local secret: one purpose's key
	// is not another's.
	keys := map[string]bool{}
	for _, k := range app.Keys() {
		keys[string(app.DeriveKey([]byte("local"), k))] = true
	}
	if len(keys) != len(app.Keys()) {
		t.Errorf("the derived keys are not distinct per purpose")
	}
}
