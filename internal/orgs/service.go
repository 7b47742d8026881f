package orgs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
)

// Errors a Store returns when a write's condition fails.
var (
	// ErrHandleTaken: the handle's guard item belongs to another org.
	ErrHandleTaken = apperr.New(apperr.Conflict, "that handle is already taken; choose another")
	// ErrPersonalHandleTaken: the handle picked for a new personal account is taken.
	ErrPersonalHandleTaken = apperr.New(apperr.Conflict, "the personal account's handle is taken")
	// ErrAccountDeleted: the account was deleted; the user's tokens may still be valid.
	ErrAccountDeleted = apperr.New(apperr.Unauthenticated, "this account was deleted")
	// ErrAccountExists: the profile was created by a concurrent request.
	ErrAccountExists = apperr.New(apperr.Conflict, "the account already exists")
)

// Store is the persistence the org service needs.
type Store interface {
	// Account returns the user's profile and memberships, read consistently; a NotFound
	// error when the user has no profile yet.
	Account(ctx context.Context, userID string) (Account, error)
	// CreateAccount writes a new profile with its personal org, all or nothing. It fails with
	// ErrAccountExists when the profile exists, ErrPersonalHandleTaken when the handle is.
	CreateAccount(ctx context.Context, a NewAccount) error
	// Orgs returns the live and deleted orgs among ids; unknown ids are left out.
	Orgs(ctx context.Context, ids []string) ([]Org, error)
	// CreateOrg writes a new shared org, its handle guard, its first member and its event, all
	// or nothing; ErrHandleTaken when the handle is taken. With a non-nil account, the
	// creator's account is written in the same transaction (as CreateAccount would).
	CreateOrg(ctx context.Context, o Org, creator Member, ev audit.Event, account *NewAccount) error
	// Access returns the org, the user's membership of it and the subject s names, in one
	// round trip; NotFound when the org or the membership is missing. A missing subject is
	// left nil. When the request carries an idempotency key that was used before, it returns
	// the access together with an error describing that use.
	Access(ctx context.Context, orgID, userID string, s Subject) (Access, error)
	// UpdateOrg writes the settings that differ between before and after, each on condition
	// that it is still as before (a Conflict otherwise), with the event; only while actor (the
	// acting member as the authorization step read them) keeps their role (ErrActorChanged).
	UpdateOrg(ctx context.Context, actor Member, before, after Org, ev audit.Event) error
	// ChangeHandle moves the org from before.Handle to after.Handle: claims the new guard
	// (ErrHandleTaken), releases the old one, updates the org, writes the event; only while
	// actor keeps their role (ErrActorChanged).
	ChangeHandle(ctx context.Context, actor Member, before, after Org, ev audit.Event) error
	// DeleteOrg marks the org deleted at the given time for the purge, releases its handle,
	// writes the event; NotFound if it is already deleted; only while actor keeps their role
	// (ErrActorChanged).
	DeleteOrg(ctx context.Context, actor Member, o Org, at time.Time, ev audit.Event) error
	// UpdateProfile writes the profile's changes and copies the name onto the account's
	// memberships, with the event.
	UpdateProfile(ctx context.Context, acc Account, after Profile, ev audit.Event) error
	// SaveEmailChange records the user's pending email change, replacing any other, with the
	// outbox message that sends its link and a use of the email-change limit (its Exceeded
	// error when spent).
	SaveEmailChange(ctx context.Context, userID string, ch EmailChange, ev audit.Event, limit ratelimit.Use, link outbox.Message) error
	// EmailChangeOf reads the user's pending email change; nil when there is none.
	EmailChangeOf(ctx context.Context, userID string) (*EmailChange, error)
	// SetEmailChangeToken gives the pending change the hash of the token its link is about
	// to carry; ErrEmailChangeMoved unless the change is still the one messageID sends.
	SetEmailChangeToken(ctx context.Context, userID, messageID, hash string) error
	// ConfirmEmailChange consumes the pending change (a Gone error if it was consumed
	// meanwhile) and writes the new address to the profile and its copies, with the notice
	// to the old address as an outbox message.
	ConfirmEmailChange(ctx context.Context, acc Account, after Profile, ch EmailChange, ev audit.Event, notice outbox.Message) error
	// DeleteAccountData deletes the profile and the rest of the user's own items, and leaves a
	// tombstone for a while so that the user's tokens, still valid, can't recreate the
	// account: Account answers Unauthenticated for it. ErrAccountJoined when a membership
	// was added since acc was read (Profile.Joins).
	DeleteAccountData(ctx context.Context, acc Account, at time.Time) error
}

// NewAccount is everything written when a user is first seen.
type NewAccount struct {
	Profile Profile
	Org     Org
	Member  Member
	Event   audit.Event
}

// Service runs the org use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	NewID func() string
}

const (
	personalOrgName = "My Account"
	handleAttempts  = 5
)

// Account returns the caller's account, creating the profile and the personal org on the
// caller's first call. Concurrent first calls create exactly one: the write is conditional on
// the profile's absence, and the losers read what the winner wrote.
func (s *Service) Account(ctx context.Context, c Caller) (Account, error) {
	acc, _, err := s.ensureAccount(ctx, c)
	return acc, err
}

// ensureAccount is Account that also returns the personal org when this call created it, so
// that callers need not read back what they just wrote.
func (s *Service) ensureAccount(ctx context.Context, c Caller) (Account, *Org, error) {
	acc, pending, err := s.loadAccount(ctx, c)
	if err != nil {
		return acc, nil, err
	}
	if pending == nil {
		return s.catchUp(ctx, c, acc), nil, nil
	}
	for attempt := 0; ; attempt++ {
		err = s.Store.CreateAccount(ctx, *pending)
		switch {
		case err == nil:
			return pending.account(), &pending.Org, nil
		case errors.Is(err, ErrAccountExists):
			acc, err = s.Store.Account(ctx, c.ID)
			return acc, nil, err
		case errors.Is(err, ErrPersonalHandleTaken) && attempt < handleAttempts:
			s.rehandle(pending)
		default:
			// DynamoDB may cancel one of two overlapping first calls as a transaction
			// conflict: if the other one created the account, that is the answer.
			if acc, readErr := s.Store.Account(ctx, c.ID); readErr == nil {
				return acc, nil, nil
			}
			return Account{}, nil, err
		}
	}
}

// loadAccount reads the caller's account; when there is none yet it returns the account to
// create instead, unwritten.
func (s *Service) loadAccount(ctx context.Context, c Caller) (Account, *NewAccount, error) {
	acc, err := s.Store.Account(ctx, c.ID)
	if !apperr.Is(err, apperr.NotFound) {
		return acc, nil, err
	}
	if c.Email == "" {
		return Account{}, nil, apperr.New(apperr.Unauthenticated, "the first call of a new user needs an ID token (it carries the email address)")
	}
	if !c.EmailVerified {
		return Account{}, nil, apperr.New(apperr.Forbidden, "verify your email address first: an account is made for a verified address only")
	}
	email, err := NormalizeEmail("email", c.Email)
	if err != nil {
		return Account{}, nil, err
	}
	na := s.newAccount(ctx, c, email, slug(email[:strings.IndexByte(email, '@')]), s.Now())
	return Account{}, &na, nil
}

// retryWithAccount handles the failures of a write that also creates the caller's account
// (pending): when a concurrent first call created the account, the write goes on without it;
// when the personal handle was taken, the account gets another. It reports whether the write
// should be tried again.
func (s *Service) retryWithAccount(err error, pending **NewAccount) bool {
	switch {
	case *pending == nil:
		return false
	case errors.Is(err, ErrAccountExists):
		*pending = nil
		return true
	case errors.Is(err, ErrPersonalHandleTaken):
		s.rehandle(*pending)
		return true
	}
	return false
}

// rehandle gives a pending account's personal org another handle after a collision.
func (s *Service) rehandle(na *NewAccount) {
	h := withSuffix(slug(na.Profile.Email[:strings.IndexByte(na.Profile.Email, '@')]))
	na.Org.Handle = h
	na.Event.Details["handle"] = h
}

func (na NewAccount) account() Account {
	return Account{Profile: na.Profile, Memberships: []Membership{{
		OrgID: na.Org.ID, Kind: Personal, Role: na.Member.Role, JoinedAt: na.Member.JoinedAt,
	}}}
}

func (s *Service) newAccount(ctx context.Context, c Caller, email, handle string, now time.Time) NewAccount {
	name, _ := cleanText("name", c.Name, MaxPersonName, false)
	org := Org{
		ID: s.NewID(), Kind: Personal, Handle: handle, Name: personalOrgName,
		SupportTicketVisibility: VisibilityOwn, CreatedAt: now,
		CreatedBy: Person{ID: c.ID, Email: email}, AdminCount: 1, MemberCount: 1,
	}
	ev := audit.Event{
		OrgID: org.ID, Category: audit.Organization, Action: "org.created",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: email},
		Target:  audit.Target{Type: "org", ID: org.ID, Label: org.Name},
		Summary: fmt.Sprintf("Personal account created for %s", email),
		Details: map[string]any{"kind": string(Personal), "handle": handle},
	}
	ev.Stamp(ctx, s.NewID(), now)
	return NewAccount{
		Profile: Profile{ID: c.ID, Email: email, Name: name, CreatedAt: now, PersonalOrgID: org.ID, EmailSetAt: now},
		Org:     org,
		Member: Member{OrgID: org.ID, UserID: c.ID, Email: email, Name: name, Role: roles.Admin,
			JoinedAt: now, Source: SourceCreator},
		Event: ev,
	}
}

// Me is the caller's profile and orgs.
type Me struct {
	Profile Profile
	Orgs    []OrgView
}

// Me returns the caller's profile and orgs, creating them on the first call.
func (s *Service) Me(ctx context.Context, c Caller) (Me, error) {
	acc, fresh, err := s.ensureAccount(ctx, c)
	if err != nil {
		return Me{}, err
	}
	views, err := s.orgViews(ctx, acc, fresh)
	return Me{Profile: acc.Profile, Orgs: views}, err
}

// List returns the caller's live orgs, the personal account first, then by name.
func (s *Service) List(ctx context.Context, c Caller) ([]OrgView, error) {
	acc, fresh, err := s.ensureAccount(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.orgViews(ctx, acc, fresh)
}

// orgViews reads the orgs of acc's memberships, unless the only one is fresh, just written.
func (s *Service) orgViews(ctx context.Context, acc Account, fresh *Org) ([]OrgView, error) {
	if fresh != nil && len(acc.Memberships) == 1 {
		return []OrgView{{Org: *fresh, Role: acc.Memberships[0].Role}}, nil
	}
	ids := make([]string, len(acc.Memberships))
	roleOf := map[string]roles.Role{}
	for i, m := range acc.Memberships {
		ids[i] = m.OrgID
		roleOf[m.OrgID] = m.Role
	}
	orgs, err := s.Store.Orgs(ctx, ids)
	if err != nil {
		return nil, err
	}
	views := make([]OrgView, 0, len(orgs))
	for _, o := range orgs {
		if !o.Deleted() {
			views = append(views, OrgView{Org: o, Role: roleOf[o.ID]})
		}
	}
	slices.SortFunc(views, func(a, b OrgView) int {
		if a.Kind != b.Kind {
			if a.Kind == Personal {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return views, nil
}

// CreateInput is what a caller gives to create a shared org.
type CreateInput struct {
	Name                    string
	Handle                  string
	ContactName             string
	ContactEmail            string
	CompanyName             string
	JobTitle                string
	SupportTicketVisibility Visibility
}

// Create makes a shared org with the caller as its admin. Without a handle, one is derived
// from the name and kept unique; a handle that was asked for and is taken is a conflict.
func (s *Service) Create(ctx context.Context, c Caller, in CreateInput) (OrgView, error) {
	org, member, err := s.validateCreate(in)
	if err != nil {
		return OrgView{}, err
	}
	acc, pending, err := s.loadAccount(ctx, c)
	if err != nil {
		return OrgView{}, err
	}
	if pending != nil {
		// A new user: the account is written in the org's own transaction.
		acc = pending.account()
	}
	now := s.Now()
	org.ID, org.Kind, org.CreatedAt = s.NewID(), Shared, now
	org.CreatedBy = Person{ID: c.ID, Email: acc.Profile.Email}
	org.AdminCount, org.MemberCount = 1, 1
	member.OrgID, member.UserID, member.Email, member.Name = org.ID, c.ID, acc.Profile.Email, acc.Profile.Name
	member.Role, member.JoinedAt, member.Source = roles.Admin, now, SourceCreator

	derived := org.Handle == ""
	if derived {
		org.Handle = slug(org.Name)
	}
	for attempt := 0; ; attempt++ {
		ev := audit.Event{
			OrgID: org.ID, Category: audit.Organization, Action: "org.created",
			Actor:   audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: acc.Profile.Email},
			Target:  audit.Target{Type: "org", ID: org.ID, Label: org.Name},
			Summary: fmt.Sprintf("%s created the organization %s (@%s)", acc.Profile.Email, org.Name, org.Handle),
			Details: map[string]any{"kind": string(Shared), "handle": org.Handle, "name": org.Name},
		}
		ev.Stamp(ctx, s.NewID(), now)
		if pending != nil && pending.Org.Handle == org.Handle {
			// One transaction can't claim one handle twice: the new org keeps it.
			s.rehandle(pending)
		}
		err = s.Store.CreateOrg(ctx, org, member, ev, pending)
		switch {
		case err == nil:
			return OrgView{Org: org, Role: roles.Admin}, nil
		case attempt >= handleAttempts:
			return OrgView{}, err
		case derived && errors.Is(err, ErrHandleTaken):
			org.Handle = withSuffix(slug(org.Name))
		case s.retryWithAccount(err, &pending):
		default:
			return OrgView{}, err
		}
	}
}

func (s *Service) validateCreate(in CreateInput) (Org, Member, error) {
	var o Org
	var m Member
	var err error
	if o.Name, err = cleanText("name", in.Name, 100, true); err != nil {
		return o, m, err
	}
	if in.Handle != "" {
		if err = ValidateHandle(in.Handle); err != nil {
			return o, m, err
		}
		o.Handle = in.Handle
	}
	if o.ContactName, err = cleanText("contactName", in.ContactName, 100, false); err != nil {
		return o, m, err
	}
	if in.ContactEmail != "" {
		if o.ContactEmail, err = NormalizeEmail("contactEmail", in.ContactEmail); err != nil {
			return o, m, err
		}
	}
	if o.CompanyName, err = cleanText("companyName", in.CompanyName, 100, false); err != nil {
		return o, m, err
	}
	if m.JobTitle, err = cleanText("jobTitle", in.JobTitle, 100, false); err != nil {
		return o, m, err
	}
	if o.SupportTicketVisibility, err = validVisibility(in.SupportTicketVisibility); err != nil {
		return o, m, err
	}
	return o, m, nil
}

// Authorize loads the caller's membership of the org and checks that the caller's role has
// one of the permissions: the one authorization step of every org route (AuthorizeFor with
// no subject).
func (s *Service) Authorize(ctx context.Context, c Caller, orgID string, anyOf ...roles.Permission) (Access, error) {
	return s.AuthorizeFor(ctx, c, orgID, Subject{}, anyOf...)
}
