package triggers

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/app"
)

// The webhook delivery function's event source mapping (triggers.KindQueue), which the stack
// defines and local mode imitates (package queuefeed) with the same numbers.
const (
	// DeliveryBatchSize is one job per invocation: an attempt takes up to 15 s (an endpoint
	// that never answers), and a FIFO queue's mapping scales out by message group, so each
	// endpoint's job runs in an invocation of its own.
	DeliveryBatchSize = 1
	// DeliveryTimeoutSeconds bounds one invocation: one attempt (15 s) and its records.
	DeliveryTimeoutSeconds = 30
	// DeliveryVisibilitySeconds is the queue's visibility timeout, longer than an invocation
	// as Lambda requires: a job whose invocation died comes back after it.
	DeliveryVisibilitySeconds = 60
	// DeliveryMaxReceives is how often a job may be received before it goes to the
	// dead-letter queue: a retry not due yet is received twice (hidden, then attempted).
	DeliveryMaxReceives = 10
)

// Deferred is an error a QueueWork returns for a message whose time has not come: the
// handler keeps the message hidden until Until, which holds back its group (and no other)
// until then (webhooks.NotDue).
type Deferred interface {
	error
	Until() time.Time
}

// QueueWork does one queue message's work. nil: done, the message is deleted; a Deferred:
// hidden until its time; any other error: the message comes back after the queue's
// visibility timeout.
type QueueWork func(ctx context.Context, body []byte) error

// messageHider keeps a received message hidden for a while (sqs.Queue.Hide).
type messageHider interface {
	Hide(ctx context.Context, receiptHandle string, d time.Duration) error
}

// QueueHandler is the Lambda handler of a FIFO queue's event source mapping that reports
// batch item failures: the messages of one group in order, the groups of a batch side by
// side, so that one group's slow work (an endpoint that never answers) holds back no other
// group. Within a group, the first message not done and every later one are reported
// failed, so they come back in order; a deferred one is first hidden until its time (at
// most the 12 hours SQS allows: the work defers it again if that is still early).
func QueueHandler(q messageHider, work QueueWork, now func() time.Time, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var order []string
		groups := map[string][]events.SQSMessage{}
		for _, m := range ev.Records {
			g := m.Attributes["MessageGroupId"]
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], m)
		}
		var mu sync.Mutex
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		var wg sync.WaitGroup
		for _, g := range order {
			wg.Go(func() {
				failed := runGroup(ctx, q, work, now, log, groups[g])
				mu.Lock()
				defer mu.Unlock()
				for _, m := range failed {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				}
			})
		}
		wg.Wait()
		return resp, nil
	}
}

// runGroup works through one group's messages in order and returns those to report failed.
func runGroup(ctx context.Context, q messageHider, work QueueWork, now func() time.Time, log *slog.Logger, msgs []events.SQSMessage) []events.SQSMessage {
	for i, m := range msgs {
		err := work(ctx, []byte(m.Body))
		if err == nil {
			continue
		}
		var later Deferred
		if errors.As(err, &later) {
			if herr := q.Hide(ctx, m.ReceiptHandle, later.Until().Sub(now())); herr != nil {
				log.WarnContext(ctx, "queue message not hidden: it comes back after the visibility timeout", "messageId", m.MessageId, "error", herr)
			}
		} else {
			log.WarnContext(ctx, "queue message failed: it comes back after the visibility timeout", "messageId", m.MessageId, "error", err)
		}
		return msgs[i:]
	}
	return nil
}

// DeliveryHandler is the webhook delivery function's handler for env: the same in Lambda and
// in local mode (package queuefeed feeds it there).
func DeliveryHandler(env *app.Env) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return QueueHandler(env.WebhookQueue(), env.WebhookDispatcher().Work, env.Now, env.Log)
}

func buildWebhookDelivery(env *app.Env) any { return DeliveryHandler(env) }
