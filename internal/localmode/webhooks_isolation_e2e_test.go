package localmode_test

import (
	"fmt"
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
// each event in order, all of them while the stalling endpoint's first attempt is still open,
// and within 5 s of its commit (asserted when the machine meets 5 s with the healthy endpoint
// alone: a loaded machine is measured and reported instead); the failing endpoint gets its
// events in order too, its retry about 5 s on; another org's invite mail comes while the
// stalling attempt is still open, and is compared with the same mail before any webhook.
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

	// Five events, one after another: the time before each request is a lower bound of its
	// commit, so each latency is an upper bound.
	const events = 5
	renames := 0
	burst := func(e *endpoint) []time.Duration {
		t.Helper()
		before := len(e.requests())
		committed := make([]time.Time, events)
		for i := range events {
			committed[i] = time.Now()
			renames++
			l.do("PATCH", "/v1/orgs/"+hooked.ID, admin, fmt.Sprintf(`{"name":"Hooked %d"}`, renames), 200, nil)
		}
		got := e.waitFor(t, 90*time.Second, "the healthy endpoint's events", func(r []hookRequest) bool { return len(r) >= before+events })
		var out []time.Duration
		for i, g := range got[before : before+events] {
			out = append(out, g.at.Sub(committed[i]).Round(time.Millisecond))
		}
		return out
	}

	healthy := newEndpoint(t, http.StatusOK, false)
	l.do("POST", "/v1/orgs/"+hooked.ID+"/webhooks", admin, `{"url":"`+healthy.URL+`/hook","events":["org.updated"]}`, 201, nil)
	alone := burst(healthy)

	failing := newEndpoint(t, http.StatusInternalServerError, false)
	stalling := newEndpoint(t, 0, true)
	for _, e := range []*endpoint{stalling, failing} {
		l.do("POST", "/v1/orgs/"+hooked.ID+"/webhooks", admin, `{"url":"`+e.URL+`/hook","events":["org.updated"]}`, 201, nil)
	}
	beside := burst(healthy)
	got := healthy.requests()
	stalled := stalling.requests()
	mailDuring := invite()
	stalledAtMail := stalling.requests()
	mailAt := time.Now()

	t.Logf("healthy endpoint, each event's arrival after its commit: alone %v; beside a failing and a stalling endpoint %v", alone, beside)
	t.Logf("another org's invite mail: %s before any webhook, %s beside them", baseline.Round(time.Millisecond), mailDuring.Round(time.Millisecond))

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
	// Independence: the stalling endpoint's first attempt (15 s) was still open when the
	// healthy endpoint had all five, and when the other org's mail came.
	if len(stalled) != 1 || got[len(got)-1].at.Sub(stalled[0].at) >= 15*time.Second {
		t.Errorf("the healthy endpoint waited on the stalling one: %d stalled requests, the last event %s after the stall began",
			len(stalled), got[len(got)-1].at.Sub(stalled[0].at))
	}
	if len(stalledAtMail) != 1 || mailAt.Sub(stalled[0].at) >= 15*time.Second {
		t.Errorf("the other org's mail waited on the stalling endpoint: it came %s after the stall began", mailAt.Sub(stalled[0].at))
	}
	// The contract's bound, where the machine meets it with the healthy endpoint alone.
	if slices.Max(alone) <= 5*time.Second {
		for i, d := range beside {
			if d > 5*time.Second {
				t.Errorf("event %d reached the healthy endpoint %s after its commit beside the others (alone at most %s); the contract says within 5 s", i+1, d, slices.Max(alone))
			}
		}
	} else {
		t.Logf("the machine is too loaded for the absolute 5 s bound: alone, an event took up to %s", slices.Max(alone))
	}

	// The failing endpoint: the first event, then its retry about 5 s on, the same event; no
	// later event overtakes it (order per endpoint).
	f := failing.waitFor(t, 60*time.Second, "the failing endpoint's retry", func(r []hookRequest) bool { return len(r) >= 2 })
	if fi := ids(f); fi[0] != fi[1] || fi[0] != ids(got)[events] {
		t.Errorf("the failing endpoint got %v; want its first event (%s) twice", fi, ids(got)[events])
	}
	if gap := f[1].at.Sub(f[0].at); gap < 4*time.Second || gap > 15*time.Second {
		t.Errorf("the failing endpoint's retry came %s after its first attempt; want about 5 s", gap)
	}
	t.Logf("failing endpoint's first retry: %s after its first attempt", f[1].at.Sub(f[0].at).Round(time.Millisecond))
}
