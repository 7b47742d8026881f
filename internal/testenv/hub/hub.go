// Package hub shares one set of stand-ins between the test binaries of a run (make test runs
// them under infra/teststandins): one cognito-local and one SES stand-in for every package,
// and DynamoDB Locals handed out table by table.
//
// DynamoDB Local slows down with every table it has served (it keeps a deleted table's
// stream, see testenv.TablesPerDynamoDBLocal), so a table goes to one of a few lanes, each a
// DynamoDB Local that is replaced by a fresh one after TablesPerLocal tables. The next one is
// started while the current one still serves, so that no test waits for a JVM to start, and
// one is stopped once its last table is gone.
//
// The test binaries find the hub through the environment variable Env (testenv reads it) and
// talk to it over HTTP on 127.0.0.1: GET /stand-ins for the endpoints, POST /tables for the
// endpoint of the DynamoDB Local that gets a new table, POST /tables/done when it is deleted.
package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vendorportal/orgs/internal/standins"
)

// Env names the hub's URL for the test binaries it serves.
const Env = "TESTENV_STANDINS"

// DefaultTablesPerLocal is how many tables one DynamoDB Local serves before a fresh one takes
// over (testenv.TablesPerDynamoDBLocal says why).
const DefaultTablesPerLocal = 20

// Endpoints are the shared stand-ins: DynamoDB is the first lane's DynamoDB Local, for a check
// that it answers; tables go where Lease says.
type Endpoints struct {
	DynamoDB string `json:"dynamodb"`
	Cognito  string `json:"cognito"`
	SES      string `json:"ses"`
}

// Options configures Start.
type Options struct {
	// Lanes is how many DynamoDB Locals serve tables at once (at least 1).
	Lanes int
	// TablesPerLocal is how many tables one DynamoDB Local serves before the next table in its
	// lane goes to a fresh one.
	TablesPerLocal int
	// Log receives the stand-ins' output (standins.Options.Log) and the hub's notes; nil
	// discards both.
	Log io.Writer
}

// Hub is the running stand-ins and the server handing them out.
type Hub struct {
	// URL is the hub's address, the value of Env for the test binaries.
	URL string
	// Took is how long the stand-ins took to start.
	Took time.Duration

	stack  *standins.Stack
	opts   Options
	server *http.Server

	mu       sync.Mutex
	lanes    []*lane
	byURL    map[string]*generation
	closed   bool
	started  int // DynamoDB Locals started, the stack's included
	starting sync.WaitGroup
	stops    sync.WaitGroup
}

// lane is a succession of DynamoDB Locals: cur serves, next (if any) is starting or ready.
type lane struct {
	cur, next *generation
	// failed is set once a successor did not start: the lane then keeps its current one.
	failed bool
}

// generation is one DynamoDB Local.
type generation struct {
	endpoint string
	stack    *standins.Stack // nil for the stack's own, which Close stops
	handed   int             // tables given out on it
	live     int             // of which not yet deleted
	ready    chan struct{}   // closed once started (or failed: err)
	err      error
	retired  bool
}

// Start starts the stand-ins (cognito-local, the SES stand-in and one DynamoDB Local per
// lane) and serves them on a free port of 127.0.0.1. Close stops everything.
func Start(ctx context.Context, o Options) (*Hub, error) {
	o.Lanes = max(o.Lanes, 1)
	o.TablesPerLocal = max(o.TablesPerLocal, 1)
	began := time.Now()
	stack, err := standins.Start(ctx, standins.Options{Log: o.Log})
	if err != nil {
		return nil, err
	}
	h := &Hub{stack: stack, opts: o, byURL: map[string]*generation{}, started: 1}
	first := &generation{endpoint: stack.DynamoDBEndpoint, ready: make(chan struct{})}
	close(first.ready)
	h.byURL[first.endpoint] = first
	h.lanes = append(h.lanes, &lane{cur: first})
	h.mu.Lock()
	var others []*generation
	for range o.Lanes - 1 {
		g := h.startGeneration()
		others = append(others, g)
		h.lanes = append(h.lanes, &lane{cur: g})
	}
	h.mu.Unlock()
	for _, g := range others {
		<-g.ready
		if g.err != nil {
			return nil, errors.Join(g.err, h.Close())
		}
	}
	h.Took = time.Since(began)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	h.URL = "http://" + l.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stand-ins", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, Endpoints{DynamoDB: first.endpoint, Cognito: stack.CognitoEndpoint, SES: stack.SESEndpoint})
	})
	mux.HandleFunc("POST /tables", func(w http.ResponseWriter, r *http.Request) {
		endpoint, err := h.lease(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, table{Endpoint: endpoint})
	})
	mux.HandleFunc("POST /tables/done", func(w http.ResponseWriter, r *http.Request) {
		var t table
		if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.release(t.Endpoint)
		w.WriteHeader(http.StatusNoContent)
	})
	h.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.server.Serve(l) }()
	return h, nil
}

// DynamoDBLocals is how many DynamoDB Locals the hub has started so far.
func (h *Hub) DynamoDBLocals() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.started
}

// lease returns the endpoint of the DynamoDB Local that gets the next table: that of the lane
// with the fewest live tables, moving the lane to its successor once its current one has
// served its tables.
func (h *Hub) lease(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if h.closed {
			return "", errors.New("the stand-ins are stopping")
		}
		l := h.lanes[0]
		for _, other := range h.lanes[1:] {
			if other.cur.live < l.cur.live || (other.cur.live == l.cur.live && other.cur.handed < l.cur.handed) {
				l = other
			}
		}
		if l.cur.handed >= h.opts.TablesPerLocal && !l.failed {
			if l.next == nil {
				l.next = h.startGeneration()
			}
			next := l.next
			select {
			case <-next.ready:
			default:
				h.mu.Unlock()
				select {
				case <-next.ready:
				case <-ctx.Done():
				}
				h.mu.Lock()
				if ctx.Err() != nil {
					return "", ctx.Err()
				}
			}
			if l.next == next { // no other lease moved the lane meanwhile
				l.next = nil
				if next.err != nil {
					h.note("a fresh DynamoDB Local did not start (%v); the lane goes on with the old one", next.err)
					l.failed = true
				} else {
					old := l.cur
					l.cur = next
					h.retire(old)
				}
			}
			continue
		}
		g := l.cur
		g.handed++
		g.live++
		// Half-way through, the successor starts, so that it is up when it is needed.
		if g.handed >= h.opts.TablesPerLocal/2 && l.next == nil && !l.failed {
			l.next = h.startGeneration()
		}
		return g.endpoint, nil
	}
}

// release notes that a table on the DynamoDB Local at endpoint has been deleted.
func (h *Hub) release(endpoint string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.byURL[endpoint]
	if g == nil {
		return
	}
	g.live--
	h.retire(g)
}

// retire stops g once it serves no lane and its last table is gone. Called with mu held.
func (h *Hub) retire(g *generation) {
	if g.live > 0 || g.stack == nil || g.retired {
		return
	}
	for _, l := range h.lanes {
		if l.cur == g || l.next == g {
			return
		}
	}
	g.retired = true
	s := g.stack
	h.stops.Go(func() {
		if err := s.Stop(); err != nil {
			h.note("stopping a DynamoDB Local: %v", err)
		}
	})
}

// startGeneration starts a DynamoDB Local in the background. Called with mu held.
func (h *Hub) startGeneration() *generation {
	g := &generation{ready: make(chan struct{})}
	h.started++
	h.starting.Go(func() {
		// Only DynamoDB Local starts: the other stand-ins are named, so Start checks them.
		s, err := standins.Start(context.Background(), standins.Options{
			CognitoEndpoint: h.stack.CognitoEndpoint, SESEndpoint: h.stack.SESEndpoint, Log: h.opts.Log,
		})
		h.mu.Lock()
		if err == nil {
			g.stack, g.endpoint = s, s.DynamoDBEndpoint
			h.byURL[g.endpoint] = g
		} else {
			g.err = err
		}
		close(g.ready)
		h.mu.Unlock()
	})
	return g
}

// Close stops the server and every stand-in, waiting for those still starting.
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	var errs []error
	if h.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, h.server.Shutdown(ctx))
		cancel()
	}
	h.starting.Wait()
	h.mu.Lock()
	for _, g := range h.byURL {
		if g.stack != nil && !g.retired {
			g.retired = true
			s := g.stack
			h.stops.Go(func() {
				if err := s.Stop(); err != nil {
					h.note("stopping a DynamoDB Local: %v", err)
				}
			})
		}
	}
	h.mu.Unlock()
	h.stops.Wait()
	errs = append(errs, h.stack.Stop())
	return errors.Join(errs...)
}

func (h *Hub) note(format string, args ...any) {
	if h.opts.Log != nil {
		fmt.Fprintf(h.opts.Log, "hub: "+format+"\n", args...)
	}
}

// table is the body of POST /tables's answer and of POST /tables/done.
type table struct {
	Endpoint string `json:"endpoint"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Get returns the shared stand-ins of the hub at url.
func Get(ctx context.Context, url string) (Endpoints, error) {
	var e Endpoints
	err := call(ctx, http.MethodGet, url+"/stand-ins", nil, &e)
	return e, err
}

// Lease returns the endpoint of the DynamoDB Local where the next table is to be made; call
// Release with it once the table is deleted.
func Lease(ctx context.Context, url string) (string, error) {
	var t table
	err := call(ctx, http.MethodPost, url+"/tables", nil, &t)
	return t.Endpoint, err
}

// Release tells the hub at url that a table leased at endpoint has been deleted.
func Release(ctx context.Context, url, endpoint string) error {
	return call(ctx, http.MethodPost, url+"/tables/done", table{Endpoint: endpoint}, nil)
}

func call(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the run's shared stand-ins (%s): %w", Env, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("the run's shared stand-ins: %s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
