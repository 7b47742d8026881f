package tokens

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
)

// Personal tool tokens: a member's own credentials for tools in one org, named, revocable one by
// one and recorded by name in token.used. They work wherever the org token works and die with
// their owner's access to the org's products.
//
// A token is alive while all of these hold, checked on every sign-in from what its one read
// finds: it exists (revocation deletes it), it has not expired, it was made after the org's
// last authentication reset, its owner is still the member holding the email (removal and
// account deletion drop the membership), the member is active with a role that allows
// products.access, it was made after the member's TokensSince: the last time their standing
// changed (a role change, a suspension or reactivation, joining again), and, for a custom
// role, after the role's TokensSince: the last time an edit took products.access from it. So
// a token never comes back to life when a suspended member is reactivated, a removed one
// rejoins, or an admin gives a custom role back the permission it lost. The custom role's
// definition lives on the org item, which every sign-in reads anyway.
const (
	// MaxPersonalTokens is how many live tokens one member may hold in one org.
	MaxPersonalTokens = 10
	// DefaultPersonalDays is a token's life when the request names none.
	DefaultPersonalDays = 90
	// MaxPersonalDays is the longest life a token may have.
	MaxPersonalDays = 365
	// maxTokenName bounds a token's name.
	maxTokenName = 100
)

// PersonalToken is one personal tool token, without its secret.
type PersonalToken struct {
	// ID is the token's own id (NewPersonalID), which its text enciphers.
	ID        string
	OrgID     string
	Owner     orgs.Person
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
	// LastUsedAt and LastUsedIP are of the last tool sign-in with it; zero until then.
	LastUsedAt time.Time
	LastUsedIP string
}

// AliveFor reports whether the token still carries its owner's authority at now: not expired,
// made after the org's authentication reset, after the member's standing last changed and
// after the member's custom role (as o defines it) last lost products.access. Whether the
// owner is still an active member allowed products.access is checked apart.
func (t PersonalToken) AliveFor(o orgs.Org, m orgs.Member, now time.Time) bool {
	since := m.TokensSince
	if since.IsZero() {
		since = m.JoinedAt
	}
	if d, ok := o.Role(m.Role); ok && d.TokensSince.After(since) {
		since = d.TokensSince
	}
	return now.Before(t.ExpiresAt) && !t.CreatedAt.Before(since) &&
		(o.AuthResetAt.IsZero() || t.CreatedAt.After(o.AuthResetAt)) && t.Owner.ID == m.UserID
}

// MineRead asks the authorization step for the caller's personal tokens in the org (orgs.Read):
// their index, a Mine.
type MineRead struct{ OwnerID string }

// Mine is a member's personal tokens in one org as their index keeps them (no last use), with
// the index's version, which a write that changes it conditions on.
type Mine struct {
	Tokens  []PersonalToken
	Version int
}

// PersonalRead asks the authorization step for one personal token of the org by id
// (orgs.Read): a *PersonalToken, nil when there is none.
type PersonalRead struct{ ID string }

// ErrPersonalChanged: the member's tokens changed since they were read (another token made or
// revoked at the same moment); reading again gives the current ones.
var ErrPersonalChanged = apperr.New(apperr.Conflict, "your tokens changed meanwhile; try again")

// errNoPersonalToken is the answer for a token id that names none of the caller's (or, for an
// admin, none of the org's) live tokens.
var errNoPersonalToken = apperr.New(apperr.NotFound, "token not found")

// PersonalStore is what the personal tokens need of the table.
type PersonalStore interface {
	// CreatePersonal writes t, with its event, and sets the owner's index to live (the owner's
	// live tokens after t is added, t included), on condition that the index is still at
	// version (ErrPersonalChanged), that the owner is still the active member actor as read
	// with the role as read (the org's member write rule), and that the org is live with its
	// custom roles as read (so that a token is never made on the strength of a custom role
	// that lost products.access meanwhile: its TokensSince may be later than the token's
	// creation).
	CreatePersonal(ctx context.Context, t PersonalToken, live []PersonalToken, version int, actor orgs.Acting, ev audit.Event) error
	// PersonalTokens reads the tokens ids of the org by key, in one round trip: their last use
	// included. Absent ones are left out.
	PersonalTokens(ctx context.Context, orgID string, ids []string) ([]PersonalToken, error)
	// RevokePersonal deletes t and takes it out of its owner's index, with the event, on
	// condition that it exists and that the actor is still the member as read.
	RevokePersonal(ctx context.Context, t PersonalToken, actor orgs.Member, ev audit.Event) error
	// OrgPersonalTokens is one page of the org's personal tokens that expire after now, by id.
	OrgPersonalTokens(ctx context.Context, orgID string, now time.Time, p paging.Request) (PersonalPage, error)
}

// PersonalPage is one page of personal tokens.
type PersonalPage struct {
	Tokens []PersonalToken
	Next   string
}

// Personal runs the personal token use cases.
type Personal struct {
	Store PersonalStore
	Keys  Keys
	Now   func() time.Time
	NewID func() string
}

// NewPersonal is a token to make: its name and life in days (0: the default).
type NewPersonal struct {
	Name string
	Days int
}

// Created is a token just made, with its text: the only time the text is told.
type Created struct {
	PersonalToken
	Token string
}

// Mine lists the caller's live tokens in the org, newest first, with their last use.
func (s *Personal) Mine(ctx context.Context, a orgs.Access) ([]PersonalToken, error) {
	live := s.live(a)
	if len(live) == 0 {
		return []PersonalToken{}, nil
	}
	ids := make([]string, len(live))
	for i, t := range live {
		ids[i] = t.ID
	}
	read, err := s.Store.PersonalTokens(ctx, a.Org.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PersonalToken, 0, len(read))
	for _, t := range read {
		if t.AliveFor(a.Org, a.Member, s.Now()) {
			out = append(out, t)
		}
	}
	newestFirst(out)
	return out, nil
}

// live is the caller's tokens from the authorization step's read that are alive now.
func (s *Personal) live(a orgs.Access) []PersonalToken {
	_, mine, _ := orgs.ResultOf[MineRead, Mine](a)
	now := s.Now()
	var out []PersonalToken
	for _, t := range mine.Tokens {
		t.Owner = orgs.Person{ID: a.Member.UserID, Email: a.Member.Email}
		if t.AliveFor(a.Org, a.Member, now) {
			out = append(out, t)
		}
	}
	return out
}

// Create makes a personal token for the caller (whose role allows products.access: the route's
// permission) and answers its text once.
func (s *Personal) Create(ctx context.Context, a orgs.Access, n NewPersonal) (Created, error) {
	name, err := orgs.CleanText("name", n.Name, maxTokenName, true)
	if err != nil {
		return Created{}, err
	}
	days := n.Days
	if days == 0 {
		days = DefaultPersonalDays
	}
	if days < 1 || days > MaxPersonalDays {
		return Created{}, apperr.New(apperr.Invalid, "expiresInDays must be from 1 to %d", MaxPersonalDays)
	}
	live := s.live(a)
	if len(live) >= MaxPersonalTokens {
		return Created{}, apperr.New(apperr.Conflict, "you already hold %d live tokens in this organization; revoke one first", MaxPersonalTokens)
	}
	for _, t := range live {
		if strings.EqualFold(t.Name, name) {
			return Created{}, apperr.New(apperr.Conflict, "you already have a token named %q here", t.Name)
		}
	}
	_, mine, _ := orgs.ResultOf[MineRead, Mine](a)
	c, ev, err := s.mint(ctx, a.Org, a.Member, name, days, audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}, nil)
	if err != nil {
		return Created{}, err
	}
	if c.Token, err = s.Keys.FormatPersonal(c.OrgID, c.ID); err != nil {
		return Created{}, err
	}
	if err := s.Store.CreatePersonal(ctx, c.PersonalToken, append(live, c.PersonalToken), mine.Version, a.Acting(), ev); err != nil {
		return Created{}, err
	}
	return c, nil
}

// mint makes a new token for member m of org o and its personal_token.created event; its text
// is left to the caller (Keys.FormatPersonal), which holds the keys.
func (s *Personal) mint(ctx context.Context, o orgs.Org, m orgs.Member, name string, days int, actor audit.Actor, details map[string]any) (Created, audit.Event, error) {
	id, err := NewPersonalID()
	if err != nil {
		return Created{}, audit.Event{}, err
	}
	now := s.Now().UTC()
	t := PersonalToken{ID: id, OrgID: o.ID, Owner: orgs.Person{ID: m.UserID, Email: m.Email}, Name: name,
		CreatedAt: now, ExpiresAt: now.AddDate(0, 0, days)}
	d := map[string]any{"tokenId": id, "tokenName": name, "expiresAt": t.ExpiresAt.Format(time.RFC3339)}
	for k, v := range details {
		d[k] = v
	}
	ev := personalEvent(o, actor, t, "personal_token.created", fmt.Sprintf("%s made the personal token %q", m.Email, name), d)
	ev.Stamp(ctx, s.NewID(), now)
	return Created{PersonalToken: t}, ev, nil
}

// Again is the token a creation made, for a request repeated with the same idempotency key: the
// authorization step read it (a PersonalRead), and its text is made again from its ids.
func (s *Personal) Again(a orgs.Access) (Created, error) {
	_, t, _ := orgs.ResultOf[PersonalRead, *PersonalToken](a)
	if t == nil || t.Owner.ID != a.Member.UserID {
		return Created{}, apperr.New(apperr.NotFound, "the token this key created is gone")
	}
	text, err := s.Keys.FormatPersonal(t.OrgID, t.ID)
	if err != nil {
		return Created{}, err
	}
	return Created{PersonalToken: *t, Token: text}, nil
}

// RevokeMine revokes one of the caller's own tokens.
func (s *Personal) RevokeMine(ctx context.Context, a orgs.Access, id string) error {
	_, mine, _ := orgs.ResultOf[MineRead, Mine](a)
	i := slices.IndexFunc(mine.Tokens, func(t PersonalToken) bool { return t.ID == id })
	if i < 0 {
		return errNoPersonalToken
	}
	t := mine.Tokens[i]
	t.OrgID, t.Owner = a.Org.ID, orgs.Person{ID: a.Member.UserID, Email: a.Member.Email}
	return s.revoke(ctx, a, t)
}

// Revoke revokes any member's token of the org (token.regenerate: the route's permission).
func (s *Personal) Revoke(ctx context.Context, a orgs.Access, id string) error {
	_, t, _ := orgs.ResultOf[PersonalRead, *PersonalToken](a)
	if t == nil || t.ID != id {
		return errNoPersonalToken
	}
	return s.revoke(ctx, a, *t)
}

func (s *Personal) revoke(ctx context.Context, a orgs.Access, t PersonalToken) error {
	actor := audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
	summary := fmt.Sprintf("%s revoked the personal token %q of %s", a.Member.Email, t.Name, t.Owner.Email)
	if t.Owner.ID == a.Member.UserID {
		summary = fmt.Sprintf("%s revoked their personal token %q", a.Member.Email, t.Name)
	}
	ev := personalEvent(a.Org, actor, t, "personal_token.revoked", summary,
		map[string]any{"tokenId": t.ID, "tokenName": t.Name, "ownerId": t.Owner.ID})
	ev.Stamp(ctx, s.NewID(), s.Now())
	return s.Store.RevokePersonal(ctx, t, a.Member, ev)
}

// OrgTokens is a page of every member's live personal tokens in the org (no secrets): the
// admins' view of what is out there. A token made before the org's authentication reset is
// dead and left out; one whose owner's standing changed since shows until it expires or is
// revoked, and signs nothing in.
func (s *Personal) OrgTokens(ctx context.Context, a orgs.Access, p paging.Request) (PersonalPage, error) {
	page, err := s.Store.OrgPersonalTokens(ctx, a.Org.ID, s.Now(), p)
	if err != nil {
		return PersonalPage{}, err
	}
	kept := page.Tokens[:0]
	for _, t := range page.Tokens {
		if a.Org.AuthResetAt.IsZero() || t.CreatedAt.After(a.Org.AuthResetAt) {
			kept = append(kept, t)
		}
	}
	page.Tokens = kept
	return page, nil
}

func personalEvent(o orgs.Org, actor audit.Actor, t PersonalToken, action, summary string, details map[string]any) audit.Event {
	return audit.Event{
		OrgID: o.ID, Category: audit.Security, Action: action, Actor: actor,
		Target:  audit.Target{Type: "personal_token", ID: t.ID, Label: t.Name},
		Summary: summary, Details: details,
	}
}

func newestFirst(ts []PersonalToken) {
	slices.SortFunc(ts, func(a, b PersonalToken) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
