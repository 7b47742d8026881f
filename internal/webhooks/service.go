package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
	"github.com/vendorportal/orgs/internal/webhooks/signature"
)

// Errors a Store returns when a write's condition fails.
var (
	// ErrTooMany: the org has MaxEndpoints endpoints already.
	ErrTooMany = apperr.New(apperr.Conflict, "an organization may have at most %d webhooks; delete one first", MaxEndpoints)
	// ErrChanged: the endpoint or delivery changed since it was read.
	ErrChanged = apperr.New(apperr.Conflict, "the webhook was changed at the same moment; try again")
	// ErrChainMoved: the endpoint's delivery chain moved since it was read; read it again.
	ErrChainMoved = errors.New("webhooks: the endpoint's delivery chain moved")
	// ErrFannedOut: the event's deliveries exist already.
	ErrFannedOut = errors.New("webhooks: the event was fanned out already")
	// ErrStale: the delivery moved on since it was read (another attempt recorded first).
	ErrStale = errors.New("webhooks: the delivery changed since it was read")
)

// Store is the persistence webhooks need; package dynamo implements it.
type Store interface {
	// Endpoints returns the org's endpoints, oldest first, read consistently in one Query.
	Endpoints(ctx context.Context, orgID string) ([]Endpoint, error)
	// CreateEndpoint writes a new endpoint, counts it against MaxEndpoints (ErrTooMany) and
	// writes the event. Like every write of an endpoint it holds only while the actor is as
	// read (orgs.Acting: still an active member in that role, the org's custom roles
	// unchanged, the org live).
	CreateEndpoint(ctx context.Context, actor orgs.Acting, ep Endpoint, ev audit.Event) error
	// UpdateEndpoint writes the fields that differ between before and after, each on condition
	// that it is still as before (ErrChanged otherwise, NotFound when the endpoint is gone),
	// with the event.
	UpdateEndpoint(ctx context.Context, actor orgs.Acting, before, after Endpoint, ev audit.Event) error
	// DeleteEndpoint deletes the endpoint (NotFound when it is gone already), frees its place
	// among MaxEndpoints and writes the event. Its deliveries expire on their own.
	DeleteEndpoint(ctx context.Context, actor orgs.Acting, ep Endpoint, ev audit.Event) error
	// Deliveries returns a page of the endpoint's deliveries, newest first.
	Deliveries(ctx context.Context, orgID, webhookID string, p paging.Request) (DeliveryPage, error)
	// Redeliver writes m (an attempt of d) and the event, on condition that d's attempts and
	// status are still as read (ErrChanged) and the endpoint is still there (NotFound).
	Redeliver(ctx context.Context, d Delivery, m outbox.Message, ev audit.Event) error

	// FanOut writes one event's deliveries, each with its endpoint's chain move and message,
	// in one transaction: ErrFannedOut when a delivery exists already, ErrChainMoved when an
	// endpoint's chain is no longer as read.
	FanOut(ctx context.Context, fans []Fan) error
	// Attempt reads what one attempt needs in one round trip: the endpoint, the delivery and
	// its event; each nil when missing.
	Attempt(ctx context.Context, orgID, webhookID, eventID string) (AttemptState, error)
	// NextDelivery returns the endpoint's oldest delivery after the one with id after; nil
	// when there is none. Read consistently.
	NextDelivery(ctx context.Context, orgID, webhookID, after string) (*Delivery, error)
	// RecordAttempt writes an attempt's outcome in one transaction: ErrStale when the
	// delivery's attempts or status are no longer as read, ErrChainMoved when the endpoint's
	// chain is not.
	RecordAttempt(ctx context.Context, r Record) error
}

// Fan is one endpoint's part of an event's fan-out.
type Fan struct {
	// Endpoint as read: the chain move is conditional on its Head and Last.
	Endpoint Endpoint
	Delivery Delivery
	// NewLast and NewHead, when set, move the chain; Message, when set, is the delivery's
	// first attempt (the chain's new head, or a late event's delivery on its own).
	NewLast, NewHead string
	Message          *outbox.Message
}

// AttemptState is what an attempt reads.
type AttemptState struct {
	Endpoint *Endpoint
	Delivery *Delivery
	Event    *audit.Event
}

// Record is an attempt's outcome.
type Record struct {
	// Delivery after the attempt; SeenAttempts and SeenStatus as read before it.
	Delivery     Delivery
	SeenAttempts int
	SeenStatus   Status
	// Chain, when set, moves the endpoint's chain (and may disable the endpoint).
	Chain *ChainMove
	// Event is written when the endpoint is disabled (webhook.updated).
	Event    *audit.Event
	Messages []outbox.Message
}

// ChainMove changes an endpoint: with MoveHead, the chain's head moves to NewHead ("" when
// no delivery is pending) on condition that the head and the last delivery are still
// SeenHead and SeenLast; Disable turns the endpoint off (it answered 410 Gone).
type ChainMove struct {
	OrgID, WebhookID   string
	MoveHead           bool
	SeenHead, SeenLast string
	NewHead            string
	Disable            bool
}

// Service runs the webhook use cases of the API.
type Service struct {
	Store Store
	// URLs checks a URL when it is set (safehttp.Client).
	URLs interface {
		Check(ctx context.Context, raw string) (safehttp.Target, error)
	}
	// Key seals the endpoints' secrets (seal.Derive(secret, "webhook")).
	Key   seal.Key
	Now   func() time.Time
	NewID func() string
}

// Input is a new endpoint.
type Input struct {
	URL         string
	Description string
	Events      []string
}

// Patch is a change to an endpoint: nil fields stay.
type Patch struct {
	URL         *string
	Description *string
	Events      *[]string
	Enabled     *bool
}

// List returns the org's endpoints.
func (s *Service) List(ctx context.Context, a orgs.Access) ([]Endpoint, error) {
	return s.Store.Endpoints(ctx, a.Org.ID)
}

// Create adds an endpoint and returns it with its secret, which is shown only now.
func (s *Service) Create(ctx context.Context, a orgs.Access, in Input) (Endpoint, signature.Secret, error) {
	if err := maySendEvents(a); err != nil {
		return Endpoint{}, "", err
	}
	url, err := s.checkURL(ctx, in.URL)
	if err != nil {
		return Endpoint{}, "", err
	}
	desc, err := orgs.CleanText("description", in.Description, 500, false)
	if err != nil {
		return Endpoint{}, "", err
	}
	events, err := validEvents(in.Events)
	if err != nil {
		return Endpoint{}, "", err
	}
	now := s.Now().UTC()
	secret := signature.NewSecret()
	ep := Endpoint{
		ID: s.NewID(), OrgID: a.Org.ID, URL: url, Description: desc, Events: events, Enabled: true,
		CreatedAt: now, UpdatedAt: now, SealedSecret: s.Key.Seal([]byte(secret)),
	}
	ev := s.event(ctx, a, ep, "webhook.created", fmt.Sprintf("%s added the webhook %s", a.Member.Email, describeEndpoint(ep)),
		map[string]any{"url": Redacted(ep.URL), "events": ep.Events, "description": ep.Description})
	if err := s.Store.CreateEndpoint(ctx, a.Acting(), ep, ev); err != nil {
		return Endpoint{}, "", err
	}
	return ep, secret, nil
}

// Update changes an endpoint; a change that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, a orgs.Access, p Patch) (Endpoint, error) {
	if err := maySendEvents(a); err != nil {
		return Endpoint{}, err
	}
	before, err := EndpointOf(a)
	if err != nil {
		return Endpoint{}, err
	}
	after := before
	if p.URL != nil {
		if after.URL, err = s.checkURL(ctx, *p.URL); err != nil {
			return Endpoint{}, err
		}
	}
	if p.Description != nil {
		if after.Description, err = orgs.CleanText("description", *p.Description, 500, false); err != nil {
			return Endpoint{}, err
		}
	}
	if p.Events != nil {
		if after.Events, err = validEvents(*p.Events); err != nil {
			return Endpoint{}, err
		}
	}
	if p.Enabled != nil {
		after.Enabled = *p.Enabled
	}
	changes := map[string]any{}
	if after.URL != before.URL {
		// Both redacted: a path or query may be a token.
		changes["url"] = map[string]any{"from": Redacted(before.URL), "to": Redacted(after.URL)}
	}
	if after.Description != before.Description {
		changes["description"] = map[string]any{"from": before.Description, "to": after.Description}
	}
	if !slices.Equal(after.Events, before.Events) {
		changes["events"] = map[string]any{"from": before.Events, "to": after.Events}
	}
	if after.Enabled != before.Enabled {
		changes["enabled"] = map[string]any{"from": before.Enabled, "to": after.Enabled}
	}
	if len(changes) == 0 {
		return before, nil
	}
	after.UpdatedAt = s.Now().UTC()
	fields := make([]string, 0, len(changes))
	for k := range changes {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	ev := s.event(ctx, a, after, "webhook.updated", fmt.Sprintf("%s changed %s of the webhook %s", a.Member.Email, strings.Join(fields, ", "), Redacted(after.URL)), changes)
	if err := s.Store.UpdateEndpoint(ctx, a.Acting(), before, after, ev); err != nil {
		return Endpoint{}, err
	}
	return after, nil
}

// Delete removes an endpoint; its pending deliveries are not attempted any more.
func (s *Service) Delete(ctx context.Context, a orgs.Access) error {
	ep, err := EndpointOf(a)
	if err != nil {
		return err
	}
	ev := s.event(ctx, a, ep, "webhook.deleted", fmt.Sprintf("%s deleted the webhook %s", a.Member.Email, describeEndpoint(ep)),
		map[string]any{"url": Redacted(ep.URL), "events": ep.Events})
	return s.Store.DeleteEndpoint(ctx, a.Acting(), ep, ev)
}

// RotateSecret gives the endpoint a new secret, returned only now. The old one keeps signing
// deliveries, next to the new one, for RotationOverlap; a secret rotated out earlier stops.
func (s *Service) RotateSecret(ctx context.Context, a orgs.Access) (signature.Secret, error) {
	if err := maySendEvents(a); err != nil {
		return "", err
	}
	before, err := EndpointOf(a)
	if err != nil {
		return "", err
	}
	now := s.Now().UTC()
	secret := signature.NewSecret()
	after := before
	after.SealedPrevious, after.PreviousUntil = before.SealedSecret, now.Add(RotationOverlap)
	after.SealedSecret, after.UpdatedAt = s.Key.Seal([]byte(secret)), now
	ev := s.event(ctx, a, after, "webhook.secret_rotated",
		fmt.Sprintf("%s rotated the secret of the webhook %s; the old one signs too until %s", a.Member.Email, Redacted(after.URL), after.PreviousUntil.Format(time.RFC3339)),
		map[string]any{"previousSecretValidUntil": after.PreviousUntil.Format(time.RFC3339)})
	if err := s.Store.UpdateEndpoint(ctx, a.Acting(), before, after, ev); err != nil {
		return "", err
	}
	return secret, nil
}

// maySendEvents is the standing that creating or changing an endpoint needs besides the
// route's settings.manage: an endpoint sends the org's events out, so whoever points one
// somewhere, or takes its secret, must be allowed to read them (events.read).
func maySendEvents(a orgs.Access) error {
	if !a.Allows(roles.EventsRead) {
		return apperr.New(apperr.Forbidden, "a webhook sends the organization's events out: creating or changing one needs events.read besides settings.manage")
	}
	return nil
}

// Secret opens the endpoint's current secret: for answering a repeated creation with what
// the first one showed.
func (s *Service) Secret(ep Endpoint) (signature.Secret, error) {
	raw, err := s.Key.Open(ep.SealedSecret)
	if err != nil {
		return "", fmt.Errorf("open the secret of webhook %s: %w", ep.ID, err)
	}
	return signature.Secret(raw), nil
}

// Deliveries returns a page of the endpoint's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, a orgs.Access, p paging.Request) (DeliveryPage, error) {
	ep, err := EndpointOf(a)
	if err != nil {
		return DeliveryPage{}, err
	}
	return s.Store.Deliveries(ctx, ep.OrgID, ep.ID, p)
}

// Redeliver asks for one more attempt of a delivery now. A delivery still waiting behind
// earlier ones can't jump the queue (Conflict); the one being retried is attempted now.
func (s *Service) Redeliver(ctx context.Context, a orgs.Access) (Delivery, error) {
	ep, err := EndpointOf(a)
	if err != nil {
		return Delivery{}, err
	}
	d, ok := DeliveryOf(a)
	if !ok {
		return Delivery{}, apperr.New(apperr.NotFound, "delivery not found")
	}
	if !ep.Enabled {
		return Delivery{}, apperr.New(apperr.Conflict, "the webhook is disabled; enable it first")
	}
	job := Job{OrgID: d.OrgID, WebhookID: d.WebhookID, EventID: d.EventID, Attempt: d.Attempts, Mode: ModeRedeliver}
	if d.Status == Pending {
		if ep.Head != d.ID {
			return Delivery{}, apperr.New(apperr.Conflict, "this delivery waits for earlier deliveries to the webhook, which go first")
		}
		job.Mode = ModeChain
	}
	m, err := outbox.New(s.NewID(), d.OrgID, KindDelivery, job)
	if err != nil {
		return Delivery{}, err
	}
	ev := s.event(ctx, a, ep, "webhook.redelivered", fmt.Sprintf("%s asked for the event %s to be sent again to the webhook %s", a.Member.Email, d.EventID, Redacted(ep.URL)),
		map[string]any{"deliveryId": d.ID, "eventId": d.EventID})
	if err := s.Store.Redeliver(ctx, d, m, ev); err != nil {
		return Delivery{}, err
	}
	return d, nil
}

// DeliveryOf returns the delivery the authorization step read for the route's {deliveryId}.
func DeliveryOf(a orgs.Access) (Delivery, bool) {
	_, sub, _ := orgs.ResultOf[EndpointRead, Subject](a)
	if sub.Delivery == nil || sub.Endpoint.OrgID != a.Org.ID {
		return Delivery{}, false
	}
	return *sub.Delivery, true
}

// Subject is what the authorization step reads for an EndpointRead: the endpoint (zero when
// the org has none of that id) and the delivery asked for (nil when absent or not asked).
type Subject struct {
	Endpoint Endpoint
	Delivery *Delivery
}

func (s *Service) checkURL(ctx context.Context, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", apperr.New(apperr.Invalid, "url is required")
	}
	if _, err := s.URLs.Check(ctx, raw); err != nil {
		return "", apperr.New(apperr.Invalid, "url: %s", strings.TrimPrefix(err.Error(), safehttp.ErrRefused.Error()+": "))
	}
	return raw, nil
}

func (s *Service) event(ctx context.Context, a orgs.Access, ep Endpoint, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Security, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "webhook", ID: ep.ID, Label: Redacted(ep.URL)},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}
