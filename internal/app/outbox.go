package app

import (
	"context"
	"maps"

	"github.com/vendorportal/orgs/internal/account"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/webhooks"
)

// outboxHandlers are the handlers of every outbox kind: the stream processor and the
// scheduled job are built with the same map. A capability that adds a kind adds its line
// here. They need the mail sender: the functions that run them install SES.
func outboxHandlers(e *Env) outbox.Handlers {
	h := outbox.Handlers{
		outbox.KindEmail:            outbox.SendEmail(e.Mail()),
		invites.KindEmail:           e.InvitesSending().SendInviteEmail,
		account.KindEmailChangeLink: e.SelfServiceSending().SendEmailChangeLink,
		webhooks.KindDelivery:       e.WebhookDispatcher().Enqueue,
		// Provisioning's: sealed emails (credentials, domain codes) and import chunks, which
		// create users in the directory (the functions that run them install Cognito).
		// Built on first use: only then do they need the directory and the secret.
		provisioning.KindSealedEmail: func(ctx context.Context, m outbox.Message) error {
			return e.ProvisioningHandlers()[provisioning.KindSealedEmail](ctx, m)
		},
		provisioning.KindImportChunk: func(ctx context.Context, m outbox.Message) error {
			return e.ProvisioningHandlers()[provisioning.KindImportChunk](ctx, m)
		},
	}
	maps.Copy(h, e.TokenOutboxHandlers())
	return h
}

// outboxSlots are the outbox's processor and the stream's event sink.
type outboxSlots struct {
	processor slot[*outbox.Processor]
	eventSink slot[dynamo.EventSink]
}

// Outbox returns the processor of outbox messages, with every kind's handler.
func (e *Env) Outbox() *outbox.Processor {
	return get(&e.outbox.processor, func() *outbox.Processor {
		return &outbox.Processor{Store: e.OutboxStore(), Handlers: outboxHandlers(e), Now: e.Now, Log: e.Log}
	})
}

// EventSink returns the receiver of new events from the table's stream: the webhooks'
// fan-out (see dynamo.EventSink for what it must tolerate), unless another was installed
// with UseEventSink.
func (e *Env) EventSink() dynamo.EventSink {
	return get(&e.outbox.eventSink, func() dynamo.EventSink { return e.WebhookDispatcher().Sink })
}

// UseEventSink makes the stream processor hand each new event to sink. Call it before the
// stream processor's handler is built.
func (e *Env) UseEventSink(sink dynamo.EventSink) { set(&e.outbox.eventSink, sink) }
