package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

func pageRequest(query map[string]string, caller string) *httpapi.Request {
	return &httpapi.Request{
		Event: &events.APIGatewayV2HTTPRequest{
			RouteKey: "GET /v1/orgs/{orgId}/members", QueryStringParameters: query,
			PathParameters: map[string]string{"orgId": "o1"},
		},
		Caller:  orgs.Caller{ID: caller},
		Cursors: httpapi.CursorKey([]byte("test secret")),
	}
}

func TestLimitMustBeOneTo200(t *testing.T) {
	for _, bad := range []string{"0", "201", "abc", "-1", "1.5", ""} {
		if _, err := pageRequest(map[string]string{"limit": bad}, "u").Page("q"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("limit=%q: %v", bad, err)
		}
	}
	p, err := pageRequest(nil, "u").Page("q")
	if err != nil || p.Limit != 50 {
		t.Errorf("default: %+v %v", p, err)
	}
}

func TestCursorsCantBeForgedOrReused(t *testing.T) {
	cursor := pageRequest(nil, "u").Cursor("role=admin", `{"PK":"x"}`)
	p, err := pageRequest(map[string]string{"cursor": cursor}, "u").Page("role=admin")
	if err != nil || p.After != `{"PK":"x"}` {
		t.Fatalf("round trip: %+v %v", p, err)
	}
	cases := map[string]*httpapi.Request{
		"other query":  pageRequest(map[string]string{"cursor": cursor}, "u"),
		"other caller": pageRequest(map[string]string{"cursor": cursor}, "v"),
		"tampered":     pageRequest(map[string]string{"cursor": "x" + cursor}, "u"),
		"garbage":      pageRequest(map[string]string{"cursor": "abc"}, "u"),
	}
	queries := map[string]string{"other query": "role=user", "other caller": "role=admin", "tampered": "role=admin", "garbage": "role=admin"}
	for name, req := range cases {
		if _, err := req.Page(queries[name]); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if pageRequest(nil, "u").Cursor("q", "") != "" {
		t.Error("no position must give no cursor")
	}
}

// A cursor carries a store position, which may hold an email (member lists sort by it):
// it is sealed, so a client can read nothing out of it.
func TestCursorsAreSealedNotReadable(t *testing.T) {
	after := `{"GSI2SK":"ada.lovelace@example.com#user-1"}`
	cursor := pageRequest(nil, "u").Cursor("role=admin", after)
	for _, part := range strings.Split(cursor, ".") {
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
			if raw, err := enc.DecodeString(part); err == nil && bytes.Contains(raw, []byte("ada.lovelace")) {
				t.Fatalf("cursor %q reveals its position: %q", cursor, raw)
			}
		}
	}
	if p, err := pageRequest(map[string]string{"cursor": cursor}, "u").Page("role=admin"); err != nil || p.After != after {
		t.Fatalf("round trip: %+v %v", p, err)
	}
	// Two cursors for the same position differ (a fresh nonce each), so neither says where it is.
	if again := pageRequest(nil, "u").Cursor("role=admin", after); again == cursor {
		t.Error("the same position sealed twice gave the same cursor")
	}
}
