package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
)

func TestDecodeRejectsUnknownFieldsAndBadJSON(t *testing.T) {
	var got struct {
		Name string `json:"name"`
	}
	decodeFirst := func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := req.Decode(&got); err != nil {
			return nil, err
		}
		return httpapi.JSON(200, got), nil
	}
	fn := apitest.NewBareAPI(t).Bind(httpapi.JWT, decodeFirst)
	cases := map[string]struct {
		body       string
		status     int
		msgContain string
	}{
		"unknown field":  {`{"name":"x","id":"y"}`, 400, `"id"`},
		"read-only kind": {`{"kind":"personal"}`, 400, `"kind"`},
		"wrong type":     {`{"name":5}`, 400, "name"},
		"not json":       {`{name:`, 400, "not valid JSON"},
		"two objects":    {`{"name":"a"}{"name":"b"}`, 400, "single JSON object"},
		"empty":          {``, 400, "body is required"},
		"good":           {`{"name":"a"}`, 200, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ev := apitest.LoadEvent(t, "create-org.json")
			ev.Body = c.body
			resp, _ := fn(context.Background(), ev)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, resp.Body)
			}
			if c.status != 200 {
				code, msg := apitest.ErrorCode(t, resp)
				if code != "invalid_request" || !strings.Contains(msg, c.msgContain) {
					t.Errorf("got %s %q, want invalid_request containing %q", code, msg, c.msgContain)
				}
			}
		})
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	fn := apitest.NewBareAPI(t).Bind(httpapi.JWT, func(context.Context, *httpapi.Request) (*httpapi.Response, error) { return httpapi.NoContent(), nil })
	ev := apitest.LoadEvent(t, "create-org.json")
	ev.Body = `{"name":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`
	resp, _ := fn(context.Background(), ev)
	if code, _ := apitest.ErrorCode(t, resp); resp.StatusCode != 413 || code != "payload_too_large" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
}

func TestPanicIs500WithoutDetail(t *testing.T) {
	a := apitest.NewBareAPI(t)
	fn := a.Bind(httpapi.JWT, func(context.Context, *httpapi.Request) (*httpapi.Response, error) { panic("secret detail") })
	resp, err := fn(context.Background(), apitest.LoadEvent(t, "create-org.json"))
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("got %d, %v", resp.StatusCode, err)
	}
	if strings.Contains(resp.Body, "secret") || resp.Body != `{"error":{"code":"internal","message":"internal error"}}` {
		t.Errorf("body leaks or differs: %s", resp.Body)
	}
	if !strings.Contains(a.Logs.String(), "secret detail") || !strings.Contains(a.Logs.String(), "Cz2Xbh1ujoEEJ8g=") {
		t.Errorf("log lacks the panic or the request id: %s", a.Logs.String())
	}
}

func TestErrorKindsMapToContractStatuses(t *testing.T) {
	want := map[apperr.Kind]int{
		apperr.Invalid: 400, apperr.Unauthenticated: 401, apperr.Forbidden: 403, apperr.NotFound: 404,
		apperr.Conflict: 409, apperr.Gone: 410, apperr.TooLarge: 413, apperr.RateLimited: 429,
		apperr.Unavailable: 503, apperr.Internal: 500,
	}
	for kind, status := range want {
		var h httpapi.Handler = func(context.Context, *httpapi.Request) (*httpapi.Response, error) { return nil, apperr.New(kind, "m") }
		fn := apitest.NewBareAPI(t).Bind(httpapi.JWT, h)
		resp, _ := fn(context.Background(), apitest.LoadEvent(t, "create-org.json"))
		code, _ := apitest.ErrorCode(t, resp)
		if resp.StatusCode != status || code != string(kind) {
			t.Errorf("%s: got %d %s", kind, resp.StatusCode, code)
		}
		if kind == apperr.Unavailable && resp.Headers["Retry-After"] == "" {
			t.Error("503 without Retry-After")
		}
	}
}

func TestCallerComesFromAuthorizerClaims(t *testing.T) {
	var seen httpapi.Request
	fn := apitest.NewBareAPI(t).Bind(httpapi.Operator, func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		seen = *req
		return httpapi.NoContent(), nil
	})
	ev := apitest.LoadEvent(t, "create-org.json")
	resp, _ := fn(context.Background(), ev)
	if resp.StatusCode != 403 {
		t.Fatalf("a non-operator got %d on an operator route", resp.StatusCode)
	}
	ev.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[support operators]"
	if resp, _ = fn(context.Background(), ev); resp.StatusCode != 204 {
		t.Fatalf("an operator got %d: %s", resp.StatusCode, resp.Body)
	}
	c := seen.Caller
	if c.ID != "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11" || c.Email != "ada@example.com" || !c.EmailVerified || !c.Operator || c.IssuedAt.Unix() != 1795341600 {
		t.Errorf("caller = %+v", c)
	}
}
