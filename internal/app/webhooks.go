package app

import (
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/webhooks"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
)

// WebhookClient returns the SSRF-safe client that checks webhook URLs and posts deliveries.
func (e *Env) WebhookClient() *safehttp.Client {
	return once(e, "webhook-client", func() *safehttp.Client {
		return &safehttp.Client{AllowLoopback: e.Config.AllowLoopbackWebhooks}
	})
}

// webhookKey seals and opens the endpoints' signing secrets: they must be stored so that the
// processor can sign, and a copy of the table alone must not reveal them.
func (e *Env) webhookKey() seal.Key {
	return once(e, "webhook-key", func() seal.Key { return seal.Derive(e.Key(KeyWebhooks), "webhook") })
}

// Webhooks returns the webhook endpoints service (the API's routes; they use the secret).
func (e *Env) Webhooks() *webhooks.Service {
	return once(e, "webhooks", func() *webhooks.Service {
		return &webhooks.Service{Store: e.Store(), URLs: e.WebhookClient(), Key: e.webhookKey(), Now: e.Now, NewID: e.NewID}
	})
}

// WebhookDispatcher returns the fan-out and delivery of webhooks: the stream processor's
// event sink and the outbox handler of deliveries (they use the secret).
func (e *Env) WebhookDispatcher() *webhooks.Dispatcher {
	return once(e, "webhook-dispatcher", func() *webhooks.Dispatcher {
		return &webhooks.Dispatcher{Store: e.Store(), Client: e.WebhookClient(), Key: e.webhookKey(), Now: e.Now, NewID: e.NewID, Log: e.Log, Wait: webhooks.Sleep}
	})
}
