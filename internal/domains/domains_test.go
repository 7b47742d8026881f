package domains

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/roles"
)

// These cases end before any write: the service has no store, and one that reached it would
// panic. What the writes do is tested through the real store (internal/httpapi,
// internal/dynamo).

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func service(r TXTResolver) *Service {
	table, err := maildomains.Open(filepath.Join("..", "..", maildomains.RepoPath))
	if err != nil {
		panic(err)
	}
	return &Service{Resolver: r, PublicMail: table, Now: func() time.Time { return now }, NewID: func() string { return "id" }}
}

// zone is a DNS that answers TXT lookups from a map; a name it lacks has no record.
type zone map[string][]string

func (z zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := z[name]; ok {
		return v, nil
	}
	return nil, errors.New("no such host")
}

func access(kind orgs.Kind, ds ...orgs.Domain) orgs.Access {
	return orgs.Access{
		Org:    orgs.Org{ID: "org1", Kind: kind, Name: "Acme", Domains: ds},
		Member: orgs.Member{OrgID: "org1", UserID: "u1", Email: "ada@acme.com", Role: roles.Admin},
	}
}

func TestAddDomainRefuses(t *testing.T) {
	many := make([]orgs.Domain, MaxDomains)
	for i := range many {
		many[i] = orgs.Domain{Name: "d" + strings.Repeat("x", i) + ".com", Status: orgs.DomainPending}
	}
	cases := []struct {
		name   string
		a      orgs.Access
		domain string
		want   apperr.Kind
		says   string
	}{
		{"a personal account", access(orgs.Personal), "acme.com", apperr.Conflict, "personal"},
		{"no domain name", access(orgs.Shared), "acme", apperr.Invalid, "domain name"},
		{"an address", access(orgs.Shared), "ada@acme.com", apperr.Invalid, "domain name"},
		{"a bare public suffix", access(orgs.Shared), "co.uk", apperr.Invalid, "domain name"},
		{"a free mail provider", access(orgs.Shared), "GMail.com", apperr.Invalid, "free, public or disposable"},
		{"a disposable mail service's subdomain", access(orgs.Shared), "x.mailinator.com", apperr.Invalid, "free, public or disposable"},
		{"one the org has", access(orgs.Shared, orgs.Domain{Name: "acme.com", Status: orgs.DomainPending}), "ACME.com.", apperr.Conflict, "already"},
		{"one too many", access(orgs.Shared, many...), "acme.com", apperr.Conflict, "at most"},
	}
	for _, c := range cases {
		_, err := service(nil).AddDomain(context.Background(), c.a, c.domain)
		if !apperr.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %s saying %q", c.name, err, c.want, c.says)
		}
	}
}

func TestVerifyWithoutAWrite(t *testing.T) {
	dns := orgs.Domain{Name: "acme.com", Status: orgs.DomainVerified, VerifiedBy: orgs.VerifiedByDNS, TXTValue: TXTPrefix + "abc"}
	pending := orgs.Domain{Name: "acme.io", Status: orgs.DomainPending, TXTValue: TXTPrefix + "def"}
	spent := pending
	spent.CodeHash, spent.CodeExpiresAt, spent.CodeTries = "mac", now.Add(time.Hour), 0
	expired := pending
	expired.CodeHash, expired.CodeExpiresAt, expired.CodeTries = "mac", now, CodeTries
	public := orgs.Domain{Name: "gmail.com", Status: orgs.DomainPending}
	a := access(orgs.Shared, dns, pending, public)
	cases := []struct {
		name   string
		a      orgs.Access
		domain string
		in     VerifyInput
		dns    zone
		want   apperr.Kind // "": the domain comes back as it is
		says   string
	}{
		{"a domain the org lacks", a, "other.com", VerifyInput{}, nil, apperr.NotFound, "not found"},
		{"no domain name", a, "nonsense", VerifyInput{}, nil, apperr.NotFound, "not found"},
		{"email and code at once", a, "acme.io", VerifyInput{Email: "it@acme.io", Code: "12345678"}, nil, apperr.Invalid, "not both"},
		{"a public domain added before the lists", a, "gmail.com", VerifyInput{}, nil, apperr.Invalid, "free, public or disposable"},
		{"verified by DNS already: no lookup", a, "ACME.com", VerifyInput{}, nil, "", ""},
		{"a code to another domain's address", a, "acme.io", VerifyInput{Email: "it@acme.com"}, nil, apperr.Invalid, "address at acme.io"},
		{"a code to no address", a, "acme.io", VerifyInput{Email: "nobody"}, nil, apperr.Invalid, "plain email address"},
		{"a code never sent", a, "acme.io", VerifyInput{Code: "12345678"}, nil, apperr.Gone, "request a new one"},
		{"a code with no tries left", access(orgs.Shared, spent), "acme.io", VerifyInput{Code: "12345678"}, nil, apperr.Gone, "request a new one"},
		{"an expired code", access(orgs.Shared, expired), "acme.io", VerifyInput{Code: "12345678"}, nil, apperr.Gone, "request a new one"},
		{"no TXT record", a, "acme.io", VerifyInput{}, zone{}, apperr.Conflict, "no TXT record"},
		{"another TXT record", a, "acme.io", VerifyInput{}, zone{TXTLabel + ".acme.io": {"v=spf1 -all"}}, apperr.Conflict, TXTPrefix + "def"},
	}
	for _, c := range cases {
		var r TXTResolver
		if c.dns != nil {
			r = c.dns
		}
		res, err := service(r).Verify(context.Background(), c.a, c.domain, c.in)
		switch {
		case c.want == "" && (err != nil || res.Domain.Name != dns.Name || res.CodeSent):
			t.Errorf("%s: %+v, %v", c.name, res, err)
		case c.want != "" && (!apperr.Is(err, c.want) || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%s: %v, want %s saying %q", c.name, err, c.want, c.says)
		}
	}
	if _, err := service(nil).Verify(context.Background(), access(orgs.Shared, spent), "acme.io", VerifyInput{Code: "1"}); !errors.Is(err, ErrCodeSpent) {
		t.Errorf("a spent code: %v, want ErrCodeSpent", err)
	}
}

func TestSetPrimaryWithoutAWrite(t *testing.T) {
	primary := orgs.Domain{Name: "acme.com", Status: orgs.DomainVerified, VerifiedBy: orgs.VerifiedByDNS, Primary: true}
	pending := orgs.Domain{Name: "acme.io", Status: orgs.DomainPending}
	a := access(orgs.Shared, primary, pending)
	if _, err := service(nil).SetPrimary(context.Background(), a, "acme.io", true); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a pending domain made primary: %v", err)
	}
	if _, err := service(nil).SetPrimary(context.Background(), a, "acme.com", false); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("primary false: %v", err)
	}
	if d, err := service(nil).SetPrimary(context.Background(), a, "acme.com", true); err != nil || !d.Primary {
		t.Errorf("the primary domain made primary again: %+v, %v", d, err)
	}
	if err := service(nil).RemoveDomain(context.Background(), a, "other.com"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("removing a domain the org lacks: %v", err)
	}
}

func TestCodesAreEightDigits(t *testing.T) {
	for range 100 {
		if c := newCode(); len(c) != 8 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("newCode() = %q", c)
		}
	}
}
