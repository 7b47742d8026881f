package safehttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers every name with addrs, counting the lookups.
type fakeResolver struct {
	addrs []string
	calls atomic.Int32
	// then, when set, is the answer from the second lookup on (a rebinding name).
	then []string
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, _ string) ([]netip.Addr, error) {
	set := r.addrs
	if r.calls.Add(1) > 1 && r.then != nil {
		set = r.then
	}
	var out []netip.Addr
	for _, s := range set {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// nonPublic are addresses of every kind that must be refused.
var nonPublic = []string{
	"127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1",
	"169.254.169.254", "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250",
	"255.255.255.255", "240.0.0.1", "192.0.0.8", "192.0.2.10", "198.18.0.1", "198.51.100.7", "203.0.113.9",
	"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff05::2", "fec0::1",
	"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
	"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2001:db8::1", "2002:7f00:1::1",
	"2001:0:4136:e378:8000:63bf:3fff:fdd2", "100::1", "3fff::1",
}

func TestNonPublicRefusesEveryReservedRange(t *testing.T) {
	for _, s := range nonPublic {
		if why := NonPublic(netip.MustParseAddr(s)); why == "" {
			t.Errorf("%s passed as public", s)
		}
	}
	for _, s := range []string{"1.1.1.1", "8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"} {
		if why := NonPublic(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s refused: %s", s, why)
		}
	}
}

func TestCheckRefusesNonPublicLiteralAddresses(t *testing.T) {
	c := &Client{Resolver: &fakeResolver{}}
	for _, s := range nonPublic {
		host := s
		if strings.Contains(s, ":") {
			host = "[" + s + "]"
		}
		_, err := c.Check(context.Background(), "https://"+host+"/hook")
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestCheckRefusesNamesResolvingToNonPublicAddresses(t *testing.T) {
	for _, s := range nonPublic {
		r := &fakeResolver{addrs: []string{s}}
		_, err := (&Client{Resolver: r}).Check(context.Background(), "https://hooks.example.com/x")
		if !errors.Is(err, ErrRefused) {
			t.Errorf("name resolving to %s: %v", s, err)
		}
	}
	// One bad address among good ones refuses the name.
	r := &fakeResolver{addrs: []string{"8.8.8.8", "10.1.2.3"}}
	if _, err := (&Client{Resolver: r}).Check(context.Background(), "https://hooks.example.com/x"); !errors.Is(err, ErrRefused) {
		t.Errorf("mixed answer: %v", err)
	}
}

func TestCheckAcceptsAPublicHTTPSURL(t *testing.T) {
	r := &fakeResolver{addrs: []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}}
	tg, err := (&Client{Resolver: r}).Check(context.Background(), "https://hooks.example.com:8443/in?x=1")
	if err != nil || len(tg.Addrs) != 2 || tg.URL.Hostname() != "hooks.example.com" {
		t.Fatalf("Check = %+v, %v", tg, err)
	}
}

func TestCheckRefusesWhatIsNotAnHTTPSURL(t *testing.T) {
	c := &Client{Resolver: &fakeResolver{addrs: []string{"8.8.8.8"}}}
	for _, raw := range []string{
		"http://hooks.example.com/", "ftp://hooks.example.com/", "hooks.example.com/x", "/relative",
		"https://user:pw@hooks.example.com/", "https:///nohost", "https://hooks.example.com:0/",
		"https://hooks.example.com:70000/", "https://localhost/", "https://app.localhost/",
		"https://[fe80::1%25eth0]/", "https://" + strings.Repeat("a", MaxURLLength) + ".com/",
		"http://127.0.0.1:8080/", "http://localhost:8080/",
	} {
		if _, err := c.Check(context.Background(), raw); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// Local mode allows exactly the contract's development forms: http to 127.0.0.1 or localhost
// with an explicit port. https://localhost/ and the other loopback forms stay refused.
func TestLoopbackModeAllowsOnlyLocalhostAnd127001(t *testing.T) {
	c := &Client{Resolver: &fakeResolver{addrs: []string{"10.0.0.1"}}, AllowLoopback: true}
	for _, raw := range []string{"http://127.0.0.1:8080/hook", "http://localhost:9000/", "http://LOCALHOST:9000/x"} {
		if _, err := c.Check(context.Background(), raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	for _, raw := range []string{"http://127.0.0.2:8080/", "http://[::1]:8080/", "http://10.0.0.1/", "http://internal.example.com/", "https://169.254.169.254/",
		"https://localhost/", "https://localhost:9443/", "https://127.0.0.1/", "https://127.0.0.1:8443/", "http://localhost/", "http://127.0.0.1/",
		"http://localhost:/", "http://localhost.:8080/", "https://app.localhost:8443/", "http://0.0.0.0:8080/", "http://127.1:8080/"} {
		if _, err := c.Check(context.Background(), raw); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestPostResolvesAgainAndRefusesARebindingName(t *testing.T) {
	r := &fakeResolver{addrs: []string{"8.8.8.8"}, then: []string{"127.0.0.1"}}
	c := &Client{Resolver: r}
	if _, err := c.Check(context.Background(), "https://rebind.example.com/"); err != nil {
		t.Fatal(err)
	}
	res := c.Post(context.Background(), "https://rebind.example.com/", nil, []byte(`{}`))
	if !errors.Is(res.Err, ErrRefused) || res.Status != 0 || r.calls.Load() != 2 {
		t.Fatalf("Post = %+v after %d lookups", res, r.calls.Load())
	}
}

func TestPostDialsTheCheckedAddressNotASecondLookup(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Host)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	// localhost is never looked up in loopback mode: the client dials 127.0.0.1 itself; the
	// Host header stays the URL's.
	c := &Client{Resolver: &fakeResolver{addrs: []string{"10.9.9.9"}}, AllowLoopback: true}
	res := c.Post(context.Background(), "http://localhost:"+port+"/hook", nil, []byte(`{}`))
	if res.Status != http.StatusNoContent || !res.OK() || got.Load() != "localhost:"+port {
		t.Fatalf("Post = %+v, host %v", res, got.Load())
	}
}

func TestPostFollowsNoRedirect(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &Client{AllowLoopback: true}
	res := c.Post(context.Background(), srv.URL+"/hook", nil, []byte(`{}`))
	if res.Status != http.StatusTemporaryRedirect || res.OK() || hits.Load() != 1 {
		t.Fatalf("Post = %+v, %d hits", res, hits.Load())
	}
}

func TestPostGivesUpAfterTheTimeoutWithoutTheURLInTheError(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	c := &Client{AllowLoopback: true, Timeout: 200 * time.Millisecond}
	start := time.Now()
	res := c.Post(context.Background(), srv.URL+"/hook?token=s3cr3t", nil, []byte(`{}`))
	if res.Status != 0 || res.Err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Post = %+v after %v", res, time.Since(start))
	}
	if strings.Contains(res.Err.Error(), "s3cr3t") || strings.Contains(res.Err.Error(), "/hook") {
		t.Fatalf("the error carries the URL: %v", res.Err)
	}
}

func TestPostSendsHeadersAndBody(t *testing.T) {
	type seen struct{ ct, id, body string }
	ch := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		ch <- seen{r.Header.Get("Content-Type"), r.Header.Get("webhook-id"), string(b[:n])}
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer srv.Close()
	c := &Client{AllowLoopback: true}
	res := c.Post(context.Background(), srv.URL, http.Header{"Webhook-Id": {"01abc"}}, []byte(`{"a":1}`))
	s := <-ch
	if !res.OK() || s.ct != "application/json" || s.id != "01abc" || s.body != `{"a":1}` {
		t.Fatalf("Post = %+v, server saw %+v", res, s)
	}
}

func TestTheDialerRefusesANonPublicAddressEvenPastTheCheck(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	ap := netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
	// A target that (wrongly) holds a loopback address without being local mode's.
	tg, err := (&Client{AllowLoopback: true}).Check(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tg.loopback = false
	tg.Addrs = []netip.Addr{ap.Addr()}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	_, err = (&Client{}).httpClient(tg).Do(req)
	if !errors.Is(err, ErrRefused) || hits.Load() != 0 {
		t.Fatalf("Do = %v, %d hits", err, hits.Load())
	}
}
