package webhooksdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/webhooks"
)

// The webhook items:
//
//	ORG#<orgId>                 WEBHOOK#<webhookId>  an endpoint: URL, filters, the sealed secrets
//	                                                 (current, previous and its end), and the
//	                                                 delivery chain's state: head (the event id
//	                                                 of the delivery being attempted) and last
//	                                                 (of the newest one fanned out)
//	ORG#<orgId>                 WEBHOOKS             the count of the org's endpoints, kept below
//	                                                 webhooks.MaxEndpoints by a condition
//	ORG#<orgId>#WH#<webhookId>  DELIVERY#<eventId>   a delivery, newest first by a descending
//	                                                 Query; TTL 30 days after its creation
//
// The org's endpoints are one Query of ORG#<orgId> (begins_with WEBHOOK#), which the fan-out
// of each event makes; an attempt reads the endpoint, its delivery and the event in one
// BatchGetItem.

var _ webhooks.Store = (*Store)(nil)

const (
	skWebhooks        = "WEBHOOKS"
	webhookSKPrefix   = "WEBHOOK#"
	deliverySKPrefix  = "DELIVERY#"
	deliveryRetention = 30 * 24 * time.Hour
)

func webhookSK(id string) string { return webhookSKPrefix + id }
func deliveryPK(orgID, webhookID string) string {
	return "ORG#" + orgID + "#WH#" + webhookID
}
func deliverySK(eventID string) string { return deliverySKPrefix + eventID }

type webhookItem struct {
	dynamo.Keys
	ID             string    `dynamodbav:"id"`
	OrgID          string    `dynamodbav:"orgId"`
	URL            string    `dynamodbav:"url"`
	Description    string    `dynamodbav:"description"`
	Events         []string  `dynamodbav:"events"`
	Enabled        bool      `dynamodbav:"enabled"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	UpdatedAt      time.Time `dynamodbav:"updatedAt"`
	Secret         string    `dynamodbav:"secret"`
	PreviousSecret string    `dynamodbav:"previousSecret,omitempty"`
	PreviousUntil  time.Time `dynamodbav:"previousUntil,omitempty"`
	Head           string    `dynamodbav:"head,omitempty"`
	Last           string    `dynamodbav:"last,omitempty"`
}

func newWebhookItem(e webhooks.Endpoint) webhookItem {
	return webhookItem{
		Keys: dynamo.Keys{PK: dynamo.OrgPK(e.OrgID), SK: webhookSK(e.ID)},
		ID:   e.ID, OrgID: e.OrgID, URL: e.URL, Description: e.Description, Events: e.Events,
		Enabled: e.Enabled, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		Secret: e.SealedSecret, PreviousSecret: e.SealedPrevious, PreviousUntil: e.PreviousUntil,
		Head: e.Head, Last: e.Last,
	}
}

func (it webhookItem) endpoint() webhooks.Endpoint {
	return webhooks.Endpoint{
		ID: it.ID, OrgID: it.OrgID, URL: it.URL, Description: it.Description, Events: it.Events,
		Enabled: it.Enabled, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		SealedSecret: it.Secret, SealedPrevious: it.PreviousSecret, PreviousUntil: it.PreviousUntil,
		Head: it.Head, Last: it.Last,
	}
}

type deliveryItem struct {
	dynamo.Keys
	ID            string    `dynamodbav:"id"`
	OrgID         string    `dynamodbav:"orgId"`
	WebhookID     string    `dynamodbav:"webhookId"`
	EventID       string    `dynamodbav:"eventId"`
	Type          string    `dynamodbav:"type"`
	Status        string    `dynamodbav:"status"`
	Attempts      int       `dynamodbav:"attempts"`
	LastStatus    int       `dynamodbav:"lastStatusCode,omitempty"`
	LastError     string    `dynamodbav:"lastError,omitempty"`
	LastAttemptAt time.Time `dynamodbav:"lastAttemptAt,omitempty"`
	NextAttemptAt time.Time `dynamodbav:"nextAttemptAt,omitempty"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
}

func newDeliveryItem(d webhooks.Delivery) deliveryItem {
	return deliveryItem{
		Keys: dynamo.Keys{PK: deliveryPK(d.OrgID, d.WebhookID), SK: deliverySK(d.ID), TTL: d.CreatedAt.Add(deliveryRetention).Unix()},
		ID:   d.ID, OrgID: d.OrgID, WebhookID: d.WebhookID, EventID: d.EventID, Type: d.Type,
		Status: string(d.Status), Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		LastAttemptAt: d.LastAttemptAt, NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt,
	}
}

func (it deliveryItem) delivery() webhooks.Delivery {
	return webhooks.Delivery{
		ID: it.ID, OrgID: it.OrgID, WebhookID: it.WebhookID, EventID: it.EventID, Type: it.Type,
		Status: webhooks.Status(it.Status), Attempts: it.Attempts, LastStatus: it.LastStatus, LastError: it.LastError,
		LastAttemptAt: it.LastAttemptAt, NextAttemptAt: it.NextAttemptAt, CreatedAt: it.CreatedAt,
	}
}

// endpointRead reads the endpoint a route acts on, and the delivery of it the route names,
// with the authorization step (planRead): a webhooks.Subject, zero when the org has no such
// endpoint.
func endpointRead(orgID string, r webhooks.EndpointRead) dynamo.ReadPlan {
	ks := []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), webhookSK, r.ID), {}}
	if ks[0].PK != "" {
		ks[1] = dynamo.IdKey(deliveryPK(orgID, r.ID), deliverySK, r.DeliveryID)
	}
	return dynamo.ReadPlan{Keys: ks, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		ep, err := dynamo.DecodeAs("webhook", items[0], webhookItem.endpoint)
		if ep == nil || err != nil {
			return webhooks.Subject{}, err
		}
		d, err := dynamo.DecodeAs("delivery", items[1], deliveryItem.delivery)
		return webhooks.Subject{Endpoint: *ep, Delivery: d}, err
	}}
}

// decodeAttempt decodes the endpoint or the delivery of an attempt's read into st.
func decodeAttempt(av map[string]types.AttributeValue, sk string, st *webhooks.AttemptState) error {
	switch {
	case strings.HasPrefix(sk, webhookSKPrefix):
		var it webhookItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		ep := it.endpoint()
		st.Endpoint = &ep
	case strings.HasPrefix(sk, deliverySKPrefix):
		var it deliveryItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		d := it.delivery()
		st.Delivery = &d
	}
	return nil
}

// Endpoints implements webhooks.Store: the org's endpoints, every page of one consistent
// Query.
func (s *Store) Endpoints(ctx context.Context, orgID string) ([]webhooks.Endpoint, error) {
	q := dynamo.Query{What: "webhooks", Key: dynamo.KeyPrefix(dynamo.OrgPK(orgID), webhookSKPrefix), Consistent: true}
	return dynamo.AllAs(ctx, s.Store, q, webhookItem.endpoint)
}

// countWebhooks adds delta to the org's endpoint count; a new one only below the maximum.
func countWebhooks(t *dynamo.Txn, orgID string, delta int) {
	var cond expression.ConditionBuilder
	if delta > 0 {
		cond = expression.Or(expression.AttributeNotExists(dynamo.Attr("count")), dynamo.Attr("count").LessThan(dynamo.Val(webhooks.MaxEndpoints)))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(orgID), skWebhooks), expression.Add(dynamo.Attr("count"), dynamo.Val(delta)), cond, webhooks.ErrTooMany)
}

// CreateEndpoint implements webhooks.Store.
func (s *Store) CreateEndpoint(ctx context.Context, actor orgs.Acting, ep webhooks.Endpoint, ev audit.Event) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, ep.OrgID, actor, orgsdb.OrgChange{})
	t.PutNew(newWebhookItem(ep), fmt.Errorf("webhook %s exists", ep.ID))
	countWebhooks(t, ep.OrgID, 1)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// UpdateEndpoint implements webhooks.Store. The chain's state is the same in before and
// after, so an update neither writes nor conditions it: deliveries go on meanwhile.
func (s *Store) UpdateEndpoint(ctx context.Context, actor orgs.Acting, before, after webhooks.Endpoint, ev audit.Event) error {
	b, a := newWebhookItem(before), newWebhookItem(after)
	a.Head, a.Last = b.Head, b.Last
	t := s.Txn()
	if !t.UpdateDiff(b, a, expression.ConditionBuilder{}, webhooks.ErrChanged) {
		return nil
	}
	orgsdb.ActorAsRead(t, before.OrgID, actor, orgsdb.OrgChange{})
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// DeleteEndpoint implements webhooks.Store.
func (s *Store) DeleteEndpoint(ctx context.Context, actor orgs.Acting, ep webhooks.Endpoint, ev audit.Event) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, ep.OrgID, actor, orgsdb.OrgChange{})
	t.Delete(dynamo.Key(dynamo.OrgPK(ep.OrgID), webhookSK(ep.ID)), dynamo.Exists(), apperr.New(apperr.NotFound, "webhook not found"))
	countWebhooks(t, ep.OrgID, -1)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// Deliveries implements webhooks.Store: one descending Query of the endpoint's partition.
func (s *Store) Deliveries(ctx context.Context, orgID, webhookID string, p paging.Request) (webhooks.DeliveryPage, error) {
	q := dynamo.Query{
		What: "deliveries", Key: dynamo.KeyPrefix(deliveryPK(orgID, webhookID), deliverySKPrefix),
		Descending: true, Limit: p.Limit, Consistent: true,
	}
	list, next, err := dynamo.PageAs(ctx, s.Store, q, p.After, deliveryItem.delivery)
	if err != nil {
		return webhooks.DeliveryPage{}, err
	}
	page := webhooks.DeliveryPage{Next: next}
	if len(list) > 0 {
		page.Deliveries = list
	}
	if len(list) < p.Limit {
		// A short page is the last.
		page.Next = ""
	}
	return page, nil
}

// deliveryAsSeen is the condition that a delivery's attempts and status are as read.
func deliveryAsSeen(attempts int, status webhooks.Status) expression.ConditionBuilder {
	return expression.And(dynamo.Exists(), dynamo.Attr("attempts").Equal(dynamo.Val(attempts)), dynamo.Attr("status").Equal(dynamo.Val(string(status))))
}

// Redeliver implements webhooks.Store.
func (s *Store) Redeliver(ctx context.Context, d webhooks.Delivery, m outbox.Message, ev audit.Event) error {
	t := s.Txn()
	t.Check(dynamo.Key(deliveryPK(d.OrgID, d.WebhookID), deliverySK(d.ID)), deliveryAsSeen(d.Attempts, d.Status), webhooks.ErrChanged)
	t.Check(dynamo.Key(dynamo.OrgPK(d.OrgID), webhookSK(d.WebhookID)), dynamo.Exists(), apperr.New(apperr.NotFound, "webhook not found"))
	t.Outbox(ev.OccurredAt, m)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// equalOrAbsent is the condition that a string attribute is v, or absent when v is "".
func equalOrAbsent(name, v string) expression.ConditionBuilder {
	if v == "" {
		return expression.AttributeNotExists(dynamo.Attr(name))
	}
	return dynamo.Attr(name).Equal(dynamo.Val(v))
}

// FanOut implements webhooks.Store: per endpoint, the delivery, the chain move (conditional
// on the chain as read) and the first attempt's message; at most 3 items per endpoint, 30 for
// MaxEndpoints.
func (s *Store) FanOut(ctx context.Context, fans []webhooks.Fan) error {
	t := s.Txn()
	for _, f := range fans {
		t.PutNew(newDeliveryItem(f.Delivery), webhooks.ErrFannedOut)
		if f.NewLast != "" || f.NewHead != "" {
			upd := expression.Set(dynamo.Attr("last"), dynamo.Val(f.NewLast))
			if f.NewHead != "" {
				upd = upd.Set(dynamo.Attr("head"), dynamo.Val(f.NewHead))
			}
			cond := expression.And(dynamo.Exists(), equalOrAbsent("head", f.Endpoint.Head), equalOrAbsent("last", f.Endpoint.Last))
			t.Update(dynamo.Key(dynamo.OrgPK(f.Endpoint.OrgID), webhookSK(f.Endpoint.ID)), upd, cond, webhooks.ErrChainMoved)
		}
		if f.Message != nil {
			t.Outbox(f.Delivery.CreatedAt, *f.Message)
		}
	}
	return t.Run(ctx, s.Client)
}

// Attempt implements webhooks.Store: one BatchGetItem of the endpoint, the delivery and the
// event.
func (s *Store) Attempt(ctx context.Context, orgID, webhookID, eventID string) (webhooks.AttemptState, error) {
	items, err := s.BatchGet(ctx, []map[string]types.AttributeValue{
		dynamo.Key(dynamo.OrgPK(orgID), webhookSK(webhookID)), dynamo.Key(deliveryPK(orgID, webhookID), deliverySK(eventID)), dynamo.Key(dynamo.EventPK(orgID), eventID),
	})
	if err != nil {
		return webhooks.AttemptState{}, err
	}
	var st webhooks.AttemptState
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return st, err
		}
		if dynamo.IsEventKey(k.PK) {
			e, err := dynamo.DecodeEvent(av)
			if err != nil {
				return st, err
			}
			st.Event = &e
			continue
		}
		if err := decodeAttempt(av, k.SK, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// NextDelivery implements webhooks.Store: one consistent Query for the first delivery after.
func (s *Store) NextDelivery(ctx context.Context, orgID, webhookID, after string) (*webhooks.Delivery, error) {
	q := dynamo.Query{
		What: "next delivery", Key: dynamo.KeyIs(dynamo.AttrPK, deliveryPK(orgID, webhookID)).And(expression.Key(dynamo.AttrSK).GreaterThan(expression.Value(deliverySK(after)))),
		Limit: 1, Consistent: true,
	}
	ds, _, err := dynamo.PageAs(ctx, s.Store, q, "", deliveryItem.delivery)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	return &ds[0], nil
}

// RecordAttempt implements webhooks.Store.
func (s *Store) RecordAttempt(ctx context.Context, r webhooks.Record) error {
	t := s.Txn()
	d := newDeliveryItem(r.Delivery)
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(d.Status)).Set(dynamo.Attr("attempts"), dynamo.Val(d.Attempts))
	upd = setOrDrop(upd, "lastStatusCode", d.LastStatus != 0, d.LastStatus)
	upd = setOrDrop(upd, "lastError", d.LastError != "", d.LastError)
	upd = setOrDrop(upd, "lastAttemptAt", !d.LastAttemptAt.IsZero(), d.LastAttemptAt)
	upd = setOrDrop(upd, "nextAttemptAt", !d.NextAttemptAt.IsZero(), d.NextAttemptAt)
	t.Update(dynamo.Key(d.PK, d.SK), upd, deliveryAsSeen(r.SeenAttempts, r.SeenStatus), webhooks.ErrStale)
	at := r.Delivery.LastAttemptAt
	if at.IsZero() {
		at = time.Now()
	}
	if c := r.Chain; c != nil {
		var upd expression.UpdateBuilder
		cond := dynamo.Exists()
		onFail := webhooks.ErrStale
		if c.MoveHead {
			upd = setOrDrop(upd, "head", c.NewHead != "", c.NewHead)
			cond = expression.And(cond, equalOrAbsent("head", c.SeenHead), equalOrAbsent("last", c.SeenLast))
			onFail = webhooks.ErrChainMoved
		}
		if c.Disable {
			upd = upd.Set(dynamo.Attr("enabled"), dynamo.Val(false)).Set(dynamo.Attr("updatedAt"), dynamo.Val(at.UTC()))
		}
		t.Update(dynamo.Key(dynamo.OrgPK(c.OrgID), webhookSK(c.WebhookID)), upd, cond, onFail)
	}
	if r.Event != nil {
		t.Event(*r.Event)
	}
	t.Outbox(at, r.Messages...)
	return t.Run(ctx, s.Client)
}

// setOrDrop sets name to v when set holds, and removes it otherwise.
func setOrDrop(u expression.UpdateBuilder, name string, set bool, v any) expression.UpdateBuilder {
	if set {
		return u.Set(dynamo.Attr(name), dynamo.Val(v))
	}
	return u.Remove(dynamo.Attr(name))
}

// webhookReads registers the reads of webhooks with the authorization step.
func webhookReads(k *dynamo.Store) { dynamo.RegisterRead(k, endpointRead) }
