package apitest

import (
	"context"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/webhooks"
)

// Webhook makes an org of admin's with one endpoint taking every event, on a local port
// where nothing listens.
func (a *API) Webhook(admin orgs.Caller) (string, webhooks.Endpoint) {
	a.T.Helper()
	a.Env.Config.AllowLoopbackWebhooks = true
	orgID := a.Org(admin, "Acme")
	access, err := a.Env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.T.Fatal(err)
	}
	ep, _, err := a.Env.Webhooks().Create(context.Background(), access, webhooks.Input{URL: "http://127.0.0.1:9/hook", Events: []string{"*"}})
	if err != nil {
		a.T.Fatal(err)
	}
	return orgID, ep
}

// Delivery fans the org's newest event out, as the stream processor would, and returns the
// endpoint's delivery of it.
func (a *API) Delivery(orgID string, ep webhooks.Endpoint) webhooks.Delivery {
	a.T.Helper()
	page, err := a.Env.EventLog().List(context.Background(), orgID, audit.Filter{}, paging.Request{Limit: 1})
	if err != nil {
		a.T.Fatal(err)
	}
	if err := a.Env.WebhookDispatcher().Sink(context.Background(), page.Events[0]); err != nil {
		a.T.Fatal(err)
	}
	ds, err := a.Store.Deliveries(context.Background(), orgID, ep.ID, paging.Request{Limit: 1})
	if err != nil || len(ds.Deliveries) != 1 {
		a.T.Fatalf("deliveries %+v, %v", ds, err)
	}
	return ds.Deliveries[0]
}
