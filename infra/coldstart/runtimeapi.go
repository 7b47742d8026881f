package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/githuboidc"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
	"github.com/vendorportal/orgs/internal/standins"
)

const runtimeAPIPrefix = "/2018-06-01/runtime"

// runtimeAPI is a stand-in for the Lambda Runtime API that serves one process at a time.
type runtimeAPI struct {
	addr      string
	deadProxy string // host:port where nothing listens
	secrets   *standins.SecretsManager
	srv       *http.Server
	out       *os.File // the processes' stdout and stderr, truncated per run

	mu  sync.Mutex
	cur *session
}

// session is what the stand-in knows of the process being run.
type session struct {
	fn    string
	reqID string
	// event, if not nil, answers the first /next; otherwise /next is held until the process
	// is killed, as the real API holds it while there is no invocation.
	event  []byte
	nexts  int
	nextAt chan time.Time // the arrival of the first /next
	posted chan post      // /response, /error or /init/error
}

type post struct {
	path string
	body []byte
}

func startRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// A port that was free a moment ago: connections to it are refused.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, err
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	out, err := os.CreateTemp("", "coldstart-out-")
	if err != nil {
		ln.Close()
		return nil, err
	}
	// The GitHub OIDC functions read their signing keys at init: a real 2048-bit key, so that
	// they parse what they parse in AWS.
	oidcKeys := string(githuboidc.GenerateKeys().EncodePEM())
	values := map[string]string{coldstartOIDCKeysARN: oidcKeys}
	for _, k := range app.Keys() {
		values[coldstartKeyARN(k)] = "coldstart-dummy-" + k + "-0123456789abcdef"
	}
	sm, err := standins.NewSecretsManager(values)
	if err != nil {
		ln.Close()
		return nil, err
	}
	a := &runtimeAPI{addr: ln.Addr().String(), deadProxy: deadAddr, out: out, secrets: sm}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPIPrefix+"/invocation/next", a.next)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/response", a.post)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/error", a.post)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/init/error", a.post)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *runtimeAPI) close() {
	_ = a.srv.Close()
	a.out.Close()
	os.Remove(a.out.Name())
}

func (a *runtimeAPI) session() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	a.mu.Lock()
	s := a.cur
	n := 0
	if s != nil {
		s.nexts++
		n = s.nexts
	}
	a.mu.Unlock()
	if n == 1 {
		s.nextAt <- at
		if s.event != nil {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Lambda-Runtime-Aws-Request-Id", s.reqID)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:"+s.fn)
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			_, _ = w.Write(s.event)
			return
		}
	}
	<-r.Context().Done()
}

func (a *runtimeAPI) post(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
	if s := a.session(); s != nil {
		select {
		case s.posted <- post{path: strings.TrimPrefix(r.URL.Path, runtimeAPIPrefix), body: body}:
		default:
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// lambdaEnv is the whole environment of a function process: what Lambda sets for a
// provided.al2023 function, what the CDK stack sets (internal/app ConfigFromEnv reads it),
// dummy credentials, and proxies that keep any AWS call on this machine. Nothing is inherited
// from this process's environment.
func (a *runtimeAPI) lambdaEnv(fn, taskRoot string, keys []string, readsSecrets []string, mailDomains string) []string {
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + a.addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]0123456789abcdef",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN=coldstart-dummy-session-token",
		"TABLE_NAME=x",
		"USER_POOL_ID=us-east-1_EXAMPLE1",
		"USER_POOL_CLIENT_ID=exampleclientid",
		"APP_URL=https://app.example.com",
		"ALLOWED_ORIGINS=https://app.example.com",
		"MAIL_FROM=no-reply@example.com",
		"HTTP_PROXY=http://" + a.deadProxy,
		"HTTPS_PROXY=http://" + a.deadProxy,
	}
	for _, k := range keys {
		// As the stack does: only the functions that use a key know where it is. The
		// stand-in is on 127.0.0.1, which the proxies above leave alone.
		env = append(env, app.KeyEnv[k]+"="+coldstartKeyARN(k))
	}
	for _, name := range readsSecrets {
		switch name {
		case oidcapi.SecretGitHubOIDCKeys:
			// As the stack does when GitHub sign-in is deployed (its settings are required
			// then): the feature's settings and the keys' ARN.
			env = append(env, app.EnvGitHubOIDCKeySecret+"="+coldstartOIDCKeysARN,
				app.EnvGitHubClientID+"=Iv1.0123456789abcdef",
				app.EnvGitHubOIDCIssuer+"=https://api.example.com/oidc/github",
				app.EnvGitHubOIDCRedirectURIs+"=https://auth.example.com/oauth2/idpresponse")
		}
	}
	if mailDomains != "" {
		// The stack's layer holds the table at /opt; here it is the repository's file.
		env = append(env, "MAIL_DOMAINS_FILE="+mailDomains)
	}
	if len(keys) > 0 || len(readsSecrets) > 0 {
		env = append(env, "SECRETSMANAGER_ENDPOINT="+a.secrets.URL)
	}
	return env
}

const (
	coldstartOIDCKeysARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:GitHubOIDCKeys-AbCdEf"
)

// coldstartKeyARN is the stand-in's ARN of the key of purpose.
func coldstartKeyARN(purpose string) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + purpose + "-AbCdEf"
}

// initOnce starts f's host binary and returns the time from exec to its first /next, and the
// CPU time (user+sys) the process used by the time it was killed there.
func (a *runtimeAPI) initOnce(ctx context.Context, f *function, timeout time.Duration) (wall, cpu time.Duration, err error) {
	wall, _, ps, err := a.start(ctx, f, nil, timeout)
	if err != nil {
		return 0, 0, err
	}
	return wall, ps.UserTime() + ps.SystemTime(), nil
}

// sanityCheck invokes the hello world once with an API Gateway v2 HTTP request and checks
// its response.
func (a *runtimeAPI) sanityCheck(ctx context.Context, hello *function, timeout time.Duration) error {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /hello", RawPath: "/hello",
		Headers: map[string]string{"user-agent": "coldstart"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "coldstart", Stage: "$default", RequestID: "coldstart-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/hello", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "coldstart"},
		},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, p, _, err := a.start(ctx, hello, body, timeout)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(p.path, "/response") {
		return fmt.Errorf("posted to %s: %s", p.path, p.body)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(p.body, &resp); err != nil {
		return fmt.Errorf("response %q: %w", p.body, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "/hello") {
		return fmt.Errorf("unexpected response %s", p.body)
	}
	return nil
}

// start runs f's host binary once. Without an event it waits for the first /next and kills
// the process; with one, it answers that /next with it, waits for what the process posts back,
// and then kills the process.
func (a *runtimeAPI) start(ctx context.Context, f *function, event []byte, timeout time.Duration) (time.Duration, post, *os.ProcessState, error) {
	s := &session{fn: f.name, reqID: "coldstart-1", event: event, nextAt: make(chan time.Time, 1), posted: make(chan post, 1)}
	a.mu.Lock()
	a.cur = s
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.cur = nil
		a.mu.Unlock()
	}()
	if err := a.out.Truncate(0); err != nil {
		return 0, post{}, nil, err
	}
	if _, err := a.out.Seek(0, io.SeekStart); err != nil {
		return 0, post{}, nil, err
	}

	cmd := exec.Command(f.hostBin)
	cmd.Dir = filepath.Dir(f.hostBin)
	cmd.Env = a.lambdaEnv(f.name, cmd.Dir, f.keys, f.readsSecrets, f.mailDomains)
	cmd.Stdout = a.out
	cmd.Stderr = a.out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, post{}, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	var init time.Duration
	select {
	case t1 := <-s.nextAt:
		init = t1.Sub(t0)
	case err := <-exited:
		return 0, post{}, nil, fmt.Errorf("exited before its first /next (%v): %s", err, a.outputTail())
	case <-timer.C:
		stop()
		return 0, post{}, nil, fmt.Errorf("no /next within %s: %s", timeout, a.outputTail())
	case <-ctx.Done():
		stop()
		return 0, post{}, nil, ctx.Err()
	}
	if event == nil {
		stop()
		return init, post{}, cmd.ProcessState, nil
	}
	select {
	case p := <-s.posted:
		stop()
		return init, p, cmd.ProcessState, nil
	case err := <-exited:
		return init, post{}, nil, fmt.Errorf("exited during the invocation (%v): %s", err, a.outputTail())
	case <-timer.C:
		stop()
		return init, post{}, nil, errors.New("no response within " + timeout.String())
	case <-ctx.Done():
		stop()
		return init, post{}, nil, ctx.Err()
	}
}

// outputTail returns the end of the last process's output, on one line.
func (a *runtimeAPI) outputTail() string {
	b, _ := os.ReadFile(a.out.Name())
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	if s == "" {
		s = "(no output)"
	}
	return s
}
