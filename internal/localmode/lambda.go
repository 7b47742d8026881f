package localmode

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/triggers"
)

// The Lambda Invoke endpoint through which cognito-local runs the user pool's triggers
// (post-confirmation, post-authentication), as Cognito invokes their functions in AWS:
// POST /2015-03-31/functions/<name>/invocations with the event as the body, the function's
// answer as the response (an error as X-Amz-Function-Error: Unhandled with errorMessage).
//
// cognito-local has one endpoint for all its pools, so one server per address serves every
// local API of the process (the tests run several, one per pool): each invocation goes to the
// API whose pool the event names. An event of an unknown pool is answered unchanged.

type lambdaServer struct {
	mu   sync.Mutex
	apis map[string]map[string]lambda.Handler // pool id → function name → handler
}

var (
	lambdaMu      sync.Mutex
	lambdaServers = map[string]*lambdaServer{}
)

// serveTriggers registers the pool's trigger functions for poolID at endpoint (starting the
// server on first use) until ctx ends; envFor gives each function its own env, as in AWS.
func serveTriggers(ctx context.Context, endpoint, poolID string, envFor func(*triggers.Function) *app.Env) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("lambda endpoint %q: %w", endpoint, err)
	}
	lambdaMu.Lock()
	srv, ok := lambdaServers[u.Host]
	if !ok {
		l, err := net.Listen("tcp", u.Host)
		if err != nil {
			lambdaMu.Unlock()
			return fmt.Errorf("serve the Lambda triggers at %s: %w", u.Host, err)
		}
		srv = &lambdaServer{apis: map[string]map[string]lambda.Handler{}}
		lambdaServers[u.Host] = srv
		go func() { _ = http.Serve(l, srv) }()
	}
	lambdaMu.Unlock()
	fns := map[string]lambda.Handler{}
	for _, f := range triggers.Functions {
		if f.Kind == triggers.KindPostConfirmation || f.Kind == triggers.KindPostAuthentication {
			fns[f.Name] = lambda.NewHandler(f.Build(envFor(f)))
		}
	}
	srv.mu.Lock()
	srv.apis[poolID] = fns
	srv.mu.Unlock()
	go func() {
		<-ctx.Done()
		srv.mu.Lock()
		delete(srv.apis, poolID)
		srv.mu.Unlock()
	}()
	return nil
}

func (s *lambdaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(name, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 {
		http.NotFound(w, r)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var head struct {
		UserPoolID string `json:"userPoolId"`
	}
	_ = json.Unmarshal(payload, &head)
	s.mu.Lock()
	h, found := s.apis[head.UserPoolID][name]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !found {
		_, _ = w.Write(payload)
		return
	}
	out, err := h.Invoke(r.Context(), payload)
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		b, _ := json.Marshal(map[string]string{"errorMessage": err.Error()})
		_, _ = w.Write(b)
		return
	}
	_, _ = w.Write(out)
}
