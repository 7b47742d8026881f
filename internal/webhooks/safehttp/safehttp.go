// Package safehttp posts webhook deliveries to customers' URLs without letting a URL reach
// into the vendor's own network (server-side request forgery). A URL must be https; its host
// is resolved when the endpoint is created and again at every attempt, and every address it
// resolves to must be a public unicast one; the connection then goes to the address that was
// checked (no second lookup between the check and the dial), the dialer checks the address it
// actually connects to once more, no proxy from the environment is used, redirects are not
// followed, an attempt ends after Timeout, and only a few bytes of the answer are read.
//
// Local development may allow http://127.0.0.1:<port>/ and http://localhost:<port>/ with an
// explicit port (AllowLoopback), and nothing else of the loopback or private ranges.
package safehttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Timeout bounds one attempt: connecting, sending and the answer's status.
const Timeout = 15 * time.Second

// MaxURLLength bounds a URL.
const MaxURLLength = 2048

// maxResponseRead is how much of an answer's body is read (and thrown away): enough to let a
// small answer complete, never a large one.
const maxResponseRead = 4 << 10

// ErrRefused is what a URL that may not be called fails with; the error's text says why in
// words a customer can act on, without the URL's path or query (which may carry a token).
var ErrRefused = errors.New("webhook URL refused")

// refused returns an ErrRefused error saying why.
func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// Resolver looks up a host's addresses; *net.Resolver is one, tests inject others.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Client posts deliveries. Its zero value uses the system resolver and refuses loopback.
type Client struct {
	// Resolver resolves host names; net.DefaultResolver when nil.
	Resolver Resolver
	// AllowLoopback lets http://127.0.0.1:<port>/… and http://localhost:<port>/… through,
	// with an explicit port: local mode's ALLOW_LOOPBACK_WEBHOOKS, never on in the deployed
	// stack. Other loopback forms (https://localhost/, no port) stay refused.
	AllowLoopback bool
	// Timeout overrides the package's Timeout when set (tests).
	Timeout time.Duration
}

// Target is a URL that passed the checks, with the addresses its host resolved to.
type Target struct {
	URL   *url.URL
	Addrs []netip.Addr
	// loopback: the URL is local mode's 127.0.0.1 or localhost.
	loopback bool
}

// Check parses raw and resolves its host, refusing (ErrRefused) what may not be called.
func (c *Client) Check(ctx context.Context, raw string) (Target, error) {
	if len(raw) > MaxURLLength {
		return Target{}, refused("a URL may have at most %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return Target{}, refused("not an absolute URL")
	}
	if u.User != nil {
		return Target{}, refused("a URL may not carry a user name or password")
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Target{}, refused("the port must be a number from 1 to 65535")
		}
	}
	if c.AllowLoopback && u.Scheme == "http" && u.Port() != "" && isLocalHost(host) {
		return Target{URL: u, Addrs: []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, loopback: true}, nil
	}
	if u.Scheme != "https" {
		return Target{}, refused("the URL must start with https://")
	}
	addrs, err := c.resolve(ctx, host)
	if err != nil {
		return Target{}, err
	}
	return Target{URL: u, Addrs: addrs}, nil
}

// isLocalHost reports whether host is one that local mode allows.
func isLocalHost(host string) bool { return host == "127.0.0.1" || host == "localhost" }

// resolve returns host's addresses when every one of them is public.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if why := NonPublic(a); why != "" {
			return nil, refused("%s is %s", host, why)
		}
		return []netip.Addr{a.Unmap()}, nil
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil, refused("%s is a loopback name", host)
	}
	r := c.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, refused("the host name %s does not resolve", host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		// One non-public address among public ones refuses the name: a resolver's answer order
		// is not ours to choose.
		if why := NonPublic(a); why != "" {
			return nil, refused("%s resolves to %s, which is %s", host, a, why)
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}

// special are ranges that are not public unicast, beyond what netip's predicates name. IPv6
// outside 2000::/3 is refused as a whole (see NonPublic).
var special = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (carrier-grade NAT, 100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved for documentation (192.0.2.0/24)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "the deprecated 6to4 relay range (192.88.99.0/24)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved for documentation (198.51.100.0/24)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved for documentation (203.0.113.0/24)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4, broadcast included)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address (64:ff9b::/96)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address (64:ff9b:1::/48)"},
	{netip.MustParsePrefix("2001::/23"), "reserved for protocol assignments (2001::/23, Teredo included)"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved for documentation (2001:db8::/32)"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address (2002::/16)"},
	{netip.MustParsePrefix("3fff::/20"), "reserved for documentation (3fff::/20)"},
}

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// NonPublic says why a is not a public unicast address, or "" when it is one. IPv4-mapped
// IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address they carry.
func NonPublic(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "not an address"
	case a.Zone() != "":
		return "a scoped (zoned) address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	}
	for _, s := range special {
		if s.prefix.Contains(a) {
			return s.why
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		// ::/96 (IPv4-compatible), 100::/64 (discard), fec0::/10 (site-local) and the
		// rest outside the global unicast range.
		return "not a global unicast IPv6 address"
	}
	if !a.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}

// Result is how an attempt went: the answer's status, or 0 with Err when there was none.
type Result struct {
	Status int
	// Err says why there was no answer (refused, unreachable, timed out); it never carries
	// the URL.
	Err error
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Post resolves raw's host again, checks it, and posts body with header to the checked
// address. It never follows a redirect: a 3xx is the answer.
func (c *Client) Post(ctx context.Context, raw string, header http.Header, body []byte) Result {
	t, err := c.Check(ctx, raw)
	if err != nil {
		return Result{Err: err}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL.String(), bytes.NewReader(body))
	if err != nil {
		return Result{Err: refused("not a URL that can be requested")}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vendorportal-webhooks/1")
	resp, err := c.httpClient(t).Do(req)
	if err != nil {
		return Result{Err: describe(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	return Result{Status: resp.StatusCode}
}

// httpClient returns a client for one attempt at t: it dials t's checked addresses and no
// others, keeps no connection, uses no proxy and follows no redirect. TLS still verifies the
// certificate against the URL's host name, which is also the SNI and the Host header.
func (c *Client) httpClient(t Target) *http.Client {
	port := t.URL.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[t.URL.Scheme]
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: c.control(t.loopback)}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var errs []error
			for _, a := range t.Addrs {
				conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return conn, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
		DisableKeepAlives:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// control checks, as the socket connects, the address it connects to: the last line of
// defence should anything between the check and the dial change the address.
func (c *Client) control(loopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return refused("cannot check the address being dialled")
		}
		if loopback && ap.Addr().Unmap().IsLoopback() {
			return nil
		}
		if why := NonPublic(ap.Addr()); why != "" {
			return refused("the address being dialled is %s", why)
		}
		return nil
	}
}

// describe turns a client error into one without the URL (url.Error carries it).
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, ErrRefused) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer within the timeout")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("no answer within the timeout")
	}
	return fmt.Errorf("could not reach the endpoint: %s", scrub(err.Error()))
}

// scrub keeps an error's text short; the URL is already gone.
func scrub(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
