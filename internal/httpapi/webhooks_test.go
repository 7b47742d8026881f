package httpapi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/webhooks"
)

// The webhook routes' scenarios for the completeness check: each sets up an endpoint with
// the services and returns one call that succeeds.
func init() {
	mutations["create-webhook"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		a.env.Config.AllowLoopbackWebhooks = true
		return a.request(CreateWebhook, &ada, map[string]string{"orgId": id}, nil, `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["member.*"]}`)
	}
	mutations["update-webhook"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id, ep := a.webhook(ada)
		return a.request(UpdateWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, `{"events":["*"],"enabled":false}`)
	}
	mutations["delete-webhook"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id, ep := a.webhook(ada)
		return a.request(DeleteWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, "")
	}
	mutations["rotate-webhook-secret"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id, ep := a.webhook(ada)
		return a.request(RotateWebhookSecret, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, "")
	}
	mutations["redeliver-webhook"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id, ep := a.webhook(ada)
		d := a.delivery(id, ep)
		return a.request(RedeliverWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID, "deliveryId": d.ID}, nil, "")
	}
}

// webhook makes an org of admin's with one endpoint taking every event, on a local port
// where nothing listens.
func (a *api) webhook(admin orgs.Caller) (string, webhooks.Endpoint) {
	a.t.Helper()
	a.env.Config.AllowLoopbackWebhooks = true
	orgID := a.org(admin, "Acme")
	access, err := a.env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.t.Fatal(err)
	}
	ep, _, err := a.env.Webhooks().Create(context.Background(), access, webhooks.Input{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}})
	if err != nil {
		a.t.Fatal(err)
	}
	return orgID, ep
}

// delivery fans the org's newest event out, as the stream processor would, and returns the
// endpoint's delivery of it.
func (a *api) delivery(orgID string, ep webhooks.Endpoint) webhooks.Delivery {
	a.t.Helper()
	page, err := a.env.EventLog().List(context.Background(), orgID, audit.Filter{}, paging.Request{Limit: 1})
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.env.WebhookDispatcher().Sink(context.Background(), page.Events[0]); err != nil {
		a.t.Fatal(err)
	}
	ds, err := a.store.Deliveries(context.Background(), orgID, ep.ID, paging.Request{Limit: 1})
	if err != nil || len(ds.Deliveries) != 1 {
		a.t.Fatalf("deliveries %+v, %v", ds, err)
	}
	return ds.Deliveries[0]
}

func TestWebhookRoutesOverHTTP(t *testing.T) {
	h := newAPI(t)
	h.env.Config.AllowLoopbackWebhooks = true
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}

	created := h.do(CreateWebhook, &ada, org, nil, `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["member.*","license.expired"]}`)
	if created.status != 201 || created.calls > 2 {
		t.Fatalf("create: %d (%d calls) %s", created.status, created.calls, created.body)
	}
	ep := created.json(t)
	if keys := slices.Sorted(maps.Keys(ep)); !slices.Equal(keys, []string{"createdAt", "description", "enabled", "events", "id", "secret", "url"}) {
		t.Errorf("created keys %v", keys)
	}
	secret, _ := ep["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
		t.Errorf("secret %q", secret)
	}
	id := ep["id"].(string)
	one := map[string]string{"orgId": orgID, "webhookId": id}

	listed := h.do(ListWebhooks, &ada, org, nil, "")
	if listed.status != 200 || listed.calls > 2 || strings.Contains(listed.body, secret) || strings.Contains(listed.body, "secret") {
		t.Fatalf("list: %d (%d calls) %s", listed.status, listed.calls, listed.body)
	}
	items := listed.json(t)["items"].([]any)
	if keys := slices.Sorted(maps.Keys(items[0].(map[string]any))); len(items) != 1 || !slices.Equal(keys, []string{"createdAt", "description", "enabled", "events", "id", "url"}) {
		t.Errorf("listed %v", items)
	}

	for name, c := range map[string]struct {
		route  *Route
		params map[string]string
		body   string
		want   int
	}{
		"unknown field":               {UpdateWebhook, one, `{"secret":"whsec_x"}`, 400},
		"null url":                    {UpdateWebhook, one, `{"url":null}`, 400},
		"https only":                  {UpdateWebhook, one, `{"url":"http://hooks.example.com/x"}`, 400},
		"private address":             {UpdateWebhook, one, `{"url":"https://192.168.0.10/x"}`, 400},
		"empty events":                {UpdateWebhook, one, `{"events":[]}`, 400},
		"an id never issued":          {UpdateWebhook, map[string]string{"orgId": orgID, "webhookId": "../x"}, `{"enabled":false}`, 404},
		"an unknown id":               {RotateWebhookSecret, map[string]string{"orgId": orgID, "webhookId": strings.Repeat("0", 26)}, "", 404},
		"an unknown delivery":         {RedeliverWebhook, map[string]string{"orgId": orgID, "webhookId": id, "deliveryId": strings.Repeat("0", 26)}, "", 404},
		"a delivery id never issued":  {RedeliverWebhook, map[string]string{"orgId": orgID, "webhookId": id, "deliveryId": "x"}, "", 404},
		"create without events":       {CreateWebhook, org, `{"url":"http://127.0.0.1:9/x"}`, 400},
		"create with a read-only key": {CreateWebhook, org, `{"url":"http://127.0.0.1:9/x","events":["*"],"enabled":true}`, 400},
	} {
		if got := h.do(c.route, &ada, c.params, nil, c.body); got.status != c.want {
			t.Errorf("%s: %d %s, want %d", name, got.status, got.body, c.want)
		}
	}

	// Another org's admin learns nothing of the endpoint.
	eve := h.caller("eve")
	evesOrg := h.org(eve, "Evil")
	for _, r := range []*Route{UpdateWebhook, DeleteWebhook, RotateWebhookSecret, ListWebhookDeliveries} {
		got := h.do(r, &eve, map[string]string{"orgId": evesOrg, "webhookId": id}, nil, `{"enabled":false}`)
		if got.status != 404 {
			t.Errorf("%s of another org's webhook: %d %s", r.Name, got.status, got.body)
		}
	}

	patched := h.do(UpdateWebhook, &ada, one, nil, `{"description":"SIEM (prod)","enabled":false}`)
	if patched.status != 200 || patched.calls > 2 || patched.json(t)["enabled"] != false || patched.json(t)["description"] != "SIEM (prod)" {
		t.Errorf("patch: %d (%d calls) %s", patched.status, patched.calls, patched.body)
	}
	rotated := h.do(RotateWebhookSecret, &ada, one, nil, "")
	if s, _ := rotated.json(t)["secret"].(string); rotated.status != 200 || !strings.HasPrefix(s, "whsec_") || s == secret {
		t.Errorf("rotate: %d %s", rotated.status, rotated.body)
	}
	deliveries := h.do(ListWebhookDeliveries, &ada, one, map[string]string{"limit": "10"}, "")
	if deliveries.status != 200 || deliveries.calls > 2 || deliveries.body != `{"items":[]}` {
		t.Errorf("deliveries: %d (%d calls) %s", deliveries.status, deliveries.calls, deliveries.body)
	}
	if got := h.do(DeleteWebhook, &ada, one, nil, ""); got.status != 204 || got.calls > 2 {
		t.Errorf("delete: %d (%d calls) %s", got.status, got.calls, got.body)
	}
	if got := h.do(DeleteWebhook, &ada, one, nil, ""); got.status != 404 {
		t.Errorf("delete again: %d", got.status)
	}
	// Every event of the log says nothing of the secrets.
	page, _ := h.env.EventLog().List(context.Background(), orgID, audit.Filter{}, paging.Request{Limit: 50})
	for _, e := range page.Events {
		if s := fmt.Sprint(e); strings.Contains(s, strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("event %s carries the secret", e.Action)
		}
	}
}

func TestDeliveriesPageNewestFirstWithCursorsBoundToTheEndpoint(t *testing.T) {
	h := newAPI(t)
	ada := h.caller("ada")
	orgID, ep := h.webhook(ada)
	for range 3 {
		h.delivery(orgID, ep)
		// A new event for the next delivery: rename the org.
		a, _ := h.env.Orgs().Authorize(context.Background(), ada, orgID)
		name := "Acme " + h.env.NewID()[20:]
		if _, err := h.env.Orgs().UpdateSettings(context.Background(), ada, a, orgs.SettingsInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	one := map[string]string{"orgId": orgID, "webhookId": ep.ID}
	first := h.do(ListWebhookDeliveries, &ada, one, map[string]string{"limit": "2"}, "")
	body := first.json(t)
	items := body["items"].([]any)
	cursor, _ := body["nextCursor"].(string)
	if first.status != 200 || len(items) != 2 || cursor == "" {
		t.Fatalf("first page %d %s", first.status, first.body)
	}
	d0 := items[0].(map[string]any)
	if keys := slices.Sorted(maps.Keys(d0)); !slices.Equal(keys, []string{"attempts", "eventId", "id", "lastAttemptAt", "lastStatusCode", "nextAttemptAt", "status", "type"}) {
		t.Errorf("delivery keys %v", keys)
	}
	if d0["id"].(string) < items[1].(map[string]any)["id"].(string) || d0["status"] != "pending" || d0["lastStatusCode"] != nil {
		t.Errorf("not newest first, or wrong fields: %v", items)
	}
	next := h.do(ListWebhookDeliveries, &ada, one, map[string]string{"limit": "2", "cursor": cursor}, "")
	if n := len(next.json(t)["items"].([]any)); next.status != 200 || n != 1 {
		t.Errorf("second page %d %s", next.status, next.body)
	}
	// The cursor is this endpoint's.
	other, _, err := h.env.Webhooks().Create(context.Background(), func() orgs.Access {
		a, _ := h.env.Orgs().Authorize(context.Background(), ada, orgID)
		return a
	}(), webhooks.Input{URL: "http://127.0.0.1:9/other", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.do(ListWebhookDeliveries, &ada, map[string]string{"orgId": orgID, "webhookId": other.ID}, map[string]string{"cursor": cursor}, ""); got.status != 400 {
		t.Errorf("another endpoint's cursor: %d %s", got.status, got.body)
	}
	// A delivery waiting behind the head can't jump the queue; the head can be redelivered.
	ds, _ := h.store.Deliveries(context.Background(), orgID, ep.ID, paging.Request{Limit: 10})
	newest, oldest := ds.Deliveries[0], ds.Deliveries[len(ds.Deliveries)-1]
	if got := h.do(RedeliverWebhook, &ada, map[string]string{"orgId": orgID, "webhookId": ep.ID, "deliveryId": newest.ID}, nil, ""); got.status != 409 {
		t.Errorf("redeliver a waiting delivery: %d %s", got.status, got.body)
	}
	if got := h.do(RedeliverWebhook, &ada, map[string]string{"orgId": orgID, "webhookId": ep.ID, "deliveryId": oldest.ID}, nil, ""); got.status != 202 || got.calls > 2 {
		t.Errorf("redeliver the head: %d (%d calls) %s", got.status, got.calls, got.body)
	}
}

func TestARepeatedWebhookCreationWithOneKeyAnswersTheFirstEndpoint(t *testing.T) {
	h := newAPI(t)
	h.env.Config.AllowLoopbackWebhooks = true
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	call := func(body string) (int, map[string]any) {
		ev := h.request(CreateWebhook, &ada, map[string]string{"orgId": orgID}, nil, body)
		if ev.Headers == nil {
			ev.Headers = map[string]string{}
		}
		ev.Headers["idempotency-key"] = "k-1"
		resp := h.call(CreateWebhook, ev)
		r := reply{status: resp.StatusCode, body: resp.Body}
		return resp.StatusCode, r.json(t)
	}
	body := `{"url":"http://127.0.0.1:9/hook","events":["*"]}`
	s1, first := call(body)
	s2, again := call(body)
	if s1 != 201 || s2 != 201 || again["id"] != first["id"] || again["secret"] != first["secret"] {
		t.Fatalf("first %d %v, again %d %v", s1, first, s2, again)
	}
	if s, _ := call(`{"url":"http://127.0.0.1:9/other","events":["*"]}`); s != 409 {
		t.Errorf("the key with another body: %d", s)
	}
	eps, _ := h.env.Webhooks().List(context.Background(), func() orgs.Access {
		a, _ := h.env.Orgs().Authorize(context.Background(), ada, orgID)
		return a
	}())
	if len(eps) != 1 {
		t.Errorf("%d endpoints", len(eps))
	}
}

// Even in local mode (ALLOW_LOOPBACK_WEBHOOKS on) the only loopback URLs a route accepts are
// the contract's development forms, http with an explicit port; https://localhost/ and the
// other loopback spellings are refused like any private address (400).
func TestLocalModeAcceptsOnlyExplicitPortHTTPLoopbackWebhooks(t *testing.T) {
	a := newAPI(t)
	a.env.Config.AllowLoopbackWebhooks = true
	ada := person("ada")
	org := map[string]string{"orgId": a.org(ada, "Acme")}
	for _, u := range []string{"https://localhost/", "https://localhost:8443/hook", "http://localhost/", "http://127.0.0.1/hook", "https://127.0.0.1/", "http://[::1]:8080/"} {
		if r := a.do(CreateWebhook, &ada, org, nil, `{"url":"`+u+`","events":["*"]}`); r.status != 400 {
			t.Errorf("%s: %d %s; want 400", u, r.status, r.body)
		}
	}
	for _, u := range []string{"http://localhost:8080/hook", "http://127.0.0.1:9/hook"} {
		if r := a.do(CreateWebhook, &ada, org, nil, `{"url":"`+u+`","events":["*"]}`); r.status != 201 {
			t.Errorf("%s: %d %s; want 201", u, r.status, r.body)
		}
	}
}
