package maildomains_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
)

func TestNormalizeGivesOneFormOrRefuses(t *testing.T) {
	cases := []struct {
		in, want string // want "": refused as Invalid
	}{
		{"acme.com", "acme.com"},
		{"  Acme.COM. ", "acme.com"},
		{"mail.acme.co.uk", "mail.acme.co.uk"},
		{"Bücher.de", "xn--bcher-kva.de"},
		{"xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"ACME.example.com", "acme.example.com"},
		{"", ""},
		{"com", ""},
		{"co.uk", ""},
		{"acme.invalid", ""},
		{"localhost", ""},
		{"ada@acme.com", ""},
		{"https://acme.com", ""},
		{"acme.com/x", ""},
		{"acme .com", ""},
		{"-acme.com", ""},
	}
	for _, c := range cases {
		got, err := maildomains.Normalize(c.in)
		switch {
		case c.want == "" && !apperr.Is(err, apperr.Invalid):
			t.Errorf("Normalize(%q) = %q, %v; want Invalid", c.in, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestOfIsTheNormalizedDomainOfAnAddress(t *testing.T) {
	cases := map[string]string{
		"ada@acme.com":           "acme.com",
		"Ada@ACME.com":           "acme.com",
		"ada@Bücher.de":          "xn--bcher-kva.de",
		"a@b@mail.acme.co.uk":    "mail.acme.co.uk",
		"ada@localhost":          "localhost", // not a domain an org can hold: lower-cased as it is
		"no-address":             "",
		"ada@sub.mailinator.com": "sub.mailinator.com",
	}
	for in, want := range cases {
		if got := maildomains.Of(in); got != want {
			t.Errorf("Of(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublicCoversProvidersAndTheirSubdomains(t *testing.T) {
	table, err := maildomains.Open(maildomains.FileName)
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{
		"gmail.com": true, "outlook.com": true, "mailinator.com": true, "x.mailinator.com": true,
		"acme.com": false, "gmail.com.acme.com": false, "notgmail.com": false,
	} {
		if got, err := table.Public(d); err != nil || got != want {
			t.Errorf("Public(%q) = %v, %v, want %v", d, got, err, want)
		}
	}
}
