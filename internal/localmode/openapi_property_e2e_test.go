package localmode_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorportal/orgs/internal/apidoc"
	"github.com/vendorportal/orgs/internal/testenv"
)

// TestReadOperationsAnswerAsTheDocumentSays generates requests for every GET operation of
// openapi.yaml from the document's own constraints on its parameters (minimum, maximum,
// enum, maxLength, minLength, format, required), valid and invalid ones, a few per parameter
// with a fixed seed, sends them through the local gateway as a signed-in admin, an operator
// or the org's SCIM token as the operation's security says, and holds every answer to the
// document: the status is documented, the body matches its schema and content type, nothing
// is a 5xx, no valid request is refused with 400 and no invalid one is accepted.
func TestReadOperationsAnswerAsTheDocumentSays(t *testing.T) {
	w := newPropertyWorld(t, "Acme Property")
	doc, l, admin, operator, scimToken, handle := w.doc, w.l, w.admin, w.operator, w.scimToken, w.orgHandle
	rng := rand.New(rand.NewPCG(23, 5))
	start := time.Now()
	ops, cases := 0, 0
	for _, path := range doc.Spec.Paths.InMatchingOrder() {
		item := doc.Spec.Paths.Value(path)
		op := item.Get
		if op == nil || strings.HasPrefix(path, "/oidc/") {
			continue // the GitHub OIDC provider is a feature local mode deploys only when configured
		}
		auth, ok := l.credentials(op, admin, operator, scimToken)
		if !ok {
			continue
		}
		ops++
		target := w.target(path, slices.Concat(item.Parameters, op.Parameters))
		base := url.Values{}
		var query []*openapi3.Parameter
		for _, p := range slices.Concat(item.Parameters, op.Parameters) {
			if p.Value.In != "query" {
				continue
			}
			query = append(query, p.Value)
			if p.Value.Required {
				base.Set(p.Value.Name, validValues(p.Value, handle)[0])
			}
		}
		send := func(q url.Values, valid bool, what string) {
			t.Helper()
			cases++
			status, ct, body := l.raw("GET", target+"?"+q.Encode(), auth)
			if err := doc.Check("GET", path, status, ct, body); err != nil {
				t.Errorf("GET %s?%s (%s): %v\n%s", path, q.Encode(), what, err, body)
			}
			switch {
			case status >= 500:
				t.Errorf("GET %s?%s (%s): %d %s", path, q.Encode(), what, status, body)
			case valid && status == 400:
				t.Errorf("GET %s?%s: a valid request (%s) refused: %s", path, q.Encode(), what, body)
			case !valid && status < 300:
				t.Errorf("GET %s?%s: an invalid request (%s) accepted: %d %s", path, q.Encode(), what, status, body)
			}
		}
		send(base, true, "the required parameters only")
		for _, p := range query {
			for _, v := range pick(rng, validValues(p, handle), 2) {
				q := cloneValues(base)
				q.Set(p.Name, v)
				send(q, true, p.Name+" valid")
			}
			for _, v := range pick(rng, invalidValues(p), 3) {
				q := cloneValues(base)
				q.Set(p.Name, v)
				send(q, false, p.Name+" invalid")
			}
			if p.Required {
				q := cloneValues(base)
				q.Del(p.Name)
				send(q, false, p.Name+" missing")
			}
		}
	}
	t.Logf("%d GET operations, %d requests, %s", ops, cases, time.Since(start).Round(time.Millisecond))
}

// credentials picks the Authorization header an operation's security asks for; false for
// one this test does not sign in to (a tool's HTTP Basic).
// propertyWorld is what the property-based tests send requests as and about: the document,
// the local API, an admin of an org that has a SCIM token, an operator, and values for the
// document's path parameters.
type propertyWorld struct {
	doc                                    *apidoc.Doc
	l                                      *local
	adminEmail, admin, operator, scimToken string
	userID, orgID, orgHandle               string
	pathValues                             map[string]string
}

func newPropertyWorld(t *testing.T, orgName string) propertyWorld {
	t.Helper()
	doc, err := apidoc.LoadFromRoot()
	if err != nil {
		t.Fatal(err)
	}
	w := propertyWorld{doc: doc, l: startLocal(t), adminEmail: testenv.UniqueAddress(t)}
	w.admin = w.l.user(w.adminEmail)
	w.operator = w.l.operator("op-" + testenv.UniqueAddress(t))
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	w.l.do("GET", "/v1/me", w.admin, "", 200, &me)
	var org struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
	}
	w.l.do("POST", "/v1/orgs", w.admin, fmt.Sprintf(`{"name":%q}`, orgName), 201, &org)
	var tok struct {
		Token string `json:"token"`
	}
	w.l.do("POST", "/v1/orgs/"+org.ID+"/scim/token", w.admin, "", 201, &tok)
	w.userID, w.orgID, w.orgHandle, w.scimToken = me.User.ID, org.ID, org.Handle, tok.Token
	w.pathValues = map[string]string{
		"orgId": org.ID, "userId": me.User.ID, "id": me.User.ID, "name": "User",
		"uri": "urn:ietf:params:scim:schemas:core:2.0:User", "productId": "no-such-product",
		"domain": "example.com", "token": strings.Repeat("A", 43),
	}
	return w
}

// target is path with its path parameters filled in: from pathValues, else an id of the
// server's shape that names nothing.
func (w propertyWorld) target(path string, params openapi3.Parameters) string {
	for _, p := range params {
		if p.Value.In == "path" {
			v, ok := w.pathValues[p.Value.Name]
			if !ok {
				v = "01jd0000000000000000000000"
			}
			path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", url.PathEscape(v))
		}
	}
	return path
}

func (l *local) credentials(op *openapi3.Operation, admin, operator, scim string) (string, bool) {
	if op.Security != nil {
		for _, req := range *op.Security {
			if len(req) == 0 {
				return "", true
			}
			if _, ok := req["scim"]; ok {
				return "Bearer " + scim, true
			}
			if _, ok := req["tool"]; ok {
				return "", false
			}
		}
	}
	if p, _ := op.Extensions["x-permission"].(string); strings.HasPrefix(p, "operators") {
		return "Bearer " + operator, true
	}
	return "Bearer " + admin, true
}

// raw sends one request and returns its status, content type and body.
func (l *local) raw(method, target, auth string) (int, string, []byte) {
	l.t.Helper()
	req, err := http.NewRequest(method, l.srv.URL+target, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// validValues are values the parameter's schema allows, the most telling first.
func validValues(p *openapi3.Parameter, handle string) []string {
	s := p.Schema.Value
	if s.Type.Is("array") && s.Items != nil {
		s = s.Items.Value
	}
	var out []string
	switch {
	case p.Name == "handle":
		return []string{handle}
	case p.Name == "cursor":
		return []string{""} // a cursor only the server issues: none to make up
	case len(s.Enum) > 0:
		for _, e := range s.Enum {
			out = append(out, fmt.Sprint(e))
		}
	case s.Type.Is("integer"):
		lo, hi := 1.0, 100.0
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		out = []string{strconv.Itoa(int(lo)), strconv.Itoa(int(hi))}
	case s.Type.Is("boolean"):
		out = []string{"true", "false"}
	case s.Format == "date-time":
		out = []string{"2026-11-22T10:00:00Z"}
	case len(s.Examples) > 0:
		for _, e := range s.Examples {
			out = append(out, fmt.Sprint(e))
		}
	case s.Example != nil:
		out = []string{fmt.Sprint(s.Example)}
	default:
		out = []string{"a"}
		if s.MinLength > 1 {
			out = []string{strings.Repeat("a", int(s.MinLength))}
		}
	}
	return out
}

// invalidValues are values the parameter's schema refuses, one per constraint it states.
func invalidValues(p *openapi3.Parameter) []string {
	s := p.Schema.Value
	if s.Type.Is("array") && s.Items != nil {
		s = s.Items.Value
	}
	var out []string
	if len(s.Enum) > 0 {
		out = append(out, "not-one-of-them")
	}
	switch {
	case s.Type.Is("integer"):
		out = append(out, "abc", "1.5")
		if s.Min != nil {
			out = append(out, strconv.Itoa(int(*s.Min)-1))
		}
		if s.Max != nil {
			out = append(out, strconv.Itoa(int(*s.Max)+1))
		}
	case s.Type.Is("boolean"):
		out = append(out, "maybe")
	case s.Format == "date-time":
		out = append(out, "yesterday")
	case s.Pattern != "":
		out = append(out, "~") // no pattern here takes a tilde
	}
	if s.MaxLength != nil {
		out = append(out, strings.Repeat("a", int(*s.MaxLength)+1))
	}
	return out
}

func pick(rng *rand.Rand, vs []string, n int) []string {
	if len(vs) <= n {
		return vs
	}
	vs = slices.Clone(vs)
	rng.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	return vs[:n]
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
