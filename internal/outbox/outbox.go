// Package outbox is the work that follows a change: emails, webhook deliveries, import rows and
// identity-provider calls. A domain package that must have something done because of a change
// puts Messages into the change's own transaction (its store write takes them alongside the
// change and the event); the table's stream hands each new message to the stream processor,
// which runs the Handler registered for its Kind and marks the message done with a conditional
// write, so that a redelivered stream record does nothing twice. What fails is retried by the
// processor and, once it gives up or the message falls due again, by the scheduled job.
//
// So a crash between "written" and "sent" loses nothing, and nothing is sent twice after it
// was recorded as sent.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
)

// Kind names the work a message asks for; each kind has one Handler.
type Kind string

// Message is one piece of follow-up work.
type Message struct {
	// ID is unique (a ULID from the service's id generator).
	ID string
	// OrgID is the org the work is for; "" when none (an account's own email).
	OrgID string
	Kind  Kind
	// Body is the kind's payload as JSON. It never carries a usable secret in plain text:
	// a kind whose email holds a link mints the link's token when it sends (storing only the
	// token's hash), and a body that must carry a secret (a password an admin specified)
	// holds it sealed (NewSealed, OpenSealed), so that a copy of the table reveals nothing.
	Body []byte
	// NotBefore, when set, holds the work back until then (a retry's backoff, a scheduled
	// delivery): the scheduled job picks it up when it falls due.
	NotBefore time.Time
	// Attempts counts the tries so far; the processor sets it.
	Attempts int
	// Status and LeaseUntil are where the message stands, as read; the store's conditional
	// writes compare them, so that a message is done once whoever else reads it meanwhile.
	Status     Status
	LeaseUntil time.Time
	// LastError says why the last attempt failed (no secret: an error's text).
	LastError string
}

// Status is where a message stands.
type Status string

// The statuses of a message.
const (
	// StatusPending: to be done, from NotBefore on (at once when unset).
	StatusPending Status = "pending"
	// StatusRunning: claimed for an attempt until LeaseUntil; when the lease lapses without
	// an outcome (a crash), the message is due again.
	StatusRunning Status = "running"
	// StatusDone: done; TTL removes it after a while.
	StatusDone Status = "done"
	// StatusFailed: given up (a permanent error, or too many attempts); kept for a while
	// for inspection, then removed by TTL.
	StatusFailed Status = "failed"
)

// New returns a message of kind k for orgID carrying body encoded as JSON.
func New(id, orgID string, k Kind, body any) (Message, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Message{}, fmt.Errorf("outbox %s: encode body: %w", k, err)
	}
	return Message{ID: id, OrgID: orgID, Kind: k, Body: b}, nil
}

// Decode reads the message's body into v.
func (m Message) Decode(v any) error {
	if err := json.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("outbox %s %s: decode body: %w", m.Kind, m.ID, err)
	}
	return nil
}

// Handler does one message's work. It may run more than once for one message (a crash after
// the work but before the message was marked done), so it must tolerate that: check the
// state it changes, or accept an at-least-once effect such as an email sent twice after a crash.
// A returned error is retried later; a Permanent error is not.
type Handler func(ctx context.Context, m Message) error

// Handlers maps each kind to its handler. The stream processor and the scheduled job are
// built with the same map.
type Handlers map[Kind]Handler

// PermanentError marks a failure that retrying cannot mend (a malformed body, an address SES
// rejects for good): the message is given up at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// KindEmail is a plain email: the body is an Email.
const KindEmail Kind = "email"

// Email is the body of a KindEmail message: the rendered message and what it is for.
type Email struct {
	Message mail.Message `json:"message"`
	// Purpose names the email in logs and in email.failed events ("invite", "email-change",
	// "license-expiry", ...); never the message's content.
	Purpose string `json:"purpose"`
	// Notify and Ref are reserved for a kind to be told how the send went (SendEmail does
	// not act on them yet). An email whose outcome must be recorded somewhere is a kind of
	// its own instead, as the invite's is (invites.KindEmail records the delivery status).
	Notify Kind `json:"notify,omitempty"`
	// Ref is what Notify's handler would need to find what the email was for.
	Ref map[string]string `json:"ref,omitempty"`
}

// NewEmail returns a KindEmail message for orgID.
func NewEmail(id, orgID string, e Email) (Message, error) {
	return New(id, orgID, KindEmail, e)
}

// SendEmail is the handler of KindEmail: it sends the rendered message with s. The email
// carries nothing secret (a notice): links with tokens are kinds of their own, whose
// handlers mint the token when they send.
func SendEmail(s mail.Sender) Handler {
	return func(ctx context.Context, m Message) error {
		var e Email
		if err := m.Decode(&e); err != nil {
			return Permanent(err)
		}
		return s.Send(ctx, e.Message)
	}
}
