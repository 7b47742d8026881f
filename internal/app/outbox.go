package app

import (
	"context"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
)

// outboxHandlers are the handlers of every outbox kind: the stream processor and the
// scheduled job are built with the same map. A capability that adds a kind adds its line
// here. They need the mail sender: the functions that run them install SES.
func outboxHandlers(e *Env) outbox.Handlers {
	return outbox.Handlers{
		outbox.KindEmail:         outbox.SendEmail(e.Mail()),
		orgs.KindInviteEmail:     e.InvitesSending().SendInviteEmail,
		orgs.KindEmailChangeLink: e.SelfServiceSending().SendEmailChangeLink,
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
}

// Outbox returns the processor of outbox messages, with every kind's handler.
func (e *Env) Outbox() *outbox.Processor {
	return once(e, "outbox", func() *outbox.Processor {
		return &outbox.Processor{Store: e.Store(), Handlers: outboxHandlers(e), Now: e.Now, Log: e.Log}
	})
}

// EventSink returns the receiver of new events from the table's stream that was installed
// with UseEventSink, or nil: the stream processor then just skips events. The webhooks'
// fan-out installs itself here (see dynamo.EventSink for what it must tolerate).
func (e *Env) EventSink() dynamo.EventSink {
	return once(e, "event-sink", func() dynamo.EventSink { return nil })
}

// UseEventSink makes the stream processor hand each new event to sink. Call it before the
// stream processor's handler is built.
func (e *Env) UseEventSink(sink dynamo.EventSink) { preset(e, "event-sink", sink) }
