package tokens

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// FailedSignInLimit is how many refused sign-ins one email may have at one org in a minute;
// the next attempts of that minute are refused as rate-limited, whatever the pair.
const FailedSignInLimit = 10

// Entitlements is what a tool learns when it signs in.
type Entitlements struct {
	OrgID     string
	OrgHandle string
	User      orgs.Person
	Products  []Entitlement
}

// Entitlement is one product the user may download, with the license that allows it.
type Entitlement struct {
	ProductID   string
	Name        string
	LicenseType string
	// EndsAt zero: no end.
	EndsAt    time.Time
	NodeLimit *int
}

// errWrongPair is the one answer to any pair that does not sign in: which part was wrong is
// not told.
var errWrongPair = apperr.New(apperr.Unauthenticated, "the email and token do not match")

// errNoProductsAccess answers a pair that does match, the org's current token and a member's
// email, whose member's role does not allow products.access (support_only): "do not match"
// would send them after the wrong cause. Telling it shows that the email is a member's only
// to the holder of the org's current token.
func errNoProductsAccess(role string) error {
	return apperr.New(apperr.Unauthenticated,
		"the email and token match, but the member's role (%s) does not include products.access: an admin can give a role that does", role)
}

// SignIn checks a tool's email and token (the org's, or a personal one of the member's) and returns what the user may download: at most
// two DynamoDB round trips, the read of everything it needs and the write of its outcome. A
// token that fails its format or checksum is refused before any read.
func (s *Service) SignIn(ctx context.Context, email, token string) (Entitlements, error) {
	personal := strings.HasPrefix(token, PersonalPrefix)
	keys := s.Keys
	if personal {
		keys = s.PersonalKeys
	}
	p, err := keys.Parse(token)
	if err != nil {
		return Entitlements{}, errWrongPair
	}
	email, err = orgs.NormalizeEmail("email", email)
	if err != nil {
		return Entitlements{}, errWrongPair
	}
	now := s.Now().UTC()
	minute := now.Truncate(time.Minute)
	personalID := ""
	if personal {
		personalID = p.PersonalID()
	}
	in, err := s.Store.SignIn(ctx, p.OrgID, email, minute, personalID)
	if err != nil {
		return Entitlements{}, err
	}
	o := in.Org
	if o.ID == "" || o.Deleted() {
		return Entitlements{}, errWrongPair
	}
	if in.Failures >= FailedSignInLimit {
		return Entitlements{}, rateLimited(now)
	}
	st := stateIn(o, in.Token)
	var reason string
	var answer error = errWrongPair
	switch m := in.Member; {
	case personal && in.Personal == nil:
		reason = "the personal token was revoked or never existed"
	case !personal && !s.Keys.Verify(p, st.Version, st.Nonce):
		reason = "the token is not the org's current token"
	case m == nil:
		reason = "the email is not a member's"
	case personal && in.Personal.Owner.ID != m.UserID:
		reason = "the personal token is another member's"
	case m.Suspended():
		reason = "the member is suspended"
	case !allowsProducts(o, *m):
		reason = fmt.Sprintf("the member's role (%s) does not allow products.access", m.Role)
		answer = errNoProductsAccess(string(m.Role))
	case personal && !in.Personal.AliveFor(o, *m, now):
		reason = "the personal token has expired, or ended with a change of the member's standing or the org's authentication reset"
	}
	if reason != "" {
		return Entitlements{}, s.reject(ctx, o, email, minute, reason, answer)
	}
	m := *in.Member
	ev := audit.Event{
		OrgID: o.ID, Category: audit.Authentication, Action: "token.used",
		Actor:   audit.Actor{Type: audit.ActorToken, ID: m.UserID, Email: email},
		Target:  audit.Target{Type: "token", ID: o.ID, Label: o.Name},
		Summary: fmt.Sprintf("%s signed in to %s with the org's access token", email, o.Name),
		Details: map[string]any{"tokenId": "org"},
	}
	if personal {
		ev.Target = audit.Target{Type: "personal_token", ID: in.Personal.ID, Label: in.Personal.Name}
		ev.Summary = fmt.Sprintf("%s signed in to %s with their personal token %q", email, o.Name, in.Personal.Name)
		ev.Details = map[string]any{"tokenId": in.Personal.ID, "tokenName": in.Personal.Name}
	}
	ev.Stamp(ctx, s.NewID(), now)
	use := Use{OrgID: o.ID, Version: st.Version, Personal: in.Personal, Member: m, At: now, IP: ev.IP, Event: ev}
	if d, ok := o.Role(m.Role); ok && personal && m.Role.Custom() {
		use.Role = &d
	}
	if err := s.Store.RecordUse(ctx, use); err != nil {
		return Entitlements{}, err
	}
	return Entitlements{
		OrgID: o.ID, OrgHandle: o.Handle, User: orgs.Person{ID: m.UserID, Email: email},
		Products: entitled(m.UserID, in.Licenses, in.Public, now),
	}, nil
}

// reject logs a refused sign-in and counts it against the email's limit; answer is what the
// tool is told (unless the limit is reached).
func (s *Service) reject(ctx context.Context, o orgs.Org, email string, minute time.Time, reason string, answer error) error {
	ev := audit.Event{
		OrgID: o.ID, Category: audit.Security, Action: "token.rejected",
		Actor:   audit.Actor{Type: audit.ActorToken, Email: email},
		Target:  audit.Target{Type: "token", ID: o.ID, Label: o.Name},
		Summary: fmt.Sprintf("a tool's sign-in to %s as %s was refused: %s", o.Name, email, reason),
		Details: map[string]any{"reason": reason},
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	err := s.Store.RecordRejection(ctx, Rejection{OrgID: o.ID, Email: email, Minute: minute, Limit: FailedSignInLimit, Event: ev})
	if apperr.Is(err, apperr.RateLimited) {
		return rateLimited(s.Now().UTC())
	}
	if err != nil {
		return err
	}
	return answer
}

// rateLimited is the answer once the email's failures of the minute reached the limit:
// Retry-After is the rest of the minute.
func rateLimited(now time.Time) error {
	wait := max(now.Truncate(time.Minute).Add(time.Minute).Sub(now), time.Second)
	return &apperr.Error{Kind: apperr.RateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("too many failed sign-ins for this email; try again in %d seconds", int(math.Ceil(wait.Seconds())))}
}

// entitled lists the products the user may download: the public ones always (as "free"), the
// commercial ones with an active license covering the user, by the longest-running such
// license; sorted by product id.
func entitled(userID string, licenses []License, public []Product, now time.Time) []Entitlement {
	byProduct := map[string]Entitlement{}
	for _, p := range public {
		byProduct[p.ID] = Entitlement{ProductID: p.ID, Name: p.Name, LicenseType: "free"}
	}
	isPublic := func(id string) bool { return slices.ContainsFunc(public, func(p Product) bool { return p.ID == id }) }
	for _, l := range licenses {
		if !l.ActiveAt(now) || !l.Covers(userID) || isPublic(l.ProductID) {
			continue
		}
		e := Entitlement{ProductID: l.ProductID, Name: l.ProductName, LicenseType: l.Type, EndsAt: l.EndsAt, NodeLimit: l.NodeLimit}
		if cur, ok := byProduct[l.ProductID]; !ok || longer(e.EndsAt, cur.EndsAt) {
			byProduct[l.ProductID] = e
		}
	}
	out := make([]Entitlement, 0, len(byProduct))
	for _, e := range byProduct {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entitlement) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return out
}

// longer reports whether a license ending at a runs longer than one ending at b (zero: no end).
func longer(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return !b.IsZero()
	case b.IsZero():
		return false
	}
	return a.After(b)
}
