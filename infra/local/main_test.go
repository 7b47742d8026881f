package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freePort is a port nothing listens on just now, never local mode's default.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// `make run` on another PORT, against the test's stand-ins, with its data in a directory of
// the test's: it serves there, tells the tools where (LOCAL_DIR/api-url), names that address
// in the served OpenAPI document, and stops cleanly on Ctrl-C (SIGINT to the terminal's whole
// process group) and on a SIGTERM to make alone: no "make: ***" complaint, the URL file gone.
func TestMakeRunHonoursPORTAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make")
	}
	root, err := standins.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	db, table := testenv.DynamoDB(t)
	cognito, _, cognitoEndpoint := testenv.Cognito(t)
	for name, stop := range map[string]func(make *os.Process) error{
		"Ctrl-C": func(make *os.Process) error { return syscall.Kill(-make.Pid, syscall.SIGINT) },
		"SIGTERM to make": func(make *os.Process) error {
			return make.Signal(syscall.SIGTERM)
		},
	} {
		t.Run(name, func(t *testing.T) {
			port, dir := freePort(t), t.TempDir()
			pool := strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com")
			t.Cleanup(func() { deletePool(cognito, pool) })
			var output lockedBuffer
			cmd := exec.Command("make", "--no-print-directory", "run")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PORT="+port, "LOCAL_DIR="+dir, "TABLE_NAME="+table, "USER_POOL_NAME="+pool,
				"DYNAMODB_ENDPOINT="+aws.ToString(db.Options().BaseEndpoint), "COGNITO_ENDPOINT="+cognitoEndpoint,
				"SES_ENDPOINT="+testenv.SES(t), "JOB_INTERVAL=1h")
			cmd.Stdout, cmd.Stderr = &output, &output
			// Its own process group, as a shell gives a foreground job.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			})

			want := "http://127.0.0.1:" + port
			urlFile := filepath.Join(dir, localmode.APIURLFile)
			for {
				b, err := os.ReadFile(urlFile)
				if err == nil && strings.TrimSpace(string(b)) == want {
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("make run ended before serving: %v\n%s", err, output.String())
				case <-time.After(200 * time.Millisecond):
				}
			}
			t.Setenv("PORT", port)
			if got := localmode.DefaultAPI(); got != want {
				t.Errorf("the tools' API with PORT=%s: %s", port, got)
			}
			t.Setenv("PORT", "")
			t.Setenv("LOCAL_DIR", dir)
			if got := localmode.DefaultAPI(); got != want {
				t.Errorf("the tools' API from %s: %s, want %s", urlFile, got, want)
			}
			if _, err := localmode.FetchSignInConfig(t.Context(), want); err != nil {
				t.Fatalf("GET /v1/config on PORT %s: %v", port, err)
			}
			resp, err := http.Get(want + "/openapi.yaml")
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(doc), "servers:\n  - url: "+want+"\n") {
				t.Errorf("/openapi.yaml does not name %s as its server", want)
			}

			if err := stop(cmd.Process); err != nil {
				t.Fatal(err)
			}
			err = <-exited
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			// make ends itself with the signal it got, after its recipe ended well.
			if out := output.String(); strings.Contains(out, "make: ***") || strings.Contains(out, "level=ERROR") {
				t.Errorf("make run did not stop cleanly (%v):\n%s", err, out)
			}
			if _, err := os.Stat(urlFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s outlived make run (%v)", urlFile, err)
			}
			if n := strings.Count(output.String(), "GitHub OIDC: no signing key configured"); n > 0 {
				t.Errorf("the GitHub OIDC warning was printed %d times", n)
			}
		})
	}
}

// deletePool deletes the user pools called name.
func deletePool(client *cognitoidentityprovider.Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pools, err := client.ListUserPools(ctx, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		return
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == name {
			_, _ = client.DeleteUserPool(ctx, &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: p.Id})
		}
	}
}
