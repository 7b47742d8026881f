// Package webhooks delivers an org's events to the customer's own endpoints, as the Standard
// Webhooks specification says: endpoints with their filters and signing secrets (Service, the
// API's use cases), the fan-out of each new event of the log into one delivery per matching
// endpoint (Dispatcher.Sink, run by the stream processor), and the attempts with their
// retries (Dispatcher.Deliver, an outbox handler).
//
// Deliveries to one endpoint go out in the order of the events: each endpoint has a chain,
// whose head is the one delivery being attempted (with its retries); the others wait, and
// when the head ends (succeeded or failed) the next one becomes the head. See Store.FanOut
// and Store.RecordAttempt for how the chain stays consistent under concurrent writes.
package webhooks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
)

// MaxEndpoints bounds an org's endpoints.
const MaxEndpoints = 10

// MaxFilters bounds an endpoint's event filters.
const MaxFilters = 50

// RotationOverlap is how long a rotated-out secret still signs deliveries.
const RotationOverlap = 24 * time.Hour

// KindDelivery is the outbox kind of a delivery attempt.
const KindDelivery outbox.Kind = "webhook.delivery"

// EndpointRead asks the authorization step to read the org's endpoint ID with it, and with
// DeliveryID that delivery of it (orgs.Read): the routes under /webhooks/{webhookId}. Its
// result is a Subject (EndpointOf, DeliveryOf).
type EndpointRead struct{ ID, DeliveryID string }

// Endpoint is one of an org's webhook endpoints.
type Endpoint struct {
	ID          string
	OrgID       string
	URL         string
	Description string
	// Events are the filters: actions ("license.expired"), "<prefix>.*" or "*".
	Events    []string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// SealedSecret is the current secret, sealed with the webhook key; SealedPrevious the
	// one it replaced, which signs too until PreviousUntil.
	SealedSecret   string
	SealedPrevious string
	PreviousUntil  time.Time
	// Head and Last are the delivery chain's state, which only the store's fan-out and
	// attempt records change: the event id of the delivery being attempted ("" when none is
	// pending), and of the newest delivery fanned out.
	Head, Last string
}

// Matches reports whether the endpoint takes events with action.
func (e Endpoint) Matches(action string) bool {
	for _, f := range e.Events {
		if f == "*" || f == action || (strings.HasSuffix(f, ".*") && strings.HasPrefix(action, strings.TrimSuffix(f, "*"))) {
			return true
		}
	}
	return false
}

// Status is a delivery's state.
type Status string

// The statuses of a delivery.
const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// Delivery is one event sent, or to be sent, to one endpoint. Its id is the event's: an
// endpoint gets each event at most once (a repeated fan-out finds it there), and its
// deliveries sort as the events do.
type Delivery struct {
	ID         string
	OrgID      string
	WebhookID  string
	EventID    string
	Type       string
	Status     Status
	Attempts   int
	LastStatus int
	// LastError says why the last attempt got no answer, in words safe to show (no URL).
	LastError     string
	LastAttemptAt time.Time
	NextAttemptAt time.Time
	CreatedAt     time.Time
}

// DeliveryPage is one page of an endpoint's deliveries, newest first.
type DeliveryPage struct {
	Deliveries []Delivery
	Next       string
}

// Backoff is the wait before each retry: after the first attempt fails, the second comes
// about 5 s later, and so on; after the last retry fails the delivery is failed.
var Backoff = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// MaxAttempts is the first attempt and every retry.
var MaxAttempts = 1 + len(Backoff)

// EndpointOf returns the endpoint the authorization step read for the route's {webhookId};
// NotFound when the org has none with that id.
func EndpointOf(a orgs.Access) (Endpoint, error) {
	if _, sub, _ := orgs.ResultOf[EndpointRead, Subject](a); sub.Endpoint.ID != "" && sub.Endpoint.OrgID == a.Org.ID {
		return sub.Endpoint, nil
	}
	return Endpoint{}, apperr.New(apperr.NotFound, "webhook not found")
}

// validAction reports whether f is an event action, ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$
// ("member.added"), and validPrefix whether it is a prefix pattern,
// ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$ ("member.*"). They are written out rather than
// package-level regexps, which every function importing this package would compile at its
// cold start.
func validAction(f string) bool {
	return strings.Contains(f, ".") && validSegments(f)
}

func validPrefix(f string) bool {
	rest, ok := strings.CutSuffix(f, ".*")
	return ok && validSegments(rest)
}

// validSegments reports whether s is one or more dot-separated [a-z][a-z0-9_]* segments.
func validSegments(s string) bool {
	for seg := range strings.SplitSeq(s, ".") {
		if seg == "" || seg[0] < 'a' || seg[0] > 'z' {
			return false
		}
		for i := 1; i < len(seg); i++ {
			if c := seg[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

// validEvents checks and normalises filters: sorted, without duplicates, "*" alone.
func validEvents(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, apperr.New(apperr.Invalid, `events must list at least one action, "<prefix>.*" pattern or "*"`)
	}
	if len(in) > MaxFilters {
		return nil, apperr.New(apperr.Invalid, "events may list at most %d filters; you sent %d", MaxFilters, len(in))
	}
	out := make([]string, 0, len(in))
	for i, f := range in {
		f = strings.TrimSpace(f)
		if f != "*" && !validAction(f) && !validPrefix(f) {
			return nil, apperr.New(apperr.Invalid, `events[%d] must be an action such as "member.added", a pattern such as "member.*", or "*"`, i)
		}
		if f == "*" {
			return []string{"*"}, nil
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Redacted is a URL as the event log shows it: scheme, host and port, and "/…" when there is
// more. Some receivers' URLs carry a token in their path or query (chat services' incoming
// hooks do): the log, readable by roles that may not see the endpoints, keeps only the host.
func Redacted(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "…"
	}
	host, more, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	host, _, _ = strings.Cut(host, "#")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	out := scheme + "://" + host
	if more != "" || len(rest) > len(host) {
		out += "/…"
	}
	return out
}

func describeEndpoint(e Endpoint) string {
	return fmt.Sprintf("%s (%s)", Redacted(e.URL), strings.Join(e.Events, ", "))
}
