package localmode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorportal/orgs/internal/testenv"
)

// TestRequestBodiesAnswerAsTheDocumentSays generates bodies for every operation of openapi.yaml
// that takes a JSON body, from the document's own schema: a valid one (the required
// properties), valid ones at the constraints' edges (maxLength, minLength, enum), and invalid
// ones, one per constraint a top-level property states (maxLength, minLength, enum, pattern,
// minItems, maxItems, minimum, maximum, type, required, additionalProperties). Each body is
// first held to the schema itself, so that the generator can't mislabel a case; a few of each
// are sent (fixed seed) through the local gateway, and every answer is held to the document:
// its status documented, its body as described, no 5xx, no valid body refused with 400, and
// every invalid body refused with 400.
//
// Constraints inside array items are not generated against: a bulk request answers per item.
func TestRequestBodiesAnswerAsTheDocumentSays(t *testing.T) {
	w := newPropertyWorld(t, "Acme Bodies")
	doc, l, admin, operator, adminEmail := w.doc, w.l, w.admin, w.operator, w.adminEmail
	n := 0
	fresh := func() string { n++; return fmt.Sprintf("body%d-%s", n, testenv.UniqueAddress(t)) }
	// Names are unique, so that a second valid body is no conflict with the first.
	name := func() any { n++; return fmt.Sprintf("Ada %d", n) }
	// Values of the properties whose valid values the schema can't say (a pattern, a
	// reference to what exists), by name.
	known := map[string]func() any{
		"email": func() any { return fresh() }, "notifyEmail": func() any { return fresh() },
		"contactEmail": func() any { return fresh() }, "userName": func() any { return adminEmail },
		"role": func() any { return "user" }, "phone": func() any { return "+14155550123" },
		"handle": func() any { return fmt.Sprintf("acme-body-%d-%d", n, time.Now().UnixNano()%1e6) },
		"url":    func() any { return "https://hooks.example.com/hook" }, "events": func() any { return []any{"member.created"} },
		"key": func() any { return "department" }, "avatarUrl": func() any { return "https://example.com/a.png" },
		"productId": func() any { return "no-such-product" }, "domain": func() any { return "example.com" },
		"token": func() any { return strings.Repeat("A", 43) }, "device_code": func() any { return strings.Repeat("A", 43) },
		"org": func() any { return w.orgHandle }, "name": name, "subject": name, "required": func() any { return false },
		"Operations": func() any { return []any{map[string]any{"op": "replace", "path": "active", "value": true}} },
	}
	// The operations whose valid bodies may still be refused for what no schema can say, and
	// why. Each is a known limit of this test, not of the document.
	semantic400 := map[string]string{
		"POST /v1/orgs/{orgId}/webhooks": "the url's host must resolve to a public address (no DNS in the test sandbox)",
	}
	rng := rand.New(rand.NewPCG(23, 7))
	start := time.Now()
	ops, cases := 0, 0
	for _, path := range doc.Spec.Paths.InMatchingOrder() {
		item := doc.Spec.Paths.Value(path)
		for _, method := range []string{"POST", "PUT", "PATCH"} {
			op := item.GetOperation(method)
			if op == nil || op.RequestBody == nil || strings.HasPrefix(path, "/oidc/") {
				continue
			}
			ct, media := "application/json", op.RequestBody.Value.Content.Get("application/json")
			if m := op.RequestBody.Value.Content.Get("application/scim+json"); m != nil {
				ct, media = "application/scim+json", m
			}
			if media == nil || media.Schema == nil {
				continue // a spreadsheet or CSV import
			}
			auth, ok := l.credentials(op, admin, operator, w.scimToken)
			if !ok {
				continue
			}
			ops++
			target := w.target(path, slices.Concat(item.Parameters, op.Parameters))
			schema := media.Schema.Value
			g := bodyGen{known: known}
			valid, invalid := g.cases(schema)
			// The status of the first valid body: when it is a refusal of the path or the state
			// (404: the path names nothing; 403, 409, 410), an invalid body may get the same
			// refusal before its body is read.
			baseStatus := 0
			send := func(c bodyCase, wantValid bool) {
				t.Helper()
				body := c.body
				if err := schema.VisitJSON(jsonRoundTrip(body), openapi3.EnableJSONSchema2020()); (err == nil) != wantValid {
					t.Fatalf("%s %s: the generator labelled %s (%.300s) valid=%v, the schema says %.300v", method, path, c.what, mustJSON(body), wantValid, err)
				}
				cases++
				status, gotCT, got := l.send(method, target, auth, ct, mustJSON(body))
				if baseStatus == 0 {
					baseStatus = status
				}
				if err := doc.Check(method, path, status, gotCT, got); err != nil {
					t.Errorf("%s %s (%s): %.300v\n%.300s", method, path, c.what, err, got)
				}
				switch {
				case status >= 500:
					t.Errorf("%s %s (%s): %d %s", method, path, c.what, status, got)
				case wantValid && status == 400 && oauthRefusal(got):
					// OAuth answers a well-formed request it can't grant 400 too (RFC 6749
					// §5.2, RFC 8628 §3.5), with an error code other than invalid_request.
				case wantValid && status == 400 && semantic400[method+" "+path] != "":
				case wantValid && status == 400:
					t.Errorf("%s %s: a valid body (%s) refused: %s\n%.300s", method, path, c.what, got, mustJSON(body))
				case !wantValid && status != 400 && !(status == baseStatus && slices.Contains([]int{403, 404, 409, 410}, status)):
					t.Errorf("%s %s: an invalid body (%s) answered %d, want 400: %.300s\n%.300s", method, path, c.what, status, got, mustJSON(body))
				}
			}
			for _, c := range pickCases(rng, valid, 3) {
				send(c, true)
			}
			for _, c := range pickCases(rng, invalid, 4) {
				send(c, false)
			}
		}
	}
	t.Logf("%d operations with a JSON body, %d requests, %s", ops, cases, time.Since(start).Round(time.Millisecond))
	if ops == 0 {
		t.Fatal("no operation with a body")
	}
}

type bodyCase struct {
	what string
	body any
}

// bodyGen makes values of schemas: valid ones from the schema's own constraints (enum, format,
// minimum, minLength, minItems) and known values by property name.
type bodyGen struct {
	known map[string]func() any
}

// cases are the valid and the invalid bodies of an object schema.
func (g bodyGen) cases(s *openapi3.Schema) (valid, invalid []bodyCase) {
	base := g.object(s)
	valid = append(valid, bodyCase{"the required properties", base})
	// Each invalid body starts from a base of its own (fresh names), so that it is refused for
	// what it breaks, not as a repeat of another.
	with := func(name string, v any) map[string]any {
		b := g.object(s)
		b[name] = v
		return b
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		p := nonNull(s.Properties[name].Value)
		switch {
		case len(p.Enum) > 0:
			for _, e := range p.Enum {
				valid = append(valid, bodyCase{fmt.Sprintf("%s = %v", name, e), with(name, e)})
			}
			invalid = append(invalid, bodyCase{name + " not one of the enum", with(name, "not-one-of-them")})
		case p.Type.Is("string"):
			if p.MaxLength != nil && p.Pattern == "" && p.Format == "" && g.known[name] == nil {
				valid = append(valid, bodyCase{fmt.Sprintf("%s of %d characters", name, *p.MaxLength), with(name, strings.Repeat("é", int(*p.MaxLength)))})
			}
			if p.MaxLength != nil {
				invalid = append(invalid, bodyCase{fmt.Sprintf("%s over %d characters", name, *p.MaxLength), with(name, strings.Repeat("a", int(*p.MaxLength)+1))})
			}
			if p.MinLength > 0 {
				invalid = append(invalid, bodyCase{name + " empty", with(name, "")})
			}
			if p.Pattern != "" {
				invalid = append(invalid, bodyCase{name + " not matching its pattern", with(name, "~")})
			}
			invalid = append(invalid, bodyCase{name + " a number", with(name, 12345)})
		case p.Type.Is("integer"):
			if p.Min != nil {
				invalid = append(invalid, bodyCase{name + " below its minimum", with(name, *p.Min-1)})
			}
			if p.Max != nil {
				valid = append(valid, bodyCase{name + " at its maximum", with(name, *p.Max)})
				invalid = append(invalid, bodyCase{name + " above its maximum", with(name, *p.Max+1)})
			}
			invalid = append(invalid, bodyCase{name + " a string", with(name, "12")})
		case p.Type.Is("boolean"):
			invalid = append(invalid, bodyCase{name + " a string", with(name, "yes")})
		case p.Type.Is("array"):
			if p.MinItems > 0 {
				invalid = append(invalid, bodyCase{name + " empty", with(name, []any{})})
			}
			if p.MaxItems != nil && p.Items != nil {
				items := make([]any, *p.MaxItems+1)
				for i := range items {
					items[i] = g.value(name+"[]", p.Items.Value)
				}
				invalid = append(invalid, bodyCase{fmt.Sprintf("%s of %d items", name, len(items)), with(name, items)})
			}
			invalid = append(invalid, bodyCase{name + " not an array", with(name, "x")})
		}
	}
	for _, name := range s.Required {
		b := g.object(s)
		delete(b, name)
		invalid = append(invalid, bodyCase{name + " missing", b})
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		invalid = append(invalid, bodyCase{"an unknown property", with("zzUnknown", 1)})
	}
	return valid, invalid
}

func (g bodyGen) object(s *openapi3.Schema) map[string]any {
	out := map[string]any{}
	required := slices.Clone(s.Required)
	if len(s.AnyOf) > 0 {
		required = append(required, s.AnyOf[0].Value.Required...)
	}
	for _, name := range required {
		out[name] = g.value(name, s.Properties[name].Value)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		if uint64(len(out)) >= s.MinProps {
			break
		}
		if _, ok := out[name]; !ok {
			out[name] = g.value(name, s.Properties[name].Value)
		}
	}
	return out
}

// value is a valid value of s for a property called name.
func (g bodyGen) value(name string, s *openapi3.Schema) any {
	s = nonNull(s)
	if f := g.known[strings.TrimSuffix(name, "[]")]; f != nil {
		v := f()
		if vs, ok := v.([]any); ok && strings.HasSuffix(name, "[]") {
			return vs[0]
		}
		return v
	}
	switch {
	case len(s.OneOf) > 0:
		return g.value(name, s.OneOf[0].Value)
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type.Is("object"):
		return g.object(s)
	case s.Type.Is("array"):
		n := max(1, int(s.MinItems))
		out := make([]any, n)
		for i := range out {
			out[i] = g.value(name+"[]", s.Items.Value)
		}
		return out
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return true
	case s.Format == "date-time":
		return time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	case s.Format == "email":
		return g.known["email"]()
	}
	if len(s.Examples) > 0 {
		return s.Examples[0]
	}
	return "Ada " + strings.Repeat("x", int(s.MinLength))
}

func nonNull(s *openapi3.Schema) *openapi3.Schema {
	if s.Type != nil && len(*s.Type) > 1 && s.Type.Includes("null") {
		c := *s
		var types openapi3.Types
		for _, t := range *s.Type {
			if t != "null" {
				types = append(types, t)
			}
		}
		c.Type = &types
		return &c
	}
	return s
}

// oauthRefusal reports whether body is an OAuth error answer other than invalid_request (the
// code of a malformed request): an unknown device_code, a pending authorization.
func oauthRefusal(body []byte) bool {
	var e struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	code, ok := e.Error.(string)
	return ok && code != "invalid_request"
}

func pickCases(rng *rand.Rand, cs []bodyCase, n int) []bodyCase {
	if len(cs) <= n {
		return cs
	}
	// The first (the required properties alone, for the valid ones) always, then n-1 others.
	rest := slices.Clone(cs[1:])
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append([]bodyCase{cs[0]}, rest[:n-1]...)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// jsonRoundTrip is v as the schema validator sees a decoded body (numbers as float64).
func jsonRoundTrip(v any) any {
	var out any
	_ = json.Unmarshal([]byte(mustJSON(v)), &out)
	return out
}

// send sends one request with a body and returns its status, content type and body.
func (l *local) send(method, target, auth, contentType, body string) (int, string, []byte) {
	l.t.Helper()
	req, err := http.NewRequest(method, l.srv.URL+target, bytes.NewBufferString(body))
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
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
