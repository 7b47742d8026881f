package localmode_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/testenv"
)

// endpoint is a customer's endpoint for the isolation test: it answers status, or never
// answers when stall is set (until the test ends), and it signals each request as it comes.
type endpoint struct {
	*httptest.Server
	mu      sync.Mutex
	got     []hookRequest
	arrived chan struct{}
}

func newEndpoint(t *testing.T, status int, stall bool) *endpoint {
	e := &endpoint{arrived: make(chan struct{}, 100)}
	stop := make(chan struct{})
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		e.mu.Lock()
		e.got = append(e.got, hookRequest{req.Header.Clone(), body, time.Now()})
		e.mu.Unlock()
		e.arrived <- struct{}{}
		if stall {
			select {
			case <-req.Context().Done():
			case <-stop:
			}
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() {
		close(stop)
		e.Close()
	})
	return e
}

func (e *endpoint) requests() []hookRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// waitFor waits for requests until cond holds of them, failing after limit: a condition
// wait on the endpoint's own signal, not a sleep.
func (e *endpoint) waitFor(t *testing.T, limit time.Duration, what string, cond func([]hookRequest) bool) []hookRequest {
	t.Helper()
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for {
		if got := e.requests(); cond(got) {
			return got
		}
		select {
		case <-e.arrived:
		case <-timeout.C:
			t.Fatalf("%s: not within %s (%d requests)", what, limit, len(e.requests()))
		}
	}
}

// TestAHealthyEndpointIsNotSlowedByFailingOrStallingNeighbours is the contract's "a
// customer's endpoint slows no one else": beside an endpoint of the same org that always
// answers 500 and one that never answers (each attempt ends at 15 s), a healthy endpoint gets
// each event, in order, within 5 s of its commit, and while the stalling endpoint's first
// attempt is still open; the failing endpoint gets its events in order too, its retry about
// 5 s on; and another org's invite mail comes as fast as before the webhooks existed.
func TestAHealthyEndpointIsNotSlowedByFailingOrStallingNeighbours(t *testing.T) {
	l := startWebhookLocal(t)
	admin := l.user(testenv.UniqueAddress(t))
	var hooked, other struct{ ID string }
	l.do("POST", "/v1/orgs", admin, `{"name":"Hooked"}`, 201, &hooked)
	l.do("POST", "/v1/orgs", admin, `{"name":"Other"}`, 201, &other)

	// Another org's invite mail with no webhook anywhere: the baseline.
	invite := func() time.Duration {
		to := testenv.UniqueAddress(t)
		began := time.Now()
		l.do("POST", "/v1/orgs/"+other.ID+"/invites", admin, `{"email":"`+to+`","role":"user"}`, 201, nil)
		if mails := waitMails(t, l.ses, to, 1); len(mails) == 0 {
			t.Fatalf("the invite's mail to %s did not come", to)
		}
		return time.Since(began)
	}
	baseline := invite()

	healthy := newEndpoint(t, http.StatusOK, false)
	failing := newEndpoint(t, http.StatusInternalServerError, false)
	stalling := newEndpoint(t, 0, true)
	for _, e := range []*endpoint{stalling, failing, healthy} {
		l.do("POST", "/v1/orgs/"+hooked.ID+"/webhooks", admin, `{"url":"`+e.URL+`/hook","events":["org.updated"]}`, 201, nil)
	}

	// Five events, one after another: the time before each request is a lower bound of its
	// commit, so each latency below is an upper bound.
	const events = 5
	committed := make([]time.Time, events)
	for i := range events {
		committed[i] = time.Now()
		l.do("PATCH", "/v1/orgs/"+hooked.ID, admin, `{"name":"Hooked `+string(rune('A'+i))+`"}`, 200, nil)
	}
	mailDuring := invite()
	got := healthy.waitFor(t, 60*time.Second, "the healthy endpoint's five events", func(r []hookRequest) bool { return len(r) >= events })
	stalled := stalling.requests()

	var latencies []time.Duration
	for i, g := range got[:events] {
		latencies = append(latencies, g.at.Sub(committed[i]).Round(time.Millisecond))
	}
	t.Logf("healthy endpoint, each event's arrival after its commit: %v", latencies)
	t.Logf("another org's invite mail: %s before the webhooks, %s beside them", baseline.Round(time.Millisecond), mailDuring.Round(time.Millisecond))

	ids := func(rs []hookRequest) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.header.Get("webhook-id"))
		}
		return out
	}
	// In order, each once: event ids are time-ordered.
	if h := ids(got); !slices.IsSorted(h) || len(slices.Compact(slices.Clone(h))) != len(h) {
		t.Errorf("the healthy endpoint got the events out of order or twice: %v", h)
	}
	for i, d := range latencies {
		if d > 5*time.Second {
			t.Errorf("event %d reached the healthy endpoint %s after its commit; the contract says within 5 s", i+1, d)
		}
	}
	// The stalling endpoint's first attempt was still open when the healthy one had all five:
	// it got one request, and no more than 15 s had passed since.
	if len(stalled) != 1 || got[events-1].at.Sub(stalled[0].at) >= 15*time.Second {
		t.Errorf("the stalling endpoint had %d requests when the healthy one had its five", len(stalled))
	}
	if mailDuring > 5*time.Second || mailDuring > baseline+5*time.Second {
		t.Errorf("another org's invite mail took %s beside the webhooks (%s before them)", mailDuring, baseline)
	}

	// The failing endpoint: the first event, then its retry about 5 s on, the same event; no
	// later event overtakes it (order per endpoint).
	f := failing.waitFor(t, 60*time.Second, "the failing endpoint's retry", func(r []hookRequest) bool { return len(r) >= 2 })
	if fi := ids(f); fi[0] != fi[1] || fi[0] != ids(got)[0] {
		t.Errorf("the failing endpoint got %v; want the first event twice", fi)
	}
	if gap := f[1].at.Sub(f[0].at); gap < 4*time.Second || gap > 15*time.Second {
		t.Errorf("the failing endpoint's retry came %s after its first attempt; want about 5 s", gap)
	}
	t.Logf("failing endpoint's first retry: %s after its first attempt", f[1].at.Sub(f[0].at).Round(time.Millisecond))
}
