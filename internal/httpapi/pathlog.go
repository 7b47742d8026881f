package httpapi

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apperr"
)

// redacted stands in the request log for a secret path segment or query value.
const redacted = "[redacted]"

// checkPathParams answers 404 for a path parameter the server could never have issued (wrong
// shape, too long): it is an unknown id like any other, and must not reach a table key.
func (r *Route) checkPathParams(ev *events.APIGatewayV2HTTPRequest) error {
	for name, v := range ev.PathParameters {
		p, ok := r.Param(name)
		if !ok || !p.Valid(v) {
			return apperr.New(apperr.NotFound, "%s not found", notFoundName(name))
		}
	}
	return nil
}

// notFoundName names what a path parameter points at as the domain's not-found errors do.
func notFoundName(param string) string {
	switch param {
	case "orgId":
		return "organization"
	case "userId":
		return "member"
	case "token":
		return "invitation"
	}
	return strings.TrimSuffix(param, "Id")
}

// loggedPath is the request's path for the log: the route's path with its parameters filled
// in, secret ones redacted. Built from the route's template, so that nothing of a secret
// segment survives in whatever form the raw path spelled it.
func (r *Route) loggedPath(ev *events.APIGatewayV2HTTPRequest) string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		name := ParamName(s)
		if name == "" {
			continue
		}
		v := ev.PathParameters[name]
		p, known := r.Param(name)
		switch {
		case known && p.Secret:
			segs[i] = redacted
		case !known || !p.Valid(v):
			// Not an id the server issued: it might be anything pasted in the wrong place.
			segs[i] = "[invalid]"
		default:
			segs[i] = url.PathEscape(v)
		}
	}
	return strings.Join(segs, "/")
}

// SecretQueryKeys are the query parameters whose values are secrets on every route, matched
// without regard to case: OAuth's authorization code and state (a sign-in callback carries
// both), tokens, passwords and keys. The request log shows them redacted whatever the route
// says, so that a route added without thinking of it logs no secret; a route names any other
// secret parameter of its own in SecretQuery.
var SecretQueryKeys = []string{
	"code", "state", "token", "access_token", "id_token", "refresh_token", "client_secret",
	"code_verifier", "password", "secret", "signature", "key",
}

// secretQueryKey reports whether the query parameter k carries a secret on this route.
func (r *Route) secretQueryKey(k string) bool {
	eq := func(s string) bool { return strings.EqualFold(s, k) }
	return slices.ContainsFunc(SecretQueryKeys, eq) || slices.ContainsFunc(r.SecretQuery, eq)
}

// loggedQuery is the request's query string for the log, secret values (SecretQueryKeys and
// the route's SecretQuery) redacted.
func (r *Route) loggedQuery(ev *events.APIGatewayV2HTTPRequest) string {
	if len(ev.QueryStringParameters) == 0 {
		return ""
	}
	keys := make([]string, 0, len(ev.QueryStringParameters))
	for k := range ev.QueryStringParameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		v := url.QueryEscape(ev.QueryStringParameters[k])
		if r.secretQueryKey(k) {
			v = redacted
		}
		b.WriteString(url.QueryEscape(k) + "=" + v)
	}
	return b.String()
}
