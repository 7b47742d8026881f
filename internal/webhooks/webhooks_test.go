package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/webhooks"
	"github.com/vendorportal/orgs/internal/webhooks/safehttp"
	"github.com/vendorportal/orgs/internal/webhooks/signature"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// queue is the outbox and the delivery queue as the tests see them: the store below puts
// every message written with a webhook write here, and pump hands the due ones to the
// dispatcher, as the delivery function does with the jobs the stream processor queues; a job
// the dispatcher answers NotDue is held back until its time, as the queue keeps it hidden.
type queue struct {
	mu   sync.Mutex
	msgs []outbox.Message
}

func (q *queue) add(ms ...outbox.Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, ms...)
}

// due takes the messages due at now.
func (q *queue) due(now time.Time) []outbox.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due, rest []outbox.Message
	for _, m := range q.msgs {
		if m.NotBefore.After(now) {
			rest = append(rest, m)
		} else {
			due = append(due, m)
		}
	}
	q.msgs = rest
	return due
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// capturing is the real store, noting the messages its successful writes carry.
type capturing struct {
	webhooks.Store
	q *queue
}

func (c capturing) FanOut(ctx context.Context, fans []webhooks.Fan) error {
	err := c.Store.FanOut(ctx, fans)
	if err == nil {
		for _, f := range fans {
			if f.Message != nil {
				c.q.add(*f.Message)
			}
		}
	}
	return err
}

func (c capturing) RecordAttempt(ctx context.Context, r webhooks.Record) error {
	err := c.Store.RecordAttempt(ctx, r)
	if err == nil {
		c.q.add(r.Messages...)
	}
	return err
}

func (c capturing) Redeliver(ctx context.Context, d webhooks.Delivery, m outbox.Message, ev audit.Event) error {
	err := c.Store.Redeliver(ctx, d, m, ev)
	if err == nil {
		c.q.add(m)
	}
	return err
}

// receiver is a webhook endpoint on 127.0.0.1 answering with the statuses it is given in
// turn (200 once they run out), keeping what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.got = append(r.got, received{req.Header.Clone(), body, status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// ids returns the webhook-id of every request received, in order.
func (r *receiver) ids() []string {
	var out []string
	for _, g := range r.received() {
		out = append(out, g.header.Get(signature.HeaderID))
	}
	return out
}

type rig struct {
	t      *testing.T
	store  *dynamotest.Store
	clock  *clock
	q      *queue
	orgs   *orgs.Service
	svc    *webhooks.Service
	disp   *webhooks.Dispatcher
	admin  orgs.Caller
	orgID  string
	sunk   map[string]bool
	counts []int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	client, table := testenv.DynamoDB(t)
	store := dynamotest.New(client, table)
	c := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	q := &queue{}
	key := seal.Derive([]byte("test secret"), "webhook")
	http := &safehttp.Client{AllowLoopback: true, Timeout: 3 * time.Second}
	wrapped := capturing{store, q}
	r := &rig{
		t: t, store: store, clock: c, q: q,
		orgs:  &orgs.Service{Store: store, Now: c.Now, NewID: app.NewULID},
		svc:   &webhooks.Service{Store: wrapped, URLs: http, Key: key, Now: c.Now, NewID: app.NewULID},
		disp:  &webhooks.Dispatcher{Store: wrapped, Client: http, Key: key, Now: c.Now, NewID: app.NewULID, Log: slog.New(slog.DiscardHandler)},
		admin: orgs.Caller{ID: "user-ada", Email: "ada@example.com", EmailVerified: true},
		sunk:  map[string]bool{},
	}
	v, err := r.orgs.Create(context.Background(), r.admin, orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	r.orgID = v.ID
	r.sinkNew() // the org's own events are before any endpoint
	return r
}

func (r *rig) access(webhookID, deliveryID string) orgs.Access {
	r.t.Helper()
	a, err := r.orgs.AuthorizeFor(context.Background(), r.admin, r.orgID, orgs.Subject{Reads: []orgs.Read{webhooks.EndpointRead{ID: webhookID, DeliveryID: deliveryID}}})
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

func (r *rig) endpoint(url string, events ...string) (webhooks.Endpoint, signature.Secret) {
	r.t.Helper()
	ep, secret, err := r.svc.Create(context.Background(), r.access("", ""), webhooks.Input{URL: url, Events: events})
	if err != nil {
		r.t.Fatal(err)
	}
	return ep, secret
}

// change renames the org: one org.updated event.
func (r *rig) change(name string) {
	r.t.Helper()
	a := r.access("", "")
	if _, err := r.orgs.UpdateSettings(context.Background(), r.admin, a, orgs.SettingsInput{Name: &name}); err != nil {
		r.t.Fatal(err)
	}
}

// log returns the org's events, oldest first.
func (r *rig) log() []audit.Event {
	r.t.Helper()
	page, err := r.store.Events(context.Background(), r.orgID, audit.Filter{}, paging.Request{Limit: 200})
	if err != nil {
		r.t.Fatal(err)
	}
	slices.Reverse(page.Events)
	return page.Events
}

// sinkNew hands the events not yet seen to the sink, oldest first, as the stream does, and
// keeps the DynamoDB calls each took.
func (r *rig) sinkNew() []audit.Event {
	r.t.Helper()
	var out []audit.Event
	for _, e := range r.log() {
		if r.sunk[e.ID] {
			continue
		}
		r.sunk[e.ID] = true
		ctx, calls := dynamo.WithCallCounter(context.Background())
		if err := r.disp.Sink(ctx, e); err != nil {
			r.t.Fatal(err)
		}
		r.counts = append(r.counts, calls.Calls())
		out = append(out, e)
	}
	return out
}

// pump runs the due messages until none is due, and returns how many ran and the most
// DynamoDB calls one took.
func (r *rig) pump() (ran, maxCalls int) {
	r.t.Helper()
	for {
		due := r.q.due(r.clock.Now())
		if len(due) == 0 {
			return ran, maxCalls
		}
		for _, m := range due {
			ctx, calls := dynamo.WithCallCounter(context.Background())
			var job webhooks.Job
			if err := m.Decode(&job); err != nil {
				r.t.Fatal(err)
			}
			var later *webhooks.NotDue
			switch err := r.disp.Deliver(ctx, job); {
			case errors.As(err, &later):
				m.NotBefore = later.Until()
				r.q.add(m)
				continue
			case err != nil:
				r.t.Fatal(err)
			}
			ran++
			maxCalls = max(maxCalls, calls.Calls())
		}
	}
}

func (r *rig) deliveries(ep webhooks.Endpoint) []webhooks.Delivery {
	r.t.Helper()
	page, err := r.store.Deliveries(context.Background(), r.orgID, ep.ID, paging.Request{Limit: 200})
	if err != nil {
		r.t.Fatal(err)
	}
	return page.Deliveries
}

// sentAt is when a request was signed: a receiver verifies it then.
func sentAt(t *testing.T, g received) time.Time {
	sec, err := strconv.ParseInt(g.header.Get(signature.HeaderTimestamp), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(sec, 0)
}

// types returns the type of every request received, in order.
func (r *receiver) types() []string {
	var out []string
	for _, g := range r.received() {
		var b struct{ Type string }
		_ = json.Unmarshal(g.body, &b)
		out = append(out, b.Type)
	}
	return out
}

func key(t *testing.T, s signature.Secret) []byte {
	k, err := s.Key()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestADeliveryIsSignedAndCarriesTheEventAsTheAPIShowsIt(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, secret := r.endpoint(rc.URL+"/hook", "org.*")
	r.sinkNew()
	r.change("Acme Robotics")
	evs := r.sinkNew()
	ran, calls := r.pump()
	got := rc.received()
	if len(got) != 1 || ran != 1 {
		t.Fatalf("received %d, ran %d", len(got), ran)
	}
	ev := evs[len(evs)-1]
	if ev.Action != "org.updated" {
		t.Fatalf("last event %s", ev.Action)
	}
	if id := got[0].header.Get(signature.HeaderID); id != ev.ID {
		t.Errorf("webhook-id %s, want the event id %s", id, ev.ID)
	}
	if err := signature.Verify(key(t, secret), got[0].header, got[0].body, r.clock.Now()); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	want, _ := json.Marshal(map[string]any{"type": ev.Action, "timestamp": audit.JSONTime(ev.OccurredAt), "data": ev.JSON()})
	if !jsonEqual(t, got[0].body, want) {
		t.Errorf("body\n%s\nwant\n%s", got[0].body, want)
	}
	if ct := got[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	ds := r.deliveries(ep)
	if len(ds) != 1 || ds[0].Status != webhooks.Succeeded || ds[0].Attempts != 1 || ds[0].LastStatus != 200 || ds[0].EventID != ev.ID || ds[0].Type != "org.updated" {
		t.Errorf("deliveries %+v", ds)
	}
	t.Logf("DynamoDB calls: fan-out %v (per event), an attempt at most %d", r.counts, calls)
	if calls > 3 {
		t.Errorf("an attempt made %d DynamoDB calls; want at most 3 (read, next, record)", calls)
	}
	if c := r.counts[len(r.counts)-1]; c != 2 {
		t.Errorf("the fan-out of a matching event made %d calls; want 2 (Query, TransactWriteItems)", c)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestOnlyEnabledEndpointsWhoseFiltersMatchGetTheEvent(t *testing.T) {
	r := newRig(t)
	all, members, org, exact, off := newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t)
	r.endpoint(all.URL, "*")
	r.endpoint(members.URL, "member.*")
	r.endpoint(org.URL, "org.*", "license.expired")
	r.endpoint(exact.URL, "org.updated")
	offEp, _ := r.endpoint(off.URL, "*")
	enabled := false
	if _, err := r.svc.Update(context.Background(), r.access(offEp.ID, ""), webhooks.Patch{Enabled: &enabled}); err != nil {
		t.Fatal(err)
	}
	r.sinkNew()
	r.change("Acme 2")
	r.sinkNew()
	r.pump()
	updates := func(rc *receiver) int {
		n := 0
		for _, ty := range rc.types() {
			if ty == "org.updated" {
				n++
			}
		}
		return n
	}
	counts := map[string]int{"all": updates(all), "members": updates(members), "org": updates(org), "exact": updates(exact), "off": len(off.received())}
	want := map[string]int{"all": 1, "members": 0, "org": 1, "exact": 1, "off": 0}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s got %d deliveries, want %d", k, counts[k], v)
		}
	}
	// A non-matching event costs the fan-out one Query.
	if c := r.counts[len(r.counts)-1]; c != 2 {
		t.Errorf("fan-out calls %d", c)
	}
}

func TestAFailedAttemptIsRetriedWithTheSameIDAfterTheBackoff(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t, 500, 503)
	ep, secret := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.sinkNew()
	r.pump()
	ds := r.deliveries(ep)
	if len(rc.received()) != 1 || ds[0].Status != webhooks.Pending || ds[0].Attempts != 1 || ds[0].LastStatus != 500 || !ds[0].NextAttemptAt.Equal(r.clock.Now().Add(5*time.Second)) {
		t.Fatalf("after one failure: %d received, %+v", len(rc.received()), ds)
	}
	r.clock.Advance(4 * time.Second)
	if ran, _ := r.pump(); ran != 0 {
		t.Fatalf("a retry ran before its time")
	}
	r.clock.Advance(time.Second)
	r.pump()
	r.clock.Advance(5 * time.Minute)
	r.pump()
	got := rc.received()
	if len(got) != 3 {
		t.Fatalf("received %d", len(got))
	}
	for _, g := range got {
		if g.header.Get(signature.HeaderID) != got[0].header.Get(signature.HeaderID) || string(g.body) != string(got[0].body) {
			t.Errorf("a retry differs in id or body")
		}
		if err := signature.Verify(key(t, secret), g.header, g.body, sentAt(t, g)); err != nil {
			t.Errorf("retry signature: %v", err)
		}
	}
	if got[0].header.Get(signature.HeaderTimestamp) == got[2].header.Get(signature.HeaderTimestamp) {
		t.Errorf("the timestamp is the attempt's, so it changes")
	}
	ds = r.deliveries(ep)
	if ds[0].Status != webhooks.Succeeded || ds[0].Attempts != 3 || ds[0].LastStatus != 200 || !ds[0].NextAttemptAt.IsZero() {
		t.Errorf("after success %+v", ds[0])
	}
}

func TestADeliveryFailsAfterTheLastRetryAndTheNextOneFollows(t *testing.T) {
	r := newRig(t)
	statuses := make([]int, webhooks.MaxAttempts)
	for i := range statuses {
		statuses[i] = 500
	}
	rc := newReceiver(t, statuses...)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.change("Acme 3")
	r.sinkNew()
	r.pump()
	for _, d := range webhooks.Backoff {
		r.clock.Advance(d)
		r.pump()
	}
	ds := r.deliveries(ep) // newest first
	if len(ds) != 2 || ds[1].Status != webhooks.Failed || ds[1].Attempts != webhooks.MaxAttempts || ds[0].Status != webhooks.Succeeded {
		t.Fatalf("deliveries %+v", ds)
	}
	ids := rc.ids()
	if len(ids) != webhooks.MaxAttempts+1 || ids[len(ids)-1] != ds[0].ID || ids[0] != ds[1].ID {
		t.Errorf("ids %v", ids)
	}
}

func TestDeliveriesToOneEndpointGoInEventOrder(t *testing.T) {
	r := newRig(t)
	slow := newReceiver(t, 500, 500)
	fast := newReceiver(t)
	slowEp, _ := r.endpoint(slow.URL, "org.updated")
	r.endpoint(fast.URL, "org.updated")
	for _, n := range []string{"A", "B", "C"} {
		r.change("Acme " + n)
	}
	evs := r.sinkNew()
	r.pump()
	// The fast endpoint had all three, in order; the slow one only the first, which failed.
	want := []string{evs[len(evs)-3].ID, evs[len(evs)-2].ID, evs[len(evs)-1].ID}
	if got := fast.ids(); !slices.Equal(got, want) {
		t.Fatalf("fast got %v, want %v", got, want)
	}
	if got := slow.ids(); !slices.Equal(got, want[:1]) {
		t.Fatalf("slow got %v before its retry", got)
	}
	r.clock.Advance(5 * time.Second)
	r.pump()
	r.clock.Advance(5 * time.Minute)
	r.pump()
	if got := slow.ids(); !slices.Equal(got, []string{want[0], want[0], want[0], want[1], want[2]}) {
		t.Fatalf("slow got %v", got)
	}
	for _, d := range r.deliveries(slowEp) {
		if d.Status != webhooks.Succeeded {
			t.Errorf("%+v", d)
		}
	}
	if r.q.len() != 0 {
		t.Errorf("%d messages left", r.q.len())
	}
}

func TestA410DisablesTheEndpointWithAnEvent(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t, http.StatusGone)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.change("Acme 3")
	r.sinkNew()
	r.pump()
	if n := len(rc.received()); n != 1 {
		t.Fatalf("received %d", n)
	}
	a := r.access(ep.ID, "")
	now, _ := webhooks.EndpointOf(a)
	if now.Enabled {
		t.Fatal("the endpoint is still enabled")
	}
	ds := r.deliveries(ep)
	if ds[0].Status != webhooks.Failed || ds[0].Attempts != 0 || ds[1].Status != webhooks.Failed || ds[1].LastStatus != 410 {
		t.Errorf("deliveries %+v", ds)
	}
	last := r.log()[len(r.log())-1]
	if last.Action != "webhook.updated" || last.Actor.Type != audit.ActorSystem || last.Category != audit.Security || last.Target.ID != ep.ID {
		t.Errorf("last event %+v", last)
	}
	r.change("Acme 4")
	r.sinkNew()
	r.pump()
	if n := len(rc.received()); n != 1 || len(r.deliveries(ep)) != 2 {
		t.Errorf("a disabled endpoint got a delivery")
	}
}

func TestDuringARotationDeliveriesCarryBothSignaturesFor24Hours(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, old := r.endpoint(rc.URL, "org.updated")
	fresh, err := r.svc.RotateSecret(context.Background(), r.access(ep.ID, ""))
	if err != nil || fresh == old {
		t.Fatal(err)
	}
	r.change("Acme 2")
	r.sinkNew()
	r.pump()
	g := rc.received()[0]
	if n := len(strings.Fields(g.header.Get(signature.HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures", n)
	}
	for _, s := range []signature.Secret{old, fresh} {
		if err := signature.Verify(key(t, s), g.header, g.body, r.clock.Now()); err != nil {
			t.Errorf("a secret does not verify: %v", err)
		}
	}
	r.clock.Advance(webhooks.RotationOverlap + time.Second)
	r.change("Acme 3")
	r.sinkNew()
	r.pump()
	g = rc.received()[1]
	if err := signature.Verify(key(t, old), g.header, g.body, r.clock.Now()); err == nil {
		t.Error("the old secret still signs after 24 hours")
	}
	if err := signature.Verify(key(t, fresh), g.header, g.body, r.clock.Now()); err != nil {
		t.Error(err)
	}
}

func TestTheSameEventSunkTwiceIsDeliveredOnce(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	evs := r.sinkNew()
	if err := r.disp.Sink(context.Background(), evs[len(evs)-1]); err != nil {
		t.Fatal(err)
	}
	r.pump()
	if n := len(rc.received()); n != 1 {
		t.Errorf("received %d", n)
	}
}

func TestConcurrentFanOutsDeliverEveryEventOnce(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	for i := range 6 {
		r.change("Acme " + string(rune('A'+i)))
	}
	var evs []audit.Event
	for _, e := range r.log() {
		if e.Action == "org.updated" {
			evs = append(evs, e)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(evs))
	for _, e := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.disp.Sink(context.Background(), e)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.pump()
	got := rc.ids()
	sorted := slices.Clone(got)
	sort.Strings(sorted)
	if len(slices.Compact(sorted)) != len(evs) || len(got) != len(evs) {
		t.Fatalf("got %d deliveries of %d distinct events, want each of %d once", len(got), len(slices.Compact(sorted)), len(evs))
	}
	for _, d := range r.deliveries(ep) {
		if d.Status != webhooks.Succeeded {
			t.Errorf("%+v", d)
		}
	}
}

func TestRedeliverMakesOneMoreAttempt(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.sinkNew()
	r.pump()
	d := r.deliveries(ep)[0]
	if _, err := r.svc.Redeliver(context.Background(), r.access(ep.ID, d.ID)); err != nil {
		t.Fatal(err)
	}
	r.pump()
	ids := rc.ids()
	if len(ids) != 2 || ids[1] != d.ID {
		t.Fatalf("ids %v", ids)
	}
	if d := r.deliveries(ep)[0]; d.Attempts != 2 || d.Status != webhooks.Succeeded {
		t.Errorf("%+v", d)
	}
	last := r.log()[len(r.log())-1]
	if last.Action != "webhook.redelivered" {
		t.Errorf("last event %s", last.Action)
	}
	// Another endpoint's delivery, or an id never issued, is not found.
	other, _ := r.endpoint(rc.URL, "member.*")
	for _, a := range []orgs.Access{r.access(other.ID, d.ID), r.access(ep.ID, "nope")} {
		if _, err := r.svc.Redeliver(context.Background(), a); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("redeliver: %v", err)
		}
	}
}

func TestAnOrgHasAtMostTenEndpointsEvenRacing(t *testing.T) {
	r := newRig(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for range webhooks.MaxEndpoints + 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := r.svc.Create(context.Background(), r.access("", ""), webhooks.Input{URL: "http://127.0.0.1:9/x", Events: []string{"*"}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case apperr.KindOf(err) == apperr.Conflict:
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	eps, _ := r.svc.List(context.Background(), r.access("", ""))
	if len(eps) != webhooks.MaxEndpoints || ok != webhooks.MaxEndpoints {
		t.Fatalf("%d endpoints, %d created, %d conflicts", len(eps), ok, conflicts)
	}
	if err := r.svc.Delete(context.Background(), r.access(eps[0].ID, "")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.svc.Create(context.Background(), r.access("", ""), webhooks.Input{URL: "http://127.0.0.1:9/x", Events: []string{"*"}}); err != nil {
		t.Errorf("after a deletion: %v", err)
	}
}

func TestCreationRefusesNonPublicURLsAndBadFilters(t *testing.T) {
	r := newRig(t)
	r.svc.URLs = &safehttp.Client{}
	for _, in := range []webhooks.Input{
		{URL: "https://10.0.0.1/x", Events: []string{"*"}},
		{URL: "https://[::ffff:127.0.0.1]/x", Events: []string{"*"}},
		{URL: "http://127.0.0.1:8080/x", Events: []string{"*"}},
		{URL: "https://169.254.169.254/latest", Events: []string{"*"}},
		{URL: "https://hooks.example.com/x", Events: nil},
		{URL: "https://hooks.example.com/x", Events: []string{"member"}},
		{URL: "https://hooks.example.com/x", Events: []string{"Member.*"}},
		{URL: "https://hooks.example.com/x", Events: []string{"*.added"}},
		{URL: "https://hooks.example.com/x", Description: "a\u202eb", Events: []string{"*"}},
	} {
		_, _, err := r.svc.Create(context.Background(), r.access("", ""), in)
		if apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestTheSecretIsInNoEventNoDeliveryAndNotInTheClear(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, s1 := r.endpoint(rc.URL+"/in?token=abc", "*")
	s2, err := r.svc.RotateSecret(context.Background(), r.access(ep.ID, ""))
	if err != nil {
		t.Fatal(err)
	}
	r.sinkNew()
	r.pump()
	var dump []string
	for _, e := range r.log() {
		b, _ := json.Marshal(e)
		dump = append(dump, string(b))
	}
	for _, d := range r.deliveries(ep) {
		b, _ := json.Marshal(d)
		dump = append(dump, string(b))
	}
	a := r.access(ep.ID, "")
	stored, _ := webhooks.EndpointOf(a)
	dump = append(dump, stored.SealedSecret, stored.SealedPrevious)
	for _, s := range []signature.Secret{s1, s2} {
		raw := strings.TrimPrefix(string(s), signature.SecretPrefix)
		for _, d := range dump {
			if strings.Contains(d, raw) {
				t.Fatalf("a secret is in %s", d)
			}
		}
	}
	for _, d := range dump[:len(dump)-2] {
		if strings.Contains(d, "token=abc") {
			t.Errorf("the URL's query is in %s", d)
		}
	}
}

func TestAnEndpointChangedMeanwhileIsAConflictNotALostUpdate(t *testing.T) {
	r := newRig(t)
	ep, _ := r.endpoint("http://127.0.0.1:9/a", "*")
	a := r.access(ep.ID, "")
	d1, d2 := "one", "two"
	if _, err := r.svc.Update(context.Background(), a, webhooks.Patch{Description: &d1}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Update(context.Background(), a, webhooks.Patch{Description: &d2}); !errors.Is(err, webhooks.ErrChanged) {
		t.Fatalf("a stale update: %v", err)
	}
}

// The retry's job is ready for the queue at once, whatever the scheduled job's interval, and
// the delivery keeps its time: the job taken early makes no attempt and says when it is due,
// so that the queue hides it until then (and holds back that endpoint alone).
func TestARetryIsQueuedAtOnceAndAttemptedOnlyWhenDue(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t, 500)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.sinkNew()
	first := r.q.due(r.clock.Now())
	if len(first) != 1 {
		t.Fatalf("%d first jobs", len(first))
	}
	var job webhooks.Job
	if err := first[0].Decode(&job); err != nil {
		t.Fatal(err)
	}
	if err := r.disp.Deliver(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	retry := r.q.due(r.clock.Now())
	if len(retry) != 1 || retry[0].NotBefore.After(r.clock.Now()) {
		t.Fatalf("the retry's job is not ready for the queue at once: %+v", retry)
	}
	if err := retry[0].Decode(&job); err != nil {
		t.Fatal(err)
	}
	due := r.clock.Now().Add(5 * time.Second)
	r.clock.Advance(4 * time.Second)
	var later *webhooks.NotDue
	if err := r.disp.Deliver(context.Background(), job); !errors.As(err, &later) || !later.Until().Equal(due) {
		t.Fatalf("a retry taken early: %v, want NotDue until %s", err, due)
	}
	if got := len(rc.received()); got != 1 {
		t.Fatalf("a retry taken early made an attempt: %d received", got)
	}
	r.clock.Advance(time.Second)
	if err := r.disp.Deliver(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if d := r.deliveries(ep)[0]; len(rc.received()) != 2 || d.Status != webhooks.Succeeded || d.Attempts != 2 {
		t.Errorf("after the retry's time: %d received, %+v", len(rc.received()), d)
	}
}

// sent is a webhooks.Queue that keeps what it was sent.
type sent struct {
	mu   sync.Mutex
	msgs []string // group, dedup id
}

func (s *sent) Send(_ context.Context, group, dedupID string, _ []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, group+" "+dedupID)
	return nil
}

// The outbox handler of deliveries only queues the job, in its endpoint's group, with the
// outbox message's id as the deduplication id: it attempts nothing, so the stream processor
// never waits on an endpoint.
func TestEnqueuePutsAJobInItsEndpointsGroupWithoutAnAttempt(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	ep, _ := r.endpoint(rc.URL, "org.updated")
	r.change("Acme 2")
	r.sinkNew()
	q := &sent{}
	r.disp.Queue = q
	msgs := r.q.due(r.clock.Now())
	for _, m := range msgs {
		if err := r.disp.Enqueue(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{r.orgID + "/" + ep.ID + " " + msgs[0].ID}
	if len(msgs) != 1 || !slices.Equal(q.msgs, want) || len(rc.received()) != 0 {
		t.Errorf("queued %v (want %v), %d received", q.msgs, want, len(rc.received()))
	}
	redeliver := webhooks.Job{OrgID: "o", WebhookID: "w", EventID: "e", Mode: webhooks.ModeRedeliver}
	alone := webhooks.Job{OrgID: "o", WebhookID: "w", EventID: "e", Mode: webhooks.ModeAlone}
	chain := webhooks.Job{OrgID: "o", WebhookID: "w", EventID: "e", Mode: webhooks.ModeChain}
	if redeliver.Group() == chain.Group() || alone.Group() == chain.Group() {
		t.Errorf("a redelivery or a delivery outside the chain waits in the chain's group")
	}
}

func TestAnEventFromBeforeTheEndpointWasMadeIsNotDeliveredToIt(t *testing.T) {
	r := newRig(t)
	rc := newReceiver(t)
	r.change("Acme 2") // not yet handed to the sink
	r.clock.Advance(time.Second)
	r.endpoint(rc.URL, "org.*")
	r.sinkNew()
	r.pump()
	if n := len(rc.received()); n != 0 {
		t.Errorf("an event older than the endpoint was delivered to it (%d requests)", n)
	}
}
