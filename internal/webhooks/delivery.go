package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
	"github.com/vendorportal/orgs/internal/webhooks/signature"
)

// Mode is how an attempt relates to its endpoint's chain.
type Mode string

// The modes of a delivery job.
const (
	// ModeChain: the delivery is its endpoint's head; when it ends, the next one follows.
	ModeChain Mode = "chain"
	// ModeAlone: a delivery of an event that reached the fan-out after the chain had passed
	// it (a re-driven stream record): it is attempted, with retries, outside the chain.
	ModeAlone Mode = "alone"
	// ModeRedeliver: one more attempt asked for by a person; no retries, no chain.
	ModeRedeliver Mode = "redeliver"
)

// Job is the body of a KindDelivery outbox message.
type Job struct {
	OrgID     string `json:"orgId"`
	WebhookID string `json:"webhookId"`
	EventID   string `json:"eventId"`
	// Attempt is the delivery's attempts when the job was written: a job whose delivery has
	// moved on since (a duplicate, or a retry that a redelivery overtook) does nothing.
	Attempt int  `json:"attempt"`
	Mode    Mode `json:"mode"`
}

// Poster sends one delivery (safehttp.Client).
type Poster interface {
	Post(ctx context.Context, url string, header http.Header, body []byte) safehttp.Result
}

// Queue is where delivery jobs wait for the delivery function (webhook-delivery): in AWS an
// SQS FIFO queue (package sqs), whose message groups are received in order, one message of a
// group at a time, the groups side by side. Send puts body at the end of group; a dedupID
// sent in the last minutes is dropped, so a job sent twice is queued once.
type Queue interface {
	Send(ctx context.Context, group, dedupID string, body []byte) error
}

// Dispatcher fans events out into deliveries and attempts them: the stream processor's event
// sink (Sink), the KindDelivery outbox handler (Enqueue), and the delivery function's work
// (Work). Nothing here waits on a customer's endpoint except an attempt itself, made by the
// delivery function, never by the stream processor or the scheduled job (see Enqueue).
type Dispatcher struct {
	Store  Store
	Client Poster
	// Queue takes the jobs that Enqueue hands over.
	Queue Queue
	// Key opens the endpoints' sealed secrets.
	Key   seal.Key
	Now   func() time.Time
	NewID func() string
	Log   *slog.Logger
}

// Group is the queue's message group of the job: one per endpoint for its chain, so that an
// endpoint's deliveries are attempted one at a time in the order of the events, and a
// retry that is not due yet holds back that endpoint alone. A redelivery (asked for by a
// person, "one more attempt now") and a delivery outside the chain (ModeAlone) have groups
// of their own, so that neither waits behind the chain's retries nor holds the chain back.
func (j Job) Group() string {
	switch j.Mode {
	case ModeRedeliver:
		return j.OrgID + "/" + j.WebhookID + "/redeliver"
	case ModeAlone:
		return j.OrgID + "/" + j.WebhookID + "/" + j.EventID
	}
	return j.OrgID + "/" + j.WebhookID
}

// NotDue is what Deliver answers for a job whose delivery's next attempt is later (a retry
// sent to the queue at once, kept there until its time): the queue hides the job until At
// (sqs.Deferred), which holds back the endpoint's group and no other.
type NotDue struct{ At time.Time }

func (e *NotDue) Error() string    { return "webhook delivery not due until " + e.At.Format(time.RFC3339) }
func (e *NotDue) Until() time.Time { return e.At }

// Handlers returns the outbox handlers of webhook deliveries.
func (d *Dispatcher) Handlers() outbox.Handlers {
	return outbox.Handlers{KindDelivery: d.Enqueue}
}

// Enqueue is the outbox handler of KindDelivery, run by the stream processor (and, for what
// it missed, by the scheduled job): it hands the job to the queue, in its endpoint's group,
// and returns. It never attempts a delivery: an endpoint that is slow or never answers must
// not hold the stream's shard, on which other orgs' emails and deliveries wait (ARCHITECTURE
// principle 12). The outbox message's id deduplicates the send.
func (d *Dispatcher) Enqueue(ctx context.Context, m outbox.Message) error {
	var job Job
	if err := m.Decode(&job); err != nil {
		return outbox.Permanent(err)
	}
	return d.Queue.Send(ctx, job.Group(), m.ID, m.Body)
}

// Work is the delivery function's work on one queue message: the job it carries (Deliver).
// A body that is not a job is logged and dropped: it would fail the same way again.
func (d *Dispatcher) Work(ctx context.Context, body []byte) error {
	var job Job
	if err := json.Unmarshal(body, &job); err != nil || job.WebhookID == "" {
		d.Log.ErrorContext(ctx, "webhook job dropped: not a job", "error", err)
		return nil
	}
	return d.Deliver(ctx, job)
}

// maxChainRetries bounds how often a write is tried again after a concurrent move of a chain.
const maxChainRetries = 8

// Sink fans one new event of an org's log out: one delivery for each enabled endpoint whose
// filters match, written with the chain moves and first attempts in one transaction. Running
// it twice for one event writes nothing the second time. It costs one Query (the org's
// endpoints) and, when something matches, one TransactWriteItems.
func (d *Dispatcher) Sink(ctx context.Context, ev audit.Event) error {
	if ev.OrgID == "" {
		return nil
	}
	for range maxChainRetries {
		eps, err := d.Store.Endpoints(ctx, ev.OrgID)
		if err != nil {
			return err
		}
		fans, err := d.fans(ev, eps)
		if err != nil || len(fans) == 0 {
			return err
		}
		switch err := d.Store.FanOut(ctx, fans); {
		case errors.Is(err, ErrFannedOut):
			return nil
		case errors.Is(err, ErrChainMoved):
			continue
		case err != nil:
			return err
		}
		var jobs []outbox.Message
		for _, f := range fans {
			if f.Message != nil {
				jobs = append(jobs, *f.Message)
			}
		}
		d.sendNow(ctx, jobs)
		return nil
	}
	return fmt.Errorf("webhooks: fan-out of event %s: chains kept moving", ev.ID)
}

func (d *Dispatcher) fans(ev audit.Event, eps []Endpoint) ([]Fan, error) {
	now := d.Now().UTC()
	var fans []Fan
	for _, ep := range eps {
		// An event from before the endpoint was made is not its, however late the stream
		// hands it over.
		if !ep.Enabled || !ep.Matches(ev.Action) || ep.CreatedAt.Truncate(time.Millisecond).After(ev.OccurredAt) {
			continue
		}
		f := Fan{Endpoint: ep, Delivery: Delivery{
			ID: ev.ID, OrgID: ev.OrgID, WebhookID: ep.ID, EventID: ev.ID, Type: ev.Action,
			Status: Pending, CreatedAt: now, NextAttemptAt: now,
		}}
		mode := Mode("")
		switch {
		case ev.ID > ep.Last:
			// The newest event: last in the chain, its head if the chain is idle.
			f.NewLast = ev.ID
			if ep.Head == "" {
				f.NewHead, mode = ev.ID, ModeChain
			}
		case ep.Head != "" && ev.ID > ep.Head:
			// Late, but the chain has yet to pass it: the chain reaches it in order.
		default:
			mode = ModeAlone
		}
		if mode != "" {
			m, err := outbox.New(d.NewID(), ev.OrgID, KindDelivery, Job{OrgID: ev.OrgID, WebhookID: ep.ID, EventID: ev.ID, Mode: mode})
			if err != nil {
				return nil, err
			}
			m.NotBefore = now
			f.Message = &m
		}
		fans = append(fans, f)
	}
	return fans, nil
}

// Deliver runs one job taken from the queue: one attempt of one delivery, and what follows
// it (a retry, the next delivery of the chain, disabling an endpoint that answered 410). A
// job that finds its delivery moved on does nothing, so a duplicate is harmless. A job
// whose delivery is pending with its next attempt later (a retry) is answered NotDue, and
// waits in the queue, not here.
//
// What follows an attempt is written as outbox messages, ready at once: the stream
// processor hands them to the queue (Enqueue). A retry's time is the delivery's
// NextAttemptAt, kept in the table; the queue keeps the job hidden until then.
func (d *Dispatcher) Deliver(ctx context.Context, job Job) error {
	st, err := d.Store.Attempt(ctx, job.OrgID, job.WebhookID, job.EventID)
	if err != nil {
		return err
	}
	if st.Delivery == nil || st.Delivery.Attempts != job.Attempt {
		return nil
	}
	del := *st.Delivery
	ep := st.Endpoint
	chain := job.Mode == ModeChain
	switch {
	case chain && (ep == nil || ep.Head != del.ID):
		// The chain is elsewhere: this job is stale.
		return nil
	case job.Mode != ModeRedeliver && del.Status != Pending:
		if chain {
			// The head ended without moving the chain (a crash between): move it now.
			return d.recordAdvance(ctx, job, del, del, false, ep)
		}
		return nil
	}
	now := d.Now().UTC()
	if job.Mode != ModeRedeliver && del.NextAttemptAt.After(now) {
		return &NotDue{At: del.NextAttemptAt}
	}
	after := del
	var messages []outbox.Message
	disable := false
	switch {
	case ep == nil:
		after.Status, after.LastError, after.NextAttemptAt = Failed, "the webhook was deleted", time.Time{}
	case !ep.Enabled && job.Mode != ModeRedeliver:
		after.Status, after.LastError, after.NextAttemptAt = Failed, "the webhook is disabled", time.Time{}
	case st.Event == nil:
		after.Status, after.LastError, after.NextAttemptAt = Failed, "the event is no longer in the log", time.Time{}
	default:
		res := d.send(ctx, *ep, *st.Event, now)
		after.Attempts++
		after.LastAttemptAt, after.LastStatus, after.LastError = now, res.Status, ""
		if res.Err != nil {
			after.LastError = res.Err.Error()
		}
		after.NextAttemptAt = time.Time{}
		switch {
		case res.OK():
			after.Status = Succeeded
		case res.Status == http.StatusGone:
			after.Status, disable = Failed, ep.Enabled
		case job.Mode == ModeRedeliver || after.Attempts >= MaxAttempts:
			after.Status = Failed
		default:
			after.Status, after.NextAttemptAt = Pending, now.Add(Backoff[after.Attempts-1])
			retry, err := outbox.New(d.NewID(), job.OrgID, KindDelivery, Job{OrgID: job.OrgID, WebhookID: job.WebhookID, EventID: job.EventID, Attempt: after.Attempts, Mode: job.Mode})
			if err != nil {
				return err
			}
			// Ready at once: the queue, not the outbox, keeps it until NextAttemptAt.
			retry.NotBefore = now
			messages = append(messages, retry)
		}
		d.Log.InfoContext(ctx, "webhook attempt", "orgId", job.OrgID, "webhookId", job.WebhookID, "eventId", job.EventID,
			"attempt", after.Attempts, "status", res.Status, "outcome", string(after.Status), "error", after.LastError)
	}
	if chain && after.Status != Pending {
		return d.recordAdvance(ctx, job, del, after, disable, ep)
	}
	rec := Record{Delivery: after, SeenAttempts: del.Attempts, SeenStatus: del.Status, Messages: messages}
	if disable {
		// Outside the chain (a redelivery, a late event): the endpoint is turned off, its
		// chain left as it is.
		rec.Chain = &ChainMove{OrgID: job.OrgID, WebhookID: job.WebhookID, Disable: true}
		rec.Event = d.disabledEvent(ctx, *ep)
	}
	if err := d.Store.RecordAttempt(ctx, rec); err != nil {
		if errors.Is(err, ErrStale) {
			return nil
		}
		return err
	}
	d.sendNow(ctx, messages)
	return nil
}

// sendNow hands jobs just written with their change (the first attempts of a fan-out, the
// chain's next delivery, a retry) to the queue at once, rather than after the table's
// stream has brought their outbox messages round to the stream processor: that saves a
// trip through the stream on an endpoint's path, which the other orgs' work shares. The
// outbox message stays the guarantee: the stream processor queues it too, which the queue
// drops as a duplicate of the same id (its deduplication window is 5 minutes; a job queued
// twice later finds its delivery moved on and does nothing). A failed send is only logged.
func (d *Dispatcher) sendNow(ctx context.Context, jobs []outbox.Message) {
	if d.Queue == nil {
		return
	}
	for _, m := range jobs {
		if err := d.Enqueue(ctx, m); err != nil {
			d.Log.WarnContext(ctx, "webhook job not queued now; its outbox message will", "id", m.ID, "error", err)
		}
	}
}

// recordAdvance records the head's outcome and moves the chain to the next delivery, trying
// again when a fan-out moved the chain's end meanwhile.
func (d *Dispatcher) recordAdvance(ctx context.Context, job Job, before, after Delivery, disable bool, ep *Endpoint) error {
	for range maxChainRetries {
		next, err := d.Store.NextDelivery(ctx, job.OrgID, job.WebhookID, before.ID)
		if err != nil {
			return err
		}
		move := &ChainMove{OrgID: job.OrgID, WebhookID: job.WebhookID, MoveHead: true, SeenHead: ep.Head, SeenLast: ep.Last, Disable: disable}
		rec := Record{Delivery: after, SeenAttempts: before.Attempts, SeenStatus: before.Status, Chain: move}
		if disable {
			rec.Event = d.disabledEvent(ctx, *ep)
		}
		if next != nil {
			move.NewHead = next.ID
			m, err := outbox.New(d.NewID(), job.OrgID, KindDelivery, Job{OrgID: job.OrgID, WebhookID: job.WebhookID, EventID: next.ID, Attempt: next.Attempts, Mode: ModeChain})
			if err != nil {
				return err
			}
			m.NotBefore = d.Now().UTC()
			rec.Messages = []outbox.Message{m}
		}
		err = d.Store.RecordAttempt(ctx, rec)
		if err == nil {
			d.sendNow(ctx, rec.Messages)
			return nil
		}
		if !errors.Is(err, ErrChainMoved) {
			if errors.Is(err, ErrStale) {
				return nil
			}
			return err
		}
		st, err := d.Store.Attempt(ctx, job.OrgID, job.WebhookID, job.EventID)
		if err != nil {
			return err
		}
		if st.Endpoint == nil || st.Endpoint.Head != before.ID {
			// Gone, or moved by another: record the delivery alone.
			return d.recordIgnoringStale(ctx, Record{Delivery: after, SeenAttempts: before.Attempts, SeenStatus: before.Status})
		}
		ep = st.Endpoint
	}
	return fmt.Errorf("webhooks: delivery %s of %s: the chain kept moving", before.ID, job.WebhookID)
}

func (d *Dispatcher) recordIgnoringStale(ctx context.Context, r Record) error {
	if r.Delivery == (Delivery{}) {
		return nil
	}
	err := d.Store.RecordAttempt(ctx, r)
	if errors.Is(err, ErrStale) {
		return nil
	}
	return err
}

// send makes one attempt: the body, signed with the current secret and, while a rotation
// overlaps, the previous one.
func (d *Dispatcher) send(ctx context.Context, ep Endpoint, ev audit.Event, now time.Time) safehttp.Result {
	body, err := Body(ev)
	if err != nil {
		return safehttp.Result{Err: err}
	}
	keys, err := d.keys(ep, now)
	if err != nil {
		return safehttp.Result{Err: err}
	}
	return d.Client.Post(ctx, ep.URL, signature.Headers(keys, ev.ID, now, body), body)
}

// keys opens the endpoint's secrets that sign at now: the current one, and the previous one
// until its overlap ends.
func (d *Dispatcher) keys(ep Endpoint, now time.Time) ([][]byte, error) {
	sealed := []string{ep.SealedSecret}
	if ep.SealedPrevious != "" && now.Before(ep.PreviousUntil) {
		sealed = append(sealed, ep.SealedPrevious)
	}
	var keys [][]byte
	for _, s := range sealed {
		raw, err := d.Key.Open(s)
		if err != nil {
			return nil, errors.New("the webhook's secret can't be opened (was the server secret changed?)")
		}
		k, err := signature.Secret(raw).Key()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// Body is a delivery's body: the event's action, its time and the event object exactly as
// the API shows it. It is the same on every attempt.
func Body(ev audit.Event) ([]byte, error) {
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp audit.JSONTime  `json:"timestamp"`
		Data      audit.EventJSON `json:"data"`
	}{ev.Action, audit.JSONTime(ev.OccurredAt), ev.JSON()})
}

// disabledEvent is the event of an endpoint turned off because it answered 410 Gone.
func (d *Dispatcher) disabledEvent(ctx context.Context, ep Endpoint) *audit.Event {
	ev := audit.Event{
		OrgID: ep.OrgID, Category: audit.Security, Action: "webhook.updated",
		Actor:   audit.Actor{Type: audit.ActorSystem},
		Target:  audit.Target{Type: "webhook", ID: ep.ID, Label: Redacted(ep.URL)},
		Summary: fmt.Sprintf("The webhook %s was disabled: it answered 410 Gone", Redacted(ep.URL)),
		Details: map[string]any{"enabled": map[string]any{"from": true, "to": false}, "reason": "410 Gone"},
	}
	ev.Stamp(ctx, d.NewID(), d.Now())
	return &ev
}
