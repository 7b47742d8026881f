// Package maildomains knows mail domains: their normal form (Normalize: IDNA ASCII, lower
// case, under a public suffix), and the domains of free and public mail providers (gmail.com,
// outlook.com, proton.me, …) and of disposable-mail services: domains whose users' accounts
// nobody owns, so that no org may claim one as its own (package domains).
//
// The table is made by `go generate` from two npm packages pinned in package.json
// (free-email-domains, disposable-email-domains) and embedded at build time; a test checks
// that it is what the pinned packages give.
package maildomains

import (
	_ "embed" // the table
	"strings"
	"sync"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/vendorportal/orgs/internal/apperr"
)

//go:generate go run ./gen

// table is the generated list: a comment line naming its sources, then one lower-case ASCII
// (IDNA) domain a line, sorted, each once. It is searched as it is: no map built at init.
//
//go:embed domains.txt
var table string

// FileName is the generated table's file, beside this package's sources.
const FileName = "domains.txt"

// Public reports whether domain (lower-case, IDNA ASCII) is a free, public or disposable mail
// domain, or a subdomain of one: a@x.mailinator.com is as disposable as a@mailinator.com.
func Public(domain string) bool {
	for d := domain; d != ""; {
		if listed(d) {
			return true
		}
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return false
		}
		d = d[dot+1:]
	}
	return false
}

// listed reports whether d is a line of the table, by a binary search over its lines.
func listed(d string) bool {
	body := table
	if strings.HasPrefix(body, "#") {
		body = body[strings.IndexByte(body, '\n')+1:]
	}
	lo, hi := 0, len(body) // search the lines that start in [lo, hi)
	for lo < hi {
		mid := lo + (hi-lo)/2
		// The line holding mid: back to its start, on to its end.
		start := strings.LastIndexByte(body[:mid], '\n') + 1
		if start < lo {
			start = lo
		}
		end := strings.IndexByte(body[start:], '\n')
		if end < 0 {
			end = len(body) - start
		}
		line := body[start : start+end]
		switch c := strings.Compare(d, line); {
		case c == 0:
			return true
		case c < 0:
			hi = start
		default:
			lo = start + end + 1
		}
	}
	return false
}

var (
	domainOnce sync.Once
	domainIDNA *idna.Profile
)

// domainProfile is the IDNA profile of Normalize, made on first use: a package-level
// one would be made at init, linking IDNA's mapping and bidi tables into every function that
// imports this package, also those that never see a domain.
func domainProfile() *idna.Profile {
	domainOnce.Do(func() {
		domainIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.StrictDomainName(true), idna.Transitional(false))
	})
	return domainIDNA
}

// Normalize returns the domain lower-cased in its IDNA ASCII form, checking that it has
// a public suffix and at least one more label ("acme.com", not "com", nor "example.invalid").
func Normalize(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	bad := apperr.New(apperr.Invalid, "domain must be a domain name such as acme.com: a public suffix and at least one more label")
	if s == "" || len(s) > 253 || strings.ContainsAny(s, "@/: ") {
		return "", bad
	}
	a, err := domainProfile().ToASCII(s)
	if err != nil || !strings.Contains(a, ".") {
		return "", bad
	}
	a = strings.ToLower(a)
	suffix, icann := publicsuffix.PublicSuffix(a)
	if !icann && !strings.Contains(suffix, ".") {
		// An unlisted top-level label: publicsuffix's default rule, not a real suffix.
		return "", bad
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(a); err != nil {
		return "", bad
	}
	return a, nil
}

// Of returns the normalized domain of an address; "" when it has none.
func Of(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	d, err := Normalize(email[at+1:])
	if err != nil {
		return strings.ToLower(email[at+1:])
	}
	return d
}
