package webhooksapi_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/webhooksapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/webhooks"
)

func TestWebhookRoutesOverHTTP(t *testing.T) {
	h := apitest.NewAPI(t)
	h.Env.Config.AllowLoopbackWebhooks = true
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}

	created := h.Do(webhooksapi.CreateWebhook, &ada, org, nil, `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["member.*","license.expired"]}`)
	if created.Status != 201 || created.Calls > 2 {
		t.Fatalf("create: %d (%d calls) %s", created.Status, created.Calls, created.Body)
	}
	ep := created.JSON(t)
	if keys := slices.Sorted(maps.Keys(ep)); !slices.Equal(keys, []string{"createdAt", "description", "enabled", "events", "id", "secret", "url"}) {
		t.Errorf("created keys %v", keys)
	}
	secret, _ := ep["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+44 {
		t.Errorf("secret %q", secret)
	}
	id := ep["id"].(string)
	one := map[string]string{"orgId": orgID, "webhookId": id}

	listed := h.Do(webhooksapi.ListWebhooks, &ada, org, nil, "")
	if listed.Status != 200 || listed.Calls > 2 || strings.Contains(listed.Body, secret) || strings.Contains(listed.Body, "secret") {
		t.Fatalf("list: %d (%d calls) %s", listed.Status, listed.Calls, listed.Body)
	}
	items := listed.JSON(t)["items"].([]any)
	if keys := slices.Sorted(maps.Keys(items[0].(map[string]any))); len(items) != 1 || !slices.Equal(keys, []string{"createdAt", "description", "enabled", "events", "id", "url"}) {
		t.Errorf("listed %v", items)
	}

	for name, c := range map[string]struct {
		route  *httpapi.Route
		params map[string]string
		body   string
		want   int
	}{
		"unknown field":               {webhooksapi.UpdateWebhook, one, `{"secret":"whsec_x"}`, 400},
		"null url":                    {webhooksapi.UpdateWebhook, one, `{"url":null}`, 400},
		"https only":                  {webhooksapi.UpdateWebhook, one, `{"url":"http://hooks.example.com/x"}`, 400},
		"private address":             {webhooksapi.UpdateWebhook, one, `{"url":"https://192.168.0.10/x"}`, 400},
		"empty events":                {webhooksapi.UpdateWebhook, one, `{"events":[]}`, 400},
		"an id never issued":          {webhooksapi.UpdateWebhook, map[string]string{"orgId": orgID, "webhookId": "../x"}, `{"enabled":false}`, 404},
		"an unknown id":               {webhooksapi.RotateWebhookSecret, map[string]string{"orgId": orgID, "webhookId": strings.Repeat("0", 26)}, "", 404},
		"an unknown delivery":         {webhooksapi.RedeliverWebhook, map[string]string{"orgId": orgID, "webhookId": id, "deliveryId": strings.Repeat("0", 26)}, "", 404},
		"a delivery id never issued":  {webhooksapi.RedeliverWebhook, map[string]string{"orgId": orgID, "webhookId": id, "deliveryId": "x"}, "", 404},
		"create without events":       {webhooksapi.CreateWebhook, org, `{"url":"http://127.0.0.1:9/x"}`, 400},
		"create with a read-only key": {webhooksapi.CreateWebhook, org, `{"url":"http://127.0.0.1:9/x","events":["*"],"enabled":true}`, 400},
	} {
		if got := h.Do(c.route, &ada, c.params, nil, c.body); got.Status != c.want {
			t.Errorf("%s: %d %s, want %d", name, got.Status, got.Body, c.want)
		}
	}

	// Another org's admin learns nothing of the endpoint.
	eve := h.Caller("eve")
	evesOrg := h.Org(eve, "Evil")
	for _, r := range []*httpapi.Route{webhooksapi.UpdateWebhook, webhooksapi.DeleteWebhook, webhooksapi.RotateWebhookSecret, webhooksapi.ListWebhookDeliveries} {
		got := h.Do(r, &eve, map[string]string{"orgId": evesOrg, "webhookId": id}, nil, `{"enabled":false}`)
		if got.Status != 404 {
			t.Errorf("%s of another org's webhook: %d %s", r.Name, got.Status, got.Body)
		}
	}

	patched := h.Do(webhooksapi.UpdateWebhook, &ada, one, nil, `{"description":"SIEM (prod)","enabled":false}`)
	if patched.Status != 200 || patched.Calls > 2 || patched.JSON(t)["enabled"] != false || patched.JSON(t)["description"] != "SIEM (prod)" {
		t.Errorf("patch: %d (%d calls) %s", patched.Status, patched.Calls, patched.Body)
	}
	rotated := h.Do(webhooksapi.RotateWebhookSecret, &ada, one, nil, "")
	if s, _ := rotated.JSON(t)["secret"].(string); rotated.Status != 200 || !strings.HasPrefix(s, "whsec_") || s == secret {
		t.Errorf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	deliveries := h.Do(webhooksapi.ListWebhookDeliveries, &ada, one, map[string]string{"limit": "10"}, "")
	if deliveries.Status != 200 || deliveries.Calls > 2 || deliveries.Body != `{"items":[]}` {
		t.Errorf("deliveries: %d (%d calls) %s", deliveries.Status, deliveries.Calls, deliveries.Body)
	}
	if got := h.Do(webhooksapi.DeleteWebhook, &ada, one, nil, ""); got.Status != 204 || got.Calls > 2 {
		t.Errorf("delete: %d (%d calls) %s", got.Status, got.Calls, got.Body)
	}
	if got := h.Do(webhooksapi.DeleteWebhook, &ada, one, nil, ""); got.Status != 404 {
		t.Errorf("delete again: %d", got.Status)
	}
	// Every event of the log says nothing of the secrets.
	page, _ := h.Env.EventLog().List(context.Background(), orgID, audit.Filter{}, paging.Request{Limit: 50})
	for _, e := range page.Events {
		if s := fmt.Sprint(e); strings.Contains(s, strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("event %s carries the secret", e.Action)
		}
	}
}

func TestDeliveriesPageNewestFirstWithCursorsBoundToTheEndpoint(t *testing.T) {
	h := apitest.NewAPI(t)
	ada := h.Caller("ada")
	orgID, ep := h.Webhook(ada)
	for range 3 {
		h.Delivery(orgID, ep)
		// A new event for the next delivery: rename the org.
		a, _ := h.Env.Orgs().Authorize(context.Background(), ada, orgID)
		name := "Acme " + h.Env.NewID()[20:]
		if _, err := h.Env.Orgs().UpdateSettings(context.Background(), ada, a, orgs.SettingsInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	one := map[string]string{"orgId": orgID, "webhookId": ep.ID}
	first := h.Do(webhooksapi.ListWebhookDeliveries, &ada, one, map[string]string{"limit": "2"}, "")
	body := first.JSON(t)
	items := body["items"].([]any)
	cursor, _ := body["nextCursor"].(string)
	if first.Status != 200 || len(items) != 2 || cursor == "" {
		t.Fatalf("first page %d %s", first.Status, first.Body)
	}
	d0 := items[0].(map[string]any)
	if keys := slices.Sorted(maps.Keys(d0)); !slices.Equal(keys, []string{"attempts", "eventId", "id", "lastAttemptAt", "lastStatusCode", "nextAttemptAt", "status", "type"}) {
		t.Errorf("delivery keys %v", keys)
	}
	if d0["id"].(string) < items[1].(map[string]any)["id"].(string) || d0["status"] != "pending" || d0["lastStatusCode"] != nil {
		t.Errorf("not newest first, or wrong fields: %v", items)
	}
	next := h.Do(webhooksapi.ListWebhookDeliveries, &ada, one, map[string]string{"limit": "2", "cursor": cursor}, "")
	if n := len(next.JSON(t)["items"].([]any)); next.Status != 200 || n != 1 {
		t.Errorf("second page %d %s", next.Status, next.Body)
	}
	// The cursor is this endpoint's.
	other, _, err := h.Env.Webhooks().Create(context.Background(), func() orgs.Access {
		a, _ := h.Env.Orgs().Authorize(context.Background(), ada, orgID)
		return a
	}(), webhooks.Input{URL: "http://127.0.0.1:9/other", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Do(webhooksapi.ListWebhookDeliveries, &ada, map[string]string{"orgId": orgID, "webhookId": other.ID}, map[string]string{"cursor": cursor}, ""); got.Status != 400 {
		t.Errorf("another endpoint's cursor: %d %s", got.Status, got.Body)
	}
	// A delivery waiting behind the head can't jump the queue; the head can be redelivered.
	ds, _ := h.Store.Deliveries(context.Background(), orgID, ep.ID, paging.Request{Limit: 10})
	newest, oldest := ds.Deliveries[0], ds.Deliveries[len(ds.Deliveries)-1]
	if got := h.Do(webhooksapi.RedeliverWebhook, &ada, map[string]string{"orgId": orgID, "webhookId": ep.ID, "deliveryId": newest.ID}, nil, ""); got.Status != 409 {
		t.Errorf("redeliver a waiting delivery: %d %s", got.Status, got.Body)
	}
	if got := h.Do(webhooksapi.RedeliverWebhook, &ada, map[string]string{"orgId": orgID, "webhookId": ep.ID, "deliveryId": oldest.ID}, nil, ""); got.Status != 202 || got.Calls > 2 {
		t.Errorf("redeliver the head: %d (%d calls) %s", got.Status, got.Calls, got.Body)
	}
}

func TestARepeatedWebhookCreationWithOneKeyAnswersTheFirstEndpoint(t *testing.T) {
	h := apitest.NewAPI(t)
	h.Env.Config.AllowLoopbackWebhooks = true
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	call := func(body string) (int, map[string]any) {
		ev := h.Request(webhooksapi.CreateWebhook, &ada, map[string]string{"orgId": orgID}, nil, body)
		if ev.Headers == nil {
			ev.Headers = map[string]string{}
		}
		ev.Headers["idempotency-key"] = "k-1"
		resp := h.Call(webhooksapi.CreateWebhook, ev)
		r := apitest.Reply{Status: resp.StatusCode, Body: resp.Body}
		return resp.StatusCode, r.JSON(t)
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
	eps, _ := h.Env.Webhooks().List(context.Background(), func() orgs.Access {
		a, _ := h.Env.Orgs().Authorize(context.Background(), ada, orgID)
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
	a := apitest.NewAPI(t)
	a.Env.Config.AllowLoopbackWebhooks = true
	ada := apitest.Person("ada")
	org := map[string]string{"orgId": a.Org(ada, "Acme")}
	for _, u := range []string{"https://localhost/", "https://localhost:8443/hook", "http://localhost/", "http://127.0.0.1/hook", "https://127.0.0.1/", "http://[::1]:8080/"} {
		if r := a.Do(webhooksapi.CreateWebhook, &ada, org, nil, `{"url":"`+u+`","events":["*"]}`); r.Status != 400 {
			t.Errorf("%s: %d %s; want 400", u, r.Status, r.Body)
		}
	}
	for _, u := range []string{"http://localhost:8080/hook", "http://127.0.0.1:9/hook"} {
		if r := a.Do(webhooksapi.CreateWebhook, &ada, org, nil, `{"url":"`+u+`","events":["*"]}`); r.Status != 201 {
			t.Errorf("%s: %d %s; want 201", u, r.Status, r.Body)
		}
	}
}
