package orgs

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
)

// The parts of an org that provisioning (package provisioning) manages but every member
// route needs: the user property definitions, the email domains and the auto-join setting.
// They live on the org item, so the authorization step reads them at no extra cost.

// AutoJoin is what the org offers users of its verified domains.
type AutoJoin string

// The auto-join settings.
const (
	AutoJoinOff     AutoJoin = "off"
	AutoJoinSuggest AutoJoin = "suggest"
	AutoJoinJoin    AutoJoin = "join"
)

// Or returns a, or off when unset: orgs written before the setting existed have none.
func (a AutoJoin) Or() AutoJoin {
	if a == "" {
		return AutoJoinOff
	}
	return a
}

// PropertyType is the type of a user property's values.
type PropertyType string

// The property types.
const (
	PropertyString  PropertyType = "string"
	PropertyNumber  PropertyType = "number"
	PropertyBoolean PropertyType = "boolean"
)

// UserProperty is the definition of one member property.
type UserProperty struct {
	Key      string
	Label    string
	Type     PropertyType
	Required bool
}

// DomainStatus is pending until the org proves it holds the domain.
type DomainStatus string

// The domain statuses.
const (
	DomainPending  DomainStatus = "pending"
	DomainVerified DomainStatus = "verified"
)

// How a verified domain was proven (Domain.VerifiedBy).
const (
	// VerifiedByDNS: the org published the TXT record, so it holds the domain.
	VerifiedByDNS = "dns"
	// VerifiedByEmail: someone read a code mailed to one address at the domain, which
	// proves that one mailbox: enough for usernames, suggestions and auto-join, never for
	// power over the domain's other accounts.
	VerifiedByEmail = "email"
)

// Domain is one of the org's email domains.
type Domain struct {
	Name    string
	Status  DomainStatus
	Primary bool
	// VerifiedBy is VerifiedByDNS or VerifiedByEmail while the domain is verified, "" while
	// it is pending. (A domain verified before the method was recorded reads as by email:
	// nothing proves it was DNS.)
	VerifiedBy string
	// TXTValue is what the DNS TXT record that proves the domain holds.
	TXTValue   string
	CreatedAt  time.Time
	VerifiedAt time.Time
	// The email code under way, if any: only its hash is kept, with the tries left.
	CodeHash      string
	CodeExpiresAt time.Time
	CodeTries     int
}

// VerifiedDomain reports whether the address's domain is one of the org's verified ones.
func (o *Org) VerifiedDomain(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	d := strings.ToLower(email[at+1:])
	for _, x := range o.Domains {
		if x.Name == d && x.Status == DomainVerified {
			return true
		}
	}
	return false
}

// DNSVerifiedDomain reports whether the address's domain is one of the org's domains
// verified by DNS: the org holds the domain, so it may add the domain's existing accounts
// directly and mark the addresses it creates there verified.
func (o *Org) DNSVerifiedDomain(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	d := strings.ToLower(email[at+1:])
	for _, x := range o.Domains {
		if x.Name == d && x.Status == DomainVerified && x.VerifiedBy == VerifiedByDNS {
			return true
		}
	}
	return false
}

// PrimaryDomain returns the primary verified domain, or the first verified one; "" if none.
func (o *Org) PrimaryDomain() string {
	first := ""
	for _, x := range o.Domains {
		if x.Status != DomainVerified {
			continue
		}
		if x.Primary {
			return x.Name
		}
		if first == "" {
			first = x.Name
		}
	}
	return first
}

// MayBeProvisioned reports whether m came the ways by which an org creates identities
// (directly, by import, as a legacy user or through SCIM): only such a member can be one
// whose account this org created, the provisioned member for whom an admin may change name
// and phone or reset the password. It is the quick refusal; what decides is the account's
// own record of the org that created it (Profile.CreatedByOrg), which the write that acts
// on the member checks in its transaction (members.Write.Provisioned; ErrNotProvisioned).
// An account that existed before it joined manages its own sign-in, whatever its domain.
func (o *Org) MayBeProvisioned(m Member) bool {
	switch m.Source {
	case SourceCreated, SourceImport, SourceLegacy, SourceSCIM:
		return true
	}
	return false
}

// NotProvisioned is the refusal of an admin's act on the sign-in or details of a member
// whose account this org did not create.
func NotProvisioned(email string) error {
	return apperr.New(apperr.Forbidden, "%s manages their own sign-in and details: only members whose account this organization created can be changed here", email)
}

// ErrNotProvisioned: the member's account was not created by the org acting on it.
var ErrNotProvisioned = apperr.New(apperr.Forbidden, "this member manages their own sign-in and details: only members whose account this organization created can be changed here")

// ValidPropertyKey reports whether key looks like a property key: ^[a-z][a-zA-Z0-9_]{0,39}$.
// It is written out rather than a package-level regexp, which every function importing this
// package would compile at its cold start.
func ValidPropertyKey(key string) bool {
	if len(key) < 1 || len(key) > 40 || key[0] < 'a' || key[0] > 'z' {
		return false
	}
	for i := 1; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const maxPropertyString = 1000

// ValidateProperties checks values against the org's definitions: an unknown key or a value
// of the wrong type is Invalid; a nil value clears the property (it is left out of the
// result). When creating, every required property must have a value.
func ValidateProperties(defs []UserProperty, in map[string]any, creating bool) (map[string]any, error) {
	byKey := make(map[string]UserProperty, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		d, ok := byKey[k]
		if !ok {
			return nil, apperr.New(apperr.Invalid, "property %q is not defined for this organization", k)
		}
		if v == nil {
			continue
		}
		switch x := v.(type) {
		case string:
			if d.Type != PropertyString {
				return nil, apperr.New(apperr.Invalid, "property %q must be a %s", k, d.Type)
			}
			x, err := cleanText(fmt.Sprintf("property %q", k), x, maxPropertyString, false)
			if err != nil {
				return nil, err
			}
			out[k] = x
		case float64:
			if d.Type != PropertyNumber {
				return nil, apperr.New(apperr.Invalid, "property %q must be a %s", k, d.Type)
			}
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, apperr.New(apperr.Invalid, "property %q must be a finite number", k)
			}
			out[k] = x
		case bool:
			if d.Type != PropertyBoolean {
				return nil, apperr.New(apperr.Invalid, "property %q must be a %s", k, d.Type)
			}
			out[k] = x
		default:
			return nil, apperr.New(apperr.Invalid, "property %q must be a %s", k, d.Type)
		}
	}
	if creating {
		for _, d := range defs {
			if _, ok := out[d.Key]; d.Required && !ok {
				return nil, apperr.New(apperr.Invalid, "property %q is required", d.Key)
			}
		}
	}
	return out, nil
}

// VisibleProperties returns the values of the properties the org still defines: removing a
// definition hides its values without rewriting every member.
func VisibleProperties(defs []UserProperty, props map[string]any) map[string]any {
	out := map[string]any{}
	for _, d := range defs {
		if v, ok := props[d.Key]; ok {
			out[d.Key] = v
		}
	}
	return out
}

// NewAccountFor returns the account a user created by someone else gets (profile, personal
// account, its member and event), unwritten: provisioning writes it in the transaction that
// adds the user to the org.
func (s *Service) NewAccountFor(ctx context.Context, userID, email, name string, now time.Time) NewAccount {
	return s.newAccount(ctx, Caller{ID: userID, Email: email, EmailVerified: true, Name: name}, email, slug(email[:strings.IndexByte(email, '@')]), now)
}

// RetryWithAccount is retryWithAccount for other packages' writes that create an account:
// it reports whether the write should be tried again, and mends pending for it.
func (s *Service) RetryWithAccount(err error, pending **NewAccount) bool {
	return s.retryWithAccount(err, pending)
}

// ValidPhone checks an E.164 number ("" is no phone).
func ValidPhone(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return validPhone(s)
}

// LiveOrg returns the org unless it is missing or deleted (NotFound): for operators, who act
// on any org without being its members.
func (s *Service) LiveOrg(ctx context.Context, id string) (Org, error) {
	os, err := s.Store.Orgs(ctx, []string{id})
	if err != nil {
		return Org{}, err
	}
	if len(os) == 0 || os[0].Deleted() {
		return Org{}, apperr.New(apperr.NotFound, "organization not found")
	}
	return os[0], nil
}
