package orgs

import "testing"

// A domain's standing: only a verified domain counts for an address, only one verified by
// DNS gives power over the domain's accounts, and the primary one is the verified one marked
// so, else the first verified.
func TestDomainStanding(t *testing.T) {
	dns := Domain{Name: "acme.com", Status: DomainVerified, VerifiedBy: VerifiedByDNS}
	code := Domain{Name: "acme.io", Status: DomainVerified, VerifiedBy: VerifiedByEmail}
	pending := Domain{Name: "acme.dev", Status: DomainPending}
	cases := []struct {
		name     string
		domains  []Domain
		email    string
		verified bool
		byDNS    bool
		primary  string
	}{
		{"no domains", nil, "ada@acme.com", false, false, ""},
		{"verified by DNS", []Domain{dns}, "ada@acme.com", true, true, "acme.com"},
		{"the address's domain in another case", []Domain{dns}, "ada@ACME.com", true, true, "acme.com"},
		{"verified by a code", []Domain{code}, "ada@acme.io", true, false, "acme.io"},
		{"pending", []Domain{pending}, "ada@acme.dev", false, false, ""},
		{"a subdomain is another domain", []Domain{dns}, "ada@mail.acme.com", false, false, "acme.com"},
		{"no address", []Domain{dns}, "acme.com", false, false, "acme.com"},
		{"the first verified is primary", []Domain{pending, code, dns}, "ada@acme.dev", false, false, "acme.io"},
		{"the one marked primary", []Domain{code, func() Domain { d := dns; d.Primary = true; return d }()}, "ada@acme.io", true, false, "acme.com"},
		{"a pending one marked primary is not", []Domain{func() Domain { d := pending; d.Primary = true; return d }(), dns}, "ada@acme.com", true, true, "acme.com"},
	}
	for _, c := range cases {
		o := Org{Domains: c.domains}
		if got := o.VerifiedDomain(c.email); got != c.verified {
			t.Errorf("%s: VerifiedDomain(%q) = %v", c.name, c.email, got)
		}
		if got := o.DNSVerifiedDomain(c.email); got != c.byDNS {
			t.Errorf("%s: DNSVerifiedDomain(%q) = %v", c.name, c.email, got)
		}
		if got := o.PrimaryDomain(); got != c.primary {
			t.Errorf("%s: PrimaryDomain() = %q, want %q", c.name, got, c.primary)
		}
	}
}
