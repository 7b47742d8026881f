package app

import (
	"context"
	"errors"
	"time"

	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/webhooks"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
)

// webhookSlots are the webhooks' client, key and services, and the queue of delivery jobs
// (sqs.Install).
type webhookSlots struct {
	client     slot[*safehttp.Client]
	key        slot[seal.Key]
	service    slot[*webhooks.Service]
	dispatcher slot[*webhooks.Dispatcher]
	queue      slot[JobQueue]
}

// WebhookClient returns the SSRF-safe client that checks webhook URLs and posts deliveries.
func (e *Env) WebhookClient() *safehttp.Client {
	return get(&e.webhooks.client, func() *safehttp.Client {
		return &safehttp.Client{AllowLoopback: e.Config.AllowLoopbackWebhooks}
	})
}

// webhookKey seals and opens the endpoints' signing secrets: they must be stored so that the
// processor can sign, and a copy of the table alone must not reveal them.
func (e *Env) webhookKey() seal.Key {
	return get(&e.webhooks.key, func() seal.Key { return seal.Derive(e.Key(KeyWebhooks), "webhook") })
}

// Webhooks returns the webhook endpoints service (the API's routes; they use the secret).
func (e *Env) Webhooks() *webhooks.Service {
	return get(&e.webhooks.service, func() *webhooks.Service {
		return &webhooks.Service{Store: e.WebhooksStore(), URLs: e.WebhookClient(), Key: e.webhookKey(), Now: e.Now, NewID: e.NewID}
	})
}

// WebhookDispatcher returns the fan-out and delivery of webhooks: the stream processor's
// event sink, the outbox handler that queues delivery jobs, and the delivery function's
// work (they use the secret). The queue is asked for when a job is queued: a function that
// queues them installs it (sqs.Install).
func (e *Env) WebhookDispatcher() *webhooks.Dispatcher {
	return get(&e.webhooks.dispatcher, func() *webhooks.Dispatcher {
		return &webhooks.Dispatcher{Store: e.WebhooksStore(), Client: e.WebhookClient(), Queue: installedQueue{e}, Key: e.webhookKey(), Now: e.Now, NewID: e.NewID, Log: e.Log}
	})
}

// WebhookQueue returns the queue of webhook delivery jobs installed with UseWebhookQueue
// (SQS: sqs.Install).
func (e *Env) WebhookQueue() JobQueue {
	return get(&e.webhooks.queue, func() JobQueue {
		panic("app: no webhook queue installed: a function that queues webhook deliveries needs the sqs:SendMessage action, for which its generated main calls sqs.Install")
	})
}

// UseWebhookQueue makes e queue webhook delivery jobs in q: SQS (sqs.Install), or in local
// mode and tests the same client pointed at the stand-in. Call it before a job is queued.
func (e *Env) UseWebhookQueue(q JobQueue) { set(&e.webhooks.queue, q) }

// installedQueue is the Env's webhook queue, looked up when a job is sent.
type installedQueue struct{ e *Env }

// Send sends with the installed queue; without one it fails (the outbox tries the job again
// later) rather than panicking: tests that run the stream processor without a queue.
func (q installedQueue) Send(ctx context.Context, group, dedupID string, body []byte) error {
	jq, installed := peek(&q.e.webhooks.queue)
	if !installed || jq == nil {
		return errors.New("app: no webhook queue installed (sqs.Install): the job waits in the outbox")
	}
	return jq.Send(ctx, group, dedupID, body)
}

// JobQueue is the webhook queue as the functions use it: jobs are sent to it (by the stream
// processor and the scheduled job), and the delivery function hides a received job that is
// not due yet until its time (sqs.Queue).
type JobQueue interface {
	webhooks.Queue
	Hide(ctx context.Context, receiptHandle string, d time.Duration) error
}
