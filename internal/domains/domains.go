// Package domains is an org's email domains: adding one (never a free, public or disposable
// mail provider's), proving the org holds it (a DNS TXT record, or a code mailed to an address
// at it, which a DNS proof elsewhere overrides), the primary domain that completes usernames,
// removing one, and joining an org by one's verified address (auto-join: suggestions and
// joins). The domains live on the org item (orgs.Domain); their writes are provisioning's
// (provisioning.Store: SaveOrg, DomainOwner, JoinContext, AddMember); a domain name's normal
// form is maildomains.Normalize.
package domains

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/seal"
	"github.com/vendorportal/orgs/internal/tokens"
)

// Domain verification.
const (
	// MaxDomains bounds an org's domains (they live on the org item).
	MaxDomains = 20
	// CodeTries is how many wrong codes end a code.
	CodeTries    = 5
	codeLifetime = time.Hour
	// TXTPrefix is the DNS TXT record's value before the token; the record's name is
	// TXTLabel.<domain>.
	TXTPrefix = "vendorportal-verification="
	TXTLabel  = "_vendorportal"
)

// PublicMail reports whether a domain is a free, public or disposable mail provider's, or a
// subdomain of one (*maildomains.Table).
type PublicMail interface {
	Public(domain string) (bool, error)
}

// TXTResolver looks up DNS TXT records (net.DefaultResolver in production).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Service runs the domain use cases.
type Service struct {
	Store provisioning.Store
	// Accounts builds the account of a user whose first call is a join
	// (orgs.Service.NewAccountFor) and reads the org that loses a domain.
	Accounts *orgs.Service
	Resolver TXTResolver
	// PublicMail knows the free, public and disposable mail domains, which no org may claim:
	// set in the services of the routes that add and verify domains (Route.MailDomains), and
	// only there, for the table is a file only their functions get.
	PublicMail PublicMail
	// Sealer seals the outbox messages that carry a code (seal.Derive(secret, "outbox"),
	// provisioning.SealPurpose); CodeKey MACs the codes kept in the table. Both are unset in
	// the service of the routes that send no code (app.Env.Domains).
	Sealer  seal.Key
	CodeKey seal.Key
	AppURL  string
	// DailyEmailLimit and UserDailyEmailLimit are the email budgets a code counts against
	// (as provisioning.Service's).
	DailyEmailLimit     int
	UserDailyEmailLimit int
	Now                 func() time.Time
	NewID               func() string
}

// event returns an organization event of orgID about target, stamped.
func (s *Service) event(ctx context.Context, orgID string, actor audit.Actor, action string, target audit.Target, summary string, details map[string]any) audit.Event {
	if details == nil {
		details = map[string]any{}
	}
	ev := audit.Event{
		OrgID: orgID, Category: audit.Organization, Action: action,
		Actor: actor, Target: target, Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

// actorOf is the acting member as an event's actor.
func actorOf(a orgs.Access) audit.Actor {
	return audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
}

// oneEmail is the budget of a request that sends one email (a code), counted in its
// transaction: one of the org's daily emails and one of the acting member's.
func (s *Service) oneEmail(orgID, userID string) *ratelimit.Use {
	u := ratelimit.EmailLimits{Org: s.DailyEmailLimit, User: s.UserDailyEmailLimit}.Emails(orgID, userID, 1, s.Now())
	return &u
}

// ErrCodeSpent: the code was tried too often, expired or never sent.
var ErrCodeSpent = apperr.New(apperr.Gone, "this verification code can no longer be used: request a new one")

func findDomain(o orgs.Org, name string) int {
	return slices.IndexFunc(o.Domains, func(d orgs.Domain) bool { return d.Name == name })
}

// domainOf returns the org's domain named by a path parameter; NotFound when it has none.
func domainOf(o orgs.Org, raw string) (int, string, error) {
	name, err := maildomains.Normalize(raw)
	if err != nil {
		return -1, "", apperr.New(apperr.NotFound, "domain not found")
	}
	i := findDomain(o, name)
	if i < 0 {
		return -1, "", apperr.New(apperr.NotFound, "domain not found")
	}
	return i, name, nil
}

// ownable refuses the domain of a free, public or disposable mail provider: nobody owns its
// users' accounts, so no org may claim it (the lists: package maildomains).
func (s *Service) ownable(name string) error {
	if s.PublicMail == nil {
		return fmt.Errorf("domains: the service has no table of public mail domains (Route.MailDomains)")
	}
	public, err := s.PublicMail.Public(name)
	if err != nil {
		return err
	}
	if public {
		return apperr.New(apperr.Invalid, "%s is the domain of a free, public or disposable mail provider: no organization owns its users' accounts", name)
	}
	return nil
}

// AddDomain adds a pending domain, with the TXT record that proves it.
func (s *Service) AddDomain(ctx context.Context, a orgs.Access, raw string) (orgs.Domain, error) {
	if a.Org.Kind != orgs.Shared {
		return orgs.Domain{}, apperr.New(apperr.Conflict, "a personal account has no domains")
	}
	name, err := maildomains.Normalize(raw)
	if err != nil {
		return orgs.Domain{}, err
	}
	if err := s.ownable(name); err != nil {
		return orgs.Domain{}, err
	}
	if findDomain(a.Org, name) >= 0 {
		return orgs.Domain{}, apperr.New(apperr.Conflict, "%s is one of the organization's domains already", name)
	}
	if len(a.Org.Domains) >= MaxDomains {
		return orgs.Domain{}, apperr.New(apperr.Conflict, "an organization may have at most %d domains", MaxDomains)
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	d := orgs.Domain{Name: name, Status: orgs.DomainPending, TXTValue: TXTPrefix + hex.EncodeToString(tok), CreatedAt: s.Now().Truncate(time.Second)}
	after := a.Org
	after.Domains = append(slices.Clone(a.Org.Domains), d)
	ev := s.event(ctx, a.Org.ID, actorOf(a), "domain.added", audit.Target{Type: "domain", ID: name, Label: name},
		fmt.Sprintf("%s added the domain %s", a.Member.Email, name), map[string]any{"domain": name})
	if err := s.Store.SaveOrg(ctx, provisioning.OrgWrite{Before: a.Org, After: after, Actor: a.Member, Event: &ev}); err != nil {
		return orgs.Domain{}, err
	}
	return d, nil
}

// VerifyInput is one of the three ways of POST .../verify: nothing (check DNS), an address
// at the domain (mail a code to it), or the code.
type VerifyInput struct {
	Email string
	Code  string
}

// VerifyResult says what a verify call did: verified the domain, or sent a code.
type VerifyResult struct {
	Domain   orgs.Domain
	CodeSent bool
}

// Verify proves the org holds a domain: by its DNS TXT record, or by a code mailed to an
// address at it.
func (s *Service) Verify(ctx context.Context, a orgs.Access, raw string, in VerifyInput) (VerifyResult, error) {
	i, name, err := domainOf(a.Org, raw)
	if err != nil {
		return VerifyResult{}, err
	}
	d := a.Org.Domains[i]
	if err := s.ownable(name); err != nil {
		// Added before the lists refused it.
		return VerifyResult{}, err
	}
	switch {
	case in.Email != "" && in.Code != "":
		return VerifyResult{}, apperr.New(apperr.Invalid, "give email (to get a code) or code (to verify), not both")
	case d.Status == orgs.DomainVerified && in.Email == "" && (in.Code != "" || d.VerifiedBy == orgs.VerifiedByDNS):
		return VerifyResult{Domain: d}, nil
	case in.Email != "":
		return s.sendCode(ctx, a, i, in.Email)
	case in.Code != "":
		return s.checkCode(ctx, a, i, in.Code)
	}
	records, err := s.Resolver.LookupTXT(ctx, TXTLabel+"."+name)
	if err != nil || !slices.Contains(records, d.TXTValue) {
		found := "no TXT record"
		if len(records) > 0 {
			found = fmt.Sprintf("TXT records %q", records)
		}
		return VerifyResult{}, apperr.New(apperr.Conflict, "%s.%s has %s; add a TXT record with the value %s and try again (DNS changes may take a while to show)", TXTLabel, name, found, d.TXTValue)
	}
	return s.verified(ctx, a, i, orgs.VerifiedByDNS)
}

// verified marks domain i verified by method (primary when it is the first), claiming its
// guard. A DNS verification of a domain that another org holds verified only by an email
// code takes it from that org (takeFrom): DNS proves the domain, a code one mailbox at it.
func (s *Service) verified(ctx context.Context, a orgs.Access, i int, method string) (VerifyResult, error) {
	after := a.Org
	after.Domains = slices.Clone(a.Org.Domains)
	d := &after.Domains[i]
	already := d.Status == orgs.DomainVerified
	d.Status, d.VerifiedBy, d.VerifiedAt = orgs.DomainVerified, method, s.Now().Truncate(time.Second)
	d.CodeHash, d.CodeExpiresAt, d.CodeTries = "", time.Time{}, 0
	d.Primary = d.Primary || a.Org.PrimaryDomain() == ""
	ev := s.event(ctx, a.Org.ID, actorOf(a), "domain.verified", audit.Target{Type: "domain", ID: d.Name, Label: d.Name},
		fmt.Sprintf("%s verified the domain %s (%s)", a.Member.Email, d.Name, method), map[string]any{"domain": d.Name, "method": method})
	w := provisioning.OrgWrite{Before: a.Org, After: after, Actor: a.Member, Event: &ev}
	if !already {
		// A domain verified by code and now by DNS holds its guard already.
		w.Claim = d.Name
	}
	err := s.Store.SaveOrg(ctx, w)
	if errors.Is(err, provisioning.ErrDomainTaken) && method == orgs.VerifiedByDNS {
		if w.Take, err = s.takeFrom(ctx, d.Name); err == nil {
			err = s.Store.SaveOrg(ctx, w)
		}
	}
	if err != nil {
		return VerifyResult{}, err
	}
	return VerifyResult{Domain: *d}, nil
}

// takeFrom returns the change that takes domain from the org that holds it verified only by
// an email code: its domain goes back to pending (so its auto-join by it stops, and it
// completes no username), another verified domain becomes primary if it was, it logs the
// loss and its admins get an email. provisioning.ErrDomainTaken when the holder proved it by DNS too.
func (s *Service) takeFrom(ctx context.Context, domain string) (*provisioning.DomainTake, error) {
	owner, err := s.Store.DomainOwner(ctx, domain)
	if apperr.Is(err, apperr.NotFound) {
		// Released meanwhile: try again as a plain claim.
		return nil, apperr.New(apperr.Conflict, "the domain's verification changed meanwhile; try again")
	}
	if err != nil {
		return nil, err
	}
	holder, err := s.Accounts.LiveOrg(ctx, owner)
	if apperr.Is(err, apperr.NotFound) {
		return nil, provisioning.ErrDomainTaken
	}
	if err != nil {
		return nil, err
	}
	i := findDomain(holder, domain)
	if i < 0 || holder.Domains[i].Status != orgs.DomainVerified || holder.Domains[i].VerifiedBy != orgs.VerifiedByEmail {
		return nil, provisioning.ErrDomainTaken
	}
	after := holder
	after.Domains = slices.Clone(holder.Domains)
	lost := &after.Domains[i]
	wasPrimary := lost.Primary
	lost.Status, lost.VerifiedBy, lost.VerifiedAt, lost.Primary = orgs.DomainPending, "", time.Time{}, false
	if wasPrimary {
		for j := range after.Domains {
			if after.Domains[j].Status == orgs.DomainVerified {
				after.Domains[j].Primary = true
				break
			}
		}
	}
	ev := s.event(ctx, holder.ID, audit.Actor{Type: audit.ActorSystem, ID: "domains"}, "domain.unverified",
		audit.Target{Type: "domain", ID: domain, Label: domain},
		fmt.Sprintf("%s is pending again: another organization proved by DNS that it holds the domain, which this one had verified by an email code only", domain),
		map[string]any{"domain": domain, "reason": "verified by DNS elsewhere"})
	msg, err := lostMessage().Render("", map[string]string{"Org": holder.Name, "Domain": domain, "URL": s.AppURL})
	if err != nil {
		return nil, err
	}
	notice, err := outbox.New(s.NewID(), holder.ID, tokens.KindNotifyAdmins, tokens.NotifyAdmins{OrgID: holder.ID, Message: msg, Purpose: "domain-lost"})
	if err != nil {
		return nil, err
	}
	return &provisioning.DomainTake{Before: holder, After: after, Event: ev, Outbox: []outbox.Message{notice}}, nil
}

var (
	lostOnce     sync.Once
	lostTemplate *mail.Template
)

// lostMessage is the email to an org's admins whose domain another org proved by DNS: rendered
// without a recipient, the notify-admins fan-out addresses a copy to each admin.
func lostMessage() *mail.Template {
	lostOnce.Do(func() {
		lostTemplate = mail.MustTemplate("domain-lost",
			"{{.Domain}} is no longer verified for {{.Org}}",
			"Hello,\n\nThe organization {{.Org}} had verified the domain {{.Domain}} with a code mailed to one address at it. Another organization has now proven by DNS that it holds the domain, which counts over an email code.\n\n{{.Domain}} is pending again for {{.Org}}: it no longer completes usernames, and auto-join by it has stopped. If your organization holds the domain, publish its DNS TXT record (see the domain in {{.URL}}) and verify it again.\n",
			`<p>Hello,</p><p>The organization {{.Org}} had verified the domain {{.Domain}} with a code mailed to one address at it. Another organization has now proven by DNS that it holds the domain, which counts over an email code.</p><p>{{.Domain}} is pending again for {{.Org}}: it no longer completes usernames, and auto-join by it has stopped. If your organization holds the domain, publish its DNS TXT record (see the domain in <a href="{{.URL}}">{{.URL}}</a>) and verify it again.</p>`)
	})
	return lostTemplate
}

// codeMessage is the email carrying a domain's verification code.
var (
	codeOnce     sync.Once
	codeTemplate *mail.Template
)

// codeMessage parses the template on first use: a package-level one would be parsed at the cold
// start of every function that imports this package, and linked into all of them.
func codeMessage() *mail.Template {
	codeOnce.Do(func() {
		codeTemplate = mail.MustTemplate("domain-code",
			"Your verification code for {{.Domain}}",
			"{{.Actor}} asked to verify that {{.Org}} holds the domain {{.Domain}}.\n\nThe code: {{.Code}}\n\nIt works for an hour. If you did not expect this, ignore this email.\n",
			`<p>{{.Actor}} asked to verify that {{.Org}} holds the domain {{.Domain}}.</p><p>The code: <strong>{{.Code}}</strong></p><p>It works for an hour. If you did not expect this, ignore this email.</p>`)
	})
	return codeTemplate
}

func (s *Service) sendCode(ctx context.Context, a orgs.Access, i int, email string) (VerifyResult, error) {
	addr, err := orgs.NormalizeEmail("email", email)
	if err != nil {
		return VerifyResult{}, err
	}
	d := a.Org.Domains[i]
	if maildomains.Of(addr) != d.Name {
		return VerifyResult{}, apperr.New(apperr.Invalid, "email must be an address at %s", d.Name)
	}
	code := newCode()
	after := a.Org
	after.Domains = slices.Clone(a.Org.Domains)
	nd := &after.Domains[i]
	nd.CodeHash, nd.CodeExpiresAt, nd.CodeTries = s.codeMAC(a.Org.ID, d.Name, code), s.Now().Add(codeLifetime), CodeTries
	msg, err := codeMessage().Render(addr, map[string]string{"Actor": a.Member.Email, "Org": a.Org.Name, "Domain": d.Name, "Code": code})
	if err != nil {
		return VerifyResult{}, err
	}
	out, err := provisioning.SealEmail(s.Sealer, s.NewID(), a.Org.ID, outbox.Email{Message: msg, Purpose: "domain-code"})
	if err != nil {
		return VerifyResult{}, err
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "domain.code_sent", audit.Target{Type: "domain", ID: d.Name, Label: d.Name},
		fmt.Sprintf("%s had a verification code for %s sent to %s", a.Member.Email, d.Name, addr), map[string]any{"domain": d.Name, "email": addr})
	if err := s.Store.SaveOrg(ctx, provisioning.OrgWrite{Before: a.Org, After: after, Actor: a.Member, Event: &ev, Outbox: []outbox.Message{out}, Budget: s.oneEmail(a.Org.ID, a.Member.UserID)}); err != nil {
		return VerifyResult{}, err
	}
	return VerifyResult{Domain: *nd, CodeSent: true}, nil
}

func (s *Service) checkCode(ctx context.Context, a orgs.Access, i int, code string) (VerifyResult, error) {
	d := a.Org.Domains[i]
	if d.CodeHash == "" || d.CodeTries <= 0 || !s.Now().Before(d.CodeExpiresAt) {
		return VerifyResult{}, ErrCodeSpent
	}
	code = strings.TrimSpace(code)
	if hmac.Equal([]byte(s.codeMAC(a.Org.ID, d.Name, code)), []byte(d.CodeHash)) {
		return s.verified(ctx, a, i, orgs.VerifiedByEmail)
	}
	// A wrong code spends a try, on condition that the tries are still as read: two wrong
	// codes at once can't both spend the same one.
	after := a.Org
	after.Domains = slices.Clone(a.Org.Domains)
	nd := &after.Domains[i]
	nd.CodeTries--
	if nd.CodeTries == 0 {
		nd.CodeHash, nd.CodeExpiresAt = "", time.Time{}
	}
	if err := s.Store.SaveOrg(ctx, provisioning.OrgWrite{Before: a.Org, After: after}); err != nil {
		return VerifyResult{}, err
	}
	if nd.CodeTries == 0 {
		return VerifyResult{}, ErrCodeSpent
	}
	return VerifyResult{}, apperr.New(apperr.Invalid, "that code is wrong; %d tries left", nd.CodeTries)
}

// codeMAC is what the table keeps of a code: a MAC under the server's key, bound to the org
// and the domain, so that a copy of the table does not reveal a code (a bare hash of eight
// digits would).
func (s *Service) codeMAC(orgID, domain, code string) string {
	return hex.EncodeToString(s.CodeKey.MAC([]byte(orgID + "\x00" + domain + "\x00" + code)))
}

// newCode returns eight random digits.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		panic("domains: random code: " + err.Error())
	}
	return fmt.Sprintf("%08d", n.Int64())
}

// SetPrimary makes a verified domain the primary one, which completes usernames.
func (s *Service) SetPrimary(ctx context.Context, a orgs.Access, raw string, primary bool) (orgs.Domain, error) {
	i, name, err := domainOf(a.Org, raw)
	if err != nil {
		return orgs.Domain{}, err
	}
	if !primary {
		return orgs.Domain{}, apperr.New(apperr.Invalid, "primary can only be set to true: make another domain primary instead")
	}
	if a.Org.Domains[i].Status != orgs.DomainVerified {
		return orgs.Domain{}, apperr.New(apperr.Conflict, "verify %s before making it primary", name)
	}
	if a.Org.Domains[i].Primary {
		return a.Org.Domains[i], nil
	}
	after := a.Org
	after.Domains = slices.Clone(a.Org.Domains)
	for j := range after.Domains {
		after.Domains[j].Primary = j == i
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "domain.updated", audit.Target{Type: "domain", ID: name, Label: name},
		fmt.Sprintf("%s made %s the primary domain", a.Member.Email, name), map[string]any{"domain": name, "primary": true})
	if err := s.Store.SaveOrg(ctx, provisioning.OrgWrite{Before: a.Org, After: after, Actor: a.Member, Event: &ev}); err != nil {
		return orgs.Domain{}, err
	}
	return after.Domains[i], nil
}

// RemoveDomain removes a domain; members stay. A verified domain's guard goes with it, and
// when it was primary another verified domain (if any) becomes primary.
func (s *Service) RemoveDomain(ctx context.Context, a orgs.Access, raw string) error {
	i, name, err := domainOf(a.Org, raw)
	if err != nil {
		return err
	}
	gone := a.Org.Domains[i]
	after := a.Org
	after.Domains = slices.Delete(slices.Clone(a.Org.Domains), i, i+1)
	if gone.Primary {
		for j := range after.Domains {
			if after.Domains[j].Status == orgs.DomainVerified {
				after.Domains[j].Primary = true
				break
			}
		}
	}
	w := provisioning.OrgWrite{Before: a.Org, After: after, Actor: a.Member}
	if gone.Status == orgs.DomainVerified {
		w.Release = name
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "domain.removed", audit.Target{Type: "domain", ID: name, Label: name},
		fmt.Sprintf("%s removed the domain %s", a.Member.Email, name), map[string]any{"domain": name, "status": string(gone.Status)})
	w.Event = &ev
	return s.Store.SaveOrg(ctx, w)
}

// Suggestion is an org a user may join by their address's domain.
type Suggestion struct {
	Org orgs.Org
}

// callerEmail is the caller's verified address: the ID token's verified claim, or the
// profile's (access tokens carry none).
func callerEmail(c orgs.Caller, p *orgs.Profile) (string, error) {
	if p != nil && p.Email != "" {
		if !p.VerifiedBy(c) {
			// An address an org created an account for and mailed elsewhere: a domain
			// match proves nothing of who holds it.
			return "", orgs.ErrEmailUnverified
		}
		return p.Email, nil
	}
	if c.Email != "" && c.EmailVerified {
		return orgs.NormalizeEmail("email", c.Email)
	}
	if c.Email != "" {
		return "", apperr.New(apperr.Forbidden, "verify your email address first")
	}
	return "", apperr.New(apperr.Unauthenticated, "this needs an ID token (it carries the email address) or an account")
}

// Suggested returns the org, if any, whose verified domain is the caller's address's, that
// offers auto-join and that the caller is not a member of. With an ID token it costs two
// round trips: the domain's guard, then the org with the caller's membership of it.
func (s *Service) Suggested(ctx context.Context, c orgs.Caller) ([]orgs.Org, error) {
	var profile *orgs.Profile
	if c.Email == "" || !c.EmailVerified {
		// An access token: the address is the profile's (one more read).
		jc, err := s.Store.JoinContext(ctx, "-", c.ID, "")
		if err != nil {
			return nil, err
		}
		profile = jc.Profile
	}
	email, err := callerEmail(c, profile)
	if err != nil {
		return nil, err
	}
	owner, err := s.Store.DomainOwner(ctx, maildomains.Of(email))
	if apperr.Is(err, apperr.NotFound) {
		return []orgs.Org{}, nil
	}
	if err != nil {
		return nil, err
	}
	jc, err := s.Store.JoinContext(ctx, owner, c.ID, "")
	if err != nil {
		return nil, err
	}
	if jc.Org == nil || jc.Org.Deleted() || jc.Member || jc.Org.AutoJoin.Or() == orgs.AutoJoinOff || !jc.Org.VerifiedDomain(email) {
		return []orgs.Org{}, nil
	}
	return []orgs.Org{*jc.Org}, nil
}

// Join makes the caller a user of the org whose verified domain is their address's and whose
// autoJoin is join; anything else is NotFound (nobody learns of an org they may not join).
// One round trip reads the org, the caller's membership and profile and the domain's guard;
// the second writes the membership (with the caller's account when it is their first call).
func (s *Service) Join(ctx context.Context, c orgs.Caller, orgID string) (orgs.Member, error) {
	notFound := apperr.New(apperr.NotFound, "organization not found")
	domain := ""
	if c.Email != "" && c.EmailVerified {
		domain = maildomains.Of(strings.ToLower(c.Email))
	}
	jc, err := s.Store.JoinContext(ctx, orgID, c.ID, domain)
	if err != nil {
		return orgs.Member{}, err
	}
	email, err := callerEmail(c, jc.Profile)
	if err != nil {
		return orgs.Member{}, err
	}
	if maildomains.Of(email) != domain {
		// The profile's address differs from the token's: look up its domain's guard.
		domain = maildomains.Of(email)
		if jc.DomainOwner, err = s.Store.DomainOwner(ctx, domain); err != nil && !apperr.Is(err, apperr.NotFound) {
			return orgs.Member{}, err
		}
	}
	o := jc.Org
	if o == nil || o.Deleted() || o.Kind != orgs.Shared || jc.DomainOwner != o.ID || o.AutoJoin.Or() != orgs.AutoJoinJoin || !o.VerifiedDomain(email) {
		return orgs.Member{}, notFound
	}
	if jc.Member {
		return orgs.Member{}, orgs.ErrAlreadyMember
	}
	now := s.Now()
	m := orgs.Member{OrgID: o.ID, UserID: c.ID, Email: email, Role: roles.User, JoinedAt: now, Source: orgs.SourceDomain}
	var pending *orgs.NewAccount
	if jc.Profile != nil {
		m.Name, m.Phone = jc.Profile.Name, ""
	} else {
		na := s.Accounts.NewAccountFor(ctx, c.ID, email, c.Name, now)
		pending, m.Name = &na, na.Profile.Name
	}
	ev := s.event(ctx, o.ID, audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: email}, "member.joined",
		audit.Target{Type: "member", ID: c.ID, Label: email},
		fmt.Sprintf("%s joined by the verified domain %s", email, domain), map[string]any{"role": string(roles.User), "domain": domain})
	for attempt := 0; ; attempt++ {
		err := s.Store.AddMember(ctx, provisioning.MemberWrite{Member: m, Account: pending, Event: ev})
		switch {
		case err == nil:
			return m, nil
		case attempt < 5 && s.Accounts.RetryWithAccount(err, &pending):
		default:
			return orgs.Member{}, err
		}
	}
}
