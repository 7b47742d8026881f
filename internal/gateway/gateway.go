// Package gateway is the local stand-in for API Gateway: it serves every route of the route
// table in-process, building the same HTTP API v2 events, verifying JWTs as the Cognito JWT
// authorizer does, and answering CORS preflights as the HTTP API's CORS configuration does.
package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
)

// Gateway is an http.Handler serving the route table.
type Gateway struct {
	mux     *http.ServeMux
	origins []string
	log     *slog.Logger
}

// New binds every route to env. Routes that need a token are checked with verifier.
func New(env *app.Env, routes []*httpapi.Route, verifier *Verifier) *Gateway {
	return NewPerFunction(env, routes, verifier, func(*httpapi.Route) *app.Env { return env })
}

// NewPerFunction binds each route to the Env envFor gives it, as each Lambda function has its
// own; env gives the CORS origins and the log.
func NewPerFunction(env *app.Env, routes []*httpapi.Route, verifier *Verifier, envFor func(*httpapi.Route) *app.Env) *Gateway {
	g := &Gateway{mux: http.NewServeMux(), origins: env.Config.AllowedOrigins, log: env.Log}
	for _, r := range routes {
		fn := httpapi.Bind(r, envFor(r))
		g.mux.Handle(muxPattern(r), &endpoint{route: r, fn: fn, verifier: verifier})
	}
	g.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
	})
	return g
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && slices.Contains(g.origins, origin)
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
		if r.Method != http.MethodOptions {
			// As the HTTP API's CORS configuration: what browser code may read of the answer.
			w.Header().Set("Access-Control-Expose-Headers", strings.Join(httpapi.CORSExposeHeaders, ","))
		}
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if allowed {
			w.Header().Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "authorization,content-type,idempotency-key")
			w.Header().Set("Access-Control-Max-Age", "600")
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	g.mux.ServeHTTP(w, r)
}

type endpoint struct {
	route    *httpapi.Route
	fn       httpapi.LambdaHandler
	verifier *Verifier
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ev, err := e.event(r)
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
		return
	}
	if e.route.Auth == httpapi.JWT || e.route.Auth == httpapi.Operator {
		claims, ok := e.authorize(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Unauthorized"}`)
			return
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: nil},
		}
	}
	resp, _ := e.fn(r.Context(), ev)
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func (e *endpoint) authorize(r *http.Request) (map[string]string, bool) {
	// Like API Gateway's JWT authorizer: the header's value is the token, with or without a
	// "Bearer " prefix.
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(token) > len("bearer ") && strings.EqualFold(token[:len("bearer ")], "bearer ") {
		token = strings.TrimSpace(token[len("bearer "):])
	}
	if token == "" || e.verifier == nil {
		return nil, false
	}
	claims, err := e.verifier.Verify(token)
	return claims, err == nil
}

// maxPayload is API Gateway's own limit on a request body.
const maxPayload = 10 << 20

// event builds the HTTP API payload 2.0 event API Gateway would send for r.
func (e *endpoint) event(r *http.Request) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil || len(body) > maxPayload {
		return events.APIGatewayV2HTTPRequest{}, io.ErrShortBuffer
	}
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			cookies = append(cookies, vs...)
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	var params map[string]string
	for _, name := range pathParams(e.route.Path) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = r.PathValue(name)
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	routeKey := e.route.Method + " " + e.route.Path
	now := time.Now().UTC()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, AccountID: "000000000000", Stage: "$default", RequestID: requestID(),
			APIID: "local", DomainName: r.Host, DomainPrefix: "local",
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev, nil
}

// isText tells which bodies API Gateway passes as text; the rest arrive base64-encoded.
func isText(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return contentType == "" || strings.HasPrefix(mt, "text/") || mt == "application/json" ||
		strings.HasSuffix(mt, "+json") || mt == "application/xml" || mt == "application/x-www-form-urlencoded"
}

func pathParams(path string) []string {
	var names []string
	for _, seg := range strings.Split(path, "/") {
		if name := httpapi.ParamName(seg); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// muxPattern is the route's ServeMux pattern: API Gateway's greedy {name+} is ServeMux's
// {name...}, and an AnyMethod route names no method. ServeMux, like API Gateway, prefers the
// more specific pattern, so a catch-all gets only what no other route takes (another method
// on a known path included, as in API Gateway).
func muxPattern(r *httpapi.Route) string {
	path := r.Path
	if strings.HasSuffix(path, "+}") {
		path = strings.TrimSuffix(path, "+}") + "...}"
	}
	if r.Method == httpapi.AnyMethod {
		return path
	}
	return r.Method + " " + path
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
