// Package tokens is the org access token: one per org (personal ones too) that tools use with
// a member's email to learn what that member may download (the entitlements), its re-showing
// and regeneration, the org's authentication reset, and the org's usage figures.
//
// The token is never stored: it is derived from the org id, a version and a nonce under the
// server's secret (format.go), and the org keeps only the version and nonce. A copy of the
// table without the secret reveals no usable token; regenerating bumps the version, so the old
// token dies at once.
package tokens

import (
	"context"
	"fmt"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/roles"
)

// State is what the org keeps of its token: enough to derive and verify it, never the token.
type State struct {
	Version   int
	Nonce     string
	CreatedAt time.Time
	CreatedBy orgs.Person
	// LastUsedAt and LastUsedIP are of the last tool sign-in with this token; zero until then.
	LastUsedAt time.Time
	LastUsedIP string
}

// initial is the token an org has before anyone regenerated it: version 0 with no nonce,
// created with the org. Every org so has a token from its first moment, with no write.
func initial(o orgs.Org) State {
	return State{CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy}
}

// StateRead asks the authorization step for the org's token state (orgs.Read): the token
// routes. Its result is a *State (nil: the org still has its initial token).
type StateRead struct{}

// UsageRead asks the authorization step for what the usage route counts (orgs.Read): the
// token-use counters of Days (YYYY-MM-DD) and the org's licenses. Its result is a UsageFacts.
type UsageRead struct{ Days []string }

// UsageFacts is what UsageRead reads.
type UsageFacts struct {
	// TokenUses counts successful tool sign-ins by day; days without any are absent.
	TokenUses map[string]int
	Licenses  []License
}

// License is what the entitlements and the usage need of one of the org's licenses.
type License struct {
	ID          string
	ProductID   string
	ProductName string
	Type        string
	StartsAt    time.Time
	// EndsAt zero: no end.
	EndsAt    time.Time
	NodeLimit *int
	// SeatLimit nil: every member with products.access is covered; otherwise the Seats holders.
	SeatLimit *int
	Seats     []string
	Revoked   bool
}

// ActiveAt reports whether the license is in force at t: started, not ended, not revoked. It
// holds from the instant on, whether or not the scheduled job has caught up.
func (l License) ActiveAt(t time.Time) bool {
	return !l.Revoked && !t.Before(l.StartsAt) && (l.EndsAt.IsZero() || t.Before(l.EndsAt))
}

// Covers reports whether the license covers the user: any member when it has no seats,
// otherwise the holders of its seats.
func (l License) Covers(userID string) bool {
	if l.SeatLimit == nil {
		return true
	}
	for _, s := range l.Seats {
		if s == userID {
			return true
		}
	}
	return false
}

// Product is a catalog product as the entitlements name it.
type Product struct {
	ID   string
	Name string
}

// Errors the Store returns when a write's condition fails.
var (
	// ErrTokenChanged: the token was regenerated (or the org deleted) since it was read.
	ErrTokenChanged = apperr.New(apperr.Conflict, "the token was regenerated meanwhile; view it again")
	// ErrSignInChanged: between the sign-in's read and its write the token was regenerated, the
	// org deleted or the member changed; the sign-in is refused.
	ErrSignInChanged = apperr.New(apperr.Unauthenticated, "the email and token do not match")
)

// Store is the persistence the token service needs.
type Store interface {
	// RecordView writes the event of a view of the token, on condition that the org is live,
	// its token still at version (ErrTokenChanged otherwise) and the actor still as read
	// (orgs.Acting: ErrActorChanged, ErrRolesChanged).
	RecordView(ctx context.Context, actor orgs.Acting, orgID string, version int, ev audit.Event) error
	// SaveToken replaces the org's token state from version to next, on condition that the
	// org is live, the token still at version (ErrTokenChanged: so that of concurrent
	// regenerations exactly one wins) and the actor still as read, with the event and the
	// outbox messages.
	SaveToken(ctx context.Context, actor orgs.Acting, orgID string, version int, next State, ev audit.Event, msgs []outbox.Message) error
	// ResetAuth sets the org's auth epoch to at, replaces its token state as SaveToken does and
	// deletes the org's SCIM token, in one transaction with the event and the outbox messages.
	ResetAuth(ctx context.Context, actor orgs.Acting, orgID string, at time.Time, version int, next State, ev audit.Event, msgs []outbox.Message) error
	// SignIn reads, in one round trip, what a tool's sign-in to orgID as email needs; with
	// the personal token personalID when it is not "".
	SignIn(ctx context.Context, orgID, email string, minute time.Time, personalID string) (SignIn, error)
	// RecordUse writes a successful sign-in: the token's last use, the day's counter and the
	// event, on condition that the token is still at u.Version, the org live and the member as
	// read (ErrSignInChanged otherwise).
	RecordUse(ctx context.Context, u Use) error
	// RecordRejection writes a refused sign-in: the event and the email's failure count of the
	// minute, which stays below the limit (a RateLimited error when it is reached).
	RecordRejection(ctx context.Context, r Rejection) error
	// PendingInvites counts the org's invites that are pending at now (not expired).
	PendingInvites(ctx context.Context, orgID string, now time.Time) (int, error)
}

// SignIn is what a tool's sign-in reads.
type SignIn struct {
	// Org is the org the token names; its ID is "" when there is no such org.
	Org orgs.Org
	// Token is the org's token state; nil while it has its initial token.
	Token *State
	// Member is the member with the email; nil when none.
	Member *orgs.Member
	// Personal is the personal token asked for; nil when none was, or it does not exist.
	Personal *PersonalToken
	// Licenses are the org's licenses; Public the catalog's public products.
	Licenses []License
	Public   []Product
	// Failures counts the email's refused sign-ins to the org in the minute.
	Failures int
}

// Use is a successful sign-in, as RecordUse writes it.
type Use struct {
	OrgID   string
	Version int
	// Personal is the personal token used; nil: the org token.
	Personal *PersonalToken
	Member   orgs.Member
	// Role is the member's custom role as read, nil for a built-in one: the use of a personal
	// token holds only while the role still allows products.access and has not lost it since
	// (roles.Definition.TokensSince), so that the token dies at once with an edit of the role.
	Role  *roles.Definition
	At    time.Time
	IP    string
	Event audit.Event
}

// Rejection is a refused sign-in, as RecordRejection writes it.
type Rejection struct {
	OrgID  string
	Email  string
	Minute time.Time
	Limit  int
	Event  audit.Event
}

// Service runs the token use cases.
type Service struct {
	Store Store
	Keys  Keys
	// PersonalKeys are the personal tokens' keys, which the tools' sign-in takes too.
	PersonalKeys Keys
	Now          func() time.Time
	NewID        func() string
}

// View is a token as its viewers see it.
type View struct {
	Token string
	State State
}

// stateOf is the org's token state from the authorization step's read.
func stateOf(a orgs.Access) State {
	_, st, _ := orgs.ResultOf[StateRead, *State](a)
	return stateIn(a.Org, st)
}

// stateIn is the org's token state from what the table holds (nil: nothing yet). A state
// written by a sign-in alone (its last use) is still the initial token's, created with the org.
func stateIn(o orgs.Org, st *State) State {
	if st == nil {
		return initial(o)
	}
	if st.Version == 0 && st.CreatedAt.IsZero() {
		init := initial(o)
		st.CreatedAt, st.CreatedBy = init.CreatedAt, init.CreatedBy
	}
	return *st
}

// View shows the org's token to a member with token.view; each view is logged.
func (s *Service) View(ctx context.Context, a orgs.Access) (View, error) {
	st := stateOf(a)
	tok, err := s.Keys.Format(a.Org.ID, st.Version, st.Nonce)
	if err != nil {
		return View{}, err
	}
	ev := s.event(ctx, a, audit.Security, "token.viewed", fmt.Sprintf("%s viewed the access token of %s", a.Member.Email, a.Org.Name), map[string]any{})
	if err := s.Store.RecordView(ctx, a.Acting(), a.Org.ID, st.Version, ev); err != nil {
		return View{}, err
	}
	return View{Token: tok, State: st}, nil
}

// Regenerate gives the org a new token: the old one stops working at once, the org's admins
// are told who did it.
func (s *Service) Regenerate(ctx context.Context, a orgs.Access) (View, error) {
	before := stateOf(a)
	next := s.next(a, before)
	tok, err := s.Keys.Format(a.Org.ID, next.Version, next.Nonce)
	if err != nil {
		return View{}, err
	}
	ev := s.event(ctx, a, audit.Security, "token.regenerated", fmt.Sprintf("%s regenerated the access token of %s", a.Member.Email, a.Org.Name),
		map[string]any{"version": next.Version})
	m, err := regeneratedMail(a.Org, a.Member.Email, next.CreatedAt)
	if err != nil {
		return View{}, err
	}
	notice, err := s.adminNotice(a, m)
	if err != nil {
		return View{}, err
	}
	if err := s.Store.SaveToken(ctx, a.Acting(), a.Org.ID, before.Version, next, ev, []outbox.Message{notice}); err != nil {
		return View{}, err
	}
	return View{Token: tok, State: next}, nil
}

// Reset resets the org's authentication: every JWT issued before this second stops working
// for the org (orgs.Service.AuthorizeFor compares), the token is regenerated, every member is
// signed out at the identity provider and the admins are told, all through one transaction
// and the outbox.
func (s *Service) Reset(ctx context.Context, a orgs.Access) error {
	before := stateOf(a)
	next := s.next(a, before)
	ev := s.event(ctx, a, audit.Security, "auth.reset", fmt.Sprintf("%s reset authentication for %s", a.Member.Email, a.Org.Name),
		map[string]any{"tokenVersion": next.Version, "members": a.Org.MemberCount})
	m, err := resetMail(a.Org, a.Member.Email, next.CreatedAt)
	if err != nil {
		return err
	}
	notice, err := s.adminNotice(a, m)
	if err != nil {
		return err
	}
	signOut, err := outbox.New(s.NewID(), a.Org.ID, KindSignOutMembers, SignOutMembers{OrgID: a.Org.ID})
	if err != nil {
		return err
	}
	return s.Store.ResetAuth(ctx, a.Acting(), a.Org.ID, next.CreatedAt, before.Version, next, ev, []outbox.Message{notice, signOut})
}

// next is the token state that replaces before.
func (s *Service) next(a orgs.Access, before State) State {
	return State{
		Version: before.Version + 1, Nonce: s.NewID(), CreatedAt: s.Now().UTC(),
		CreatedBy: orgs.Person{ID: a.Member.UserID, Email: a.Member.Email},
	}
}

func (s *Service) adminNotice(a orgs.Access, m mail.Message) (outbox.Message, error) {
	return outbox.New(s.NewID(), a.Org.ID, KindNotifyAdmins, NotifyAdmins{OrgID: a.Org.ID, Message: m, Purpose: "admin-notice"})
}

// event is an event about the org's token by the member of a.
func (s *Service) event(ctx context.Context, a orgs.Access, c audit.Category, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: a.Org.ID, Category: c, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "token", ID: a.Org.ID, Label: a.Org.Name},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

// Usage is the org's usage figures.
type Usage struct {
	Members        int
	PendingInvites int
	ActiveLicenses int
	NodeLimit      int
	TokenUses      []DayCount
}

// DayCount is the tool sign-ins of one UTC day.
type DayCount struct {
	Date  string
	Count int
}

// UsageDays are the 30 UTC days that end with now's, oldest first, as YYYY-MM-DD: what the
// usage route asks the authorization step to read (UsageRead).
func UsageDays(now time.Time) []string {
	days := make([]string, 30)
	d := now.UTC().Truncate(24 * time.Hour)
	for i := range days {
		days[i] = d.AddDate(0, 0, i-29).Format(time.DateOnly)
	}
	return days
}

// Usage returns the org's figures from the authorization step's read (a UsageRead) and a
// count of the pending invites.
func (s *Service) Usage(ctx context.Context, a orgs.Access) (Usage, error) {
	now := s.Now()
	_, facts, _ := orgs.ResultOf[UsageRead, UsageFacts](a)
	pending, err := s.Store.PendingInvites(ctx, a.Org.ID, now)
	if err != nil {
		return Usage{}, err
	}
	u := Usage{Members: a.Org.MemberCount, PendingInvites: pending, TokenUses: []DayCount{}}
	for _, l := range facts.Licenses {
		if l.ActiveAt(now) {
			u.ActiveLicenses++
			if l.NodeLimit != nil {
				u.NodeLimit += *l.NodeLimit
			}
		}
	}
	for _, d := range UsageDays(now) {
		u.TokenUses = append(u.TokenUses, DayCount{Date: d, Count: facts.TokenUses[d]})
	}
	return u, nil
}

// allowsProducts reports whether a member's role, built-in or one of the org's custom roles,
// may use the org's products.
func allowsProducts(o orgs.Org, m orgs.Member) bool {
	return orgs.Access{Org: o, Member: m}.Allows(roles.ProductsAccess)
}
