// Package account is a user's self-service on their own account: the profile (name, phone),
// changing the email address (a link to the new address confirms it; the identity provider
// follows) and deleting the account (leaving every shared org, deleting the personal one, the
// profile and the identity). The account itself (Profile, Account, its Store) is package
// orgs', which every capability reads; the identity provider's side is Directory.
package account

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// Directory is the identity provider's side of an account.
type Directory interface {
	// SetEmail gives the user a new, verified email (a Conflict if another user has it).
	SetEmail(ctx context.Context, userID, email string) error
	// DeleteUser deletes the user's identity.
	DeleteUser(ctx context.Context, userID string) error
}

// The outbox kinds of the account emails.
const (
	// KindEmailChangeLink sends the link that confirms an email change (emailChangeLink
	// body); its handler mints the link's token when it sends.
	KindEmailChangeLink outbox.Kind = "email-change-link"
)

type emailChangeLink struct {
	UserID   string `json:"userId"`
	NewEmail string `json:"newEmail"`
	OldEmail string `json:"oldEmail"`
}

// EmailChangeTTL is how long an email-change link works.
const EmailChangeTTL = 24 * time.Hour

// Service runs a user's changes to their own account.
type Service struct {
	Orgs      *orgs.Service
	Members   members.Store
	Directory Directory
	// Mail sends the account emails: the outbox handlers (SendEmailChangeLink) use it; the
	// routes leave it nil, their emails go through the outbox.
	Mail mail.Sender
	// AppURL is the frontend's base URL, for the links in emails.
	AppURL string
}

// ProfileInput is a change to a profile: nil leaves a field, "" clears it.
type ProfileInput struct {
	Name  *string
	Phone *string
}

// UpdateProfile changes the caller's name and phone. The name is copied onto the caller's
// memberships, so member lists show it.
func (s *Service) UpdateProfile(ctx context.Context, c orgs.Caller, in ProfileInput) (orgs.Profile, error) {
	acc, err := s.Orgs.Account(ctx, c)
	if err != nil {
		return orgs.Profile{}, err
	}
	after := acc.Profile
	if in.Name != nil {
		if after.Name, err = orgs.CleanText("name", *in.Name, orgs.MaxPersonName, false); err != nil {
			return orgs.Profile{}, err
		}
	}
	if in.Phone != nil {
		if after.Phone, err = orgs.ValidPhone(*in.Phone); err != nil {
			return orgs.Profile{}, err
		}
	}
	changes := map[string]any{}
	if after.Name != acc.Profile.Name {
		changes["name"] = map[string]any{"from": orNil(acc.Profile.Name), "to": orNil(after.Name)}
	}
	if after.Phone != acc.Profile.Phone {
		changes["phone"] = map[string]any{"from": orNil(acc.Profile.Phone), "to": orNil(after.Phone)}
	}
	if len(changes) == 0 {
		return after, nil
	}
	ev := s.selfEvent(ctx, acc.Profile, audit.Organization, "member.updated", fmt.Sprintf("%s updated their profile", acc.Profile.Email), changes)
	return after, s.Orgs.Store.UpdateProfile(ctx, acc, after, ev)
}

var (
	selfMailOnce         sync.Once
	emailChangeTemplate  *mail.Template
	emailChangedTemplate *mail.Template
)

// selfMail parses the account emails on first use, as inviteMail does: only the functions
// that send them link them.
func selfMail() (change, changed *mail.Template) {
	selfMailOnce.Do(func() {
		emailChangeTemplate = mail.MustTemplate("email-change",
			"Confirm your new email address",
			`Hello,

someone asked to change the email address of the account {{.OldEmail}} to this address.
To confirm, open this link within 24 hours:

{{.Link}}

If it wasn't you, ignore this message: nothing changes until the link is opened.
`,
			`<p>Hello,</p><p>someone asked to change the email address of the account <b>{{.OldEmail}}</b> to this address.</p>
<p><a href="{{.Link}}">Confirm the new address</a> within 24 hours.</p>
<p>If it wasn't you, ignore this message: nothing changes until the link is opened.</p>`)
		emailChangedTemplate = mail.MustTemplate("email-changed",
			"Your email address was changed",
			`Hello,

the email address of your account was changed from {{.OldEmail}} to {{.NewEmail}}.
If you didn't do this, contact support at once.
`,
			`<p>Hello,</p><p>the email address of your account was changed from <b>{{.OldEmail}}</b> to <b>{{.NewEmail}}</b>.</p>
<p>If you didn't do this, contact support at once.</p>`)
	})
	return emailChangeTemplate, emailChangedTemplate
}

// emailChangeMail is the email to newEmail with the link that confirms the change.
func emailChangeMail(newEmail, oldEmail, link string) (mail.Message, error) {
	tpl, _ := selfMail()
	return tpl.Render(newEmail, map[string]string{"OldEmail": oldEmail, "Link": link})
}

// emailChangedMail is the notice to the old address once the change is done.
func emailChangedMail(oldEmail, newEmail string) (mail.Message, error) {
	_, tpl := selfMail()
	return tpl.Render(oldEmail, map[string]string{"OldEmail": oldEmail, "NewEmail": newEmail})
}

// RequestEmailChange starts a change of the caller's email: a link with a single-use token
// goes to the new address (through the outbox); a newer request replaces an older one. A user
// may ask at most ratelimit.EmailChanges times an hour.
func (s *Service) RequestEmailChange(ctx context.Context, c orgs.Caller, newEmail string) (orgs.EmailChange, error) {
	email, err := orgs.NormalizeEmail("email", newEmail)
	if err != nil {
		return orgs.EmailChange{}, err
	}
	acc, err := s.Orgs.Account(ctx, c)
	if err != nil {
		return orgs.EmailChange{}, err
	}
	if email == acc.Profile.Email {
		return orgs.EmailChange{}, apperr.New(apperr.Invalid, "%s is already your email address", email)
	}
	now := s.Orgs.Now()
	change := orgs.EmailChange{NewEmail: email, ExpiresAt: now.Add(EmailChangeTTL), MessageID: s.Orgs.NewID()}
	ev := s.selfEvent(ctx, acc.Profile, audit.Security, "account.email_change_requested",
		fmt.Sprintf("%s asked to change their email address to %s", acc.Profile.Email, email),
		map[string]any{"email": map[string]any{"from": acc.Profile.Email, "to": email}})
	link, err := outbox.New(change.MessageID, "", KindEmailChangeLink, emailChangeLink{UserID: acc.Profile.ID, NewEmail: email, OldEmail: acc.Profile.Email})
	if err != nil {
		return orgs.EmailChange{}, err
	}
	use := ratelimit.Use{Rule: ratelimit.EmailChanges, Scope: acc.Profile.ID, N: 1, At: now}
	if err := s.Orgs.Store.SaveEmailChange(ctx, acc.Profile.ID, change, ev, use, link); err != nil {
		return orgs.EmailChange{}, err
	}
	return change, nil
}

// SendEmailChangeLink is the outbox handler of KindEmailChangeLink: it mints the link's
// token, stores its hash on the pending change and sends the link to the new address. A
// change that was replaced, completed or expired meanwhile needs nothing.
func (s *Service) SendEmailChangeLink(ctx context.Context, m outbox.Message) error {
	var body emailChangeLink
	if err := m.Decode(&body); err != nil {
		return outbox.Permanent(err)
	}
	ch, err := s.Orgs.Store.EmailChangeOf(ctx, body.UserID)
	if err != nil {
		return err
	}
	if ch == nil || ch.MessageID != m.ID || !s.Orgs.Now().Before(ch.ExpiresAt) {
		return nil
	}
	token, hash := orgs.NewToken()
	if err := s.Orgs.Store.SetEmailChangeToken(ctx, body.UserID, m.ID, hash); err != nil {
		if errors.Is(err, orgs.ErrEmailChangeMoved) {
			return nil
		}
		return err
	}
	msg, err := emailChangeMail(ch.NewEmail, body.OldEmail, strings.TrimRight(s.AppURL, "/")+"/account/email/confirm?token="+token)
	if err != nil {
		return outbox.Permanent(err)
	}
	if s.Mail == nil {
		return errors.New("no mail sender configured")
	}
	return s.Mail.Send(ctx, msg)
}

// ConfirmEmailChange completes a change with the token from the link: the identity provider
// gets the new, verified address, then the profile and every membership that copies it. A
// notice goes to the old address, through the outbox, written with the change.
func (s *Service) ConfirmEmailChange(ctx context.Context, c orgs.Caller, token string) (orgs.Profile, error) {
	acc, err := s.Orgs.Account(ctx, c)
	if err != nil {
		return orgs.Profile{}, err
	}
	change := acc.EmailChange
	if change == nil || subtle.ConstantTimeCompare([]byte(change.TokenHash), []byte(orgs.HashToken(token))) != 1 {
		return orgs.Profile{}, apperr.New(apperr.Gone, "this confirmation link is not valid any more; ask for the change again")
	}
	if !s.Orgs.Now().Before(change.ExpiresAt) {
		return orgs.Profile{}, apperr.New(apperr.Gone, "this confirmation link has expired; ask for the change again")
	}
	// The identity provider first: it is where an address is unique. If the store write
	// fails after it, the link still works and confirming again completes the change; so
	// does the user's next call with a token carrying the new address (Service.catchUp),
	// after which confirming only consumes the link. Setting the same address twice is
	// harmless.
	caughtUp := acc.Profile.Email == change.NewEmail
	if err := s.Directory.SetEmail(ctx, c.ID, change.NewEmail); err != nil {
		return orgs.Profile{}, err
	}
	after := acc.Profile
	after.Email, after.EmailSetAt, after.EmailUnverified = change.NewEmail, s.Orgs.Now(), false
	ev := s.selfEvent(ctx, acc.Profile, audit.Security, "account.email_changed",
		fmt.Sprintf("%s changed their email address to %s", acc.Profile.Email, change.NewEmail),
		map[string]any{"email": map[string]any{"from": acc.Profile.Email, "to": change.NewEmail}})
	msg, err := emailChangedMail(acc.Profile.Email, change.NewEmail)
	if err != nil {
		return orgs.Profile{}, err
	}
	var notice outbox.Message
	if !caughtUp {
		// Once caught up, the old address is no longer known here: the catch-up recorded the
		// change, and no notice goes out.
		notice, err = outbox.NewEmail(s.Orgs.NewID(), "", outbox.Email{Message: msg, Purpose: "email-changed"})
	}
	if err != nil {
		return orgs.Profile{}, err
	}
	if err := s.Orgs.Store.ConfirmEmailChange(ctx, acc, after, *change, ev, notice); err != nil {
		return orgs.Profile{}, err
	}
	return after, nil
}

// selfEvent is an event in the user's personal account's log, by the user.
func (s *Service) selfEvent(ctx context.Context, p orgs.Profile, cat audit.Category, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: p.PersonalOrgID, Category: cat, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: p.ID, Email: p.Email},
		Target:  audit.Target{Type: "user", ID: p.ID, Label: p.Email},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.Orgs.NewID(), s.Orgs.Now())
	return ev
}

// DeleteAccount deletes the caller's account: it leaves every shared org (a member.left event
// in each; an org the caller is the only member of is deleted with the account), deletes the
// personal account, the profile and the identity. While the caller is the only admin of a
// shared org that has other members it refuses (409), before changing anything. A deletion
// that fails half-way can be run again: it goes on from where it stopped.
func (s *Service) DeleteAccount(ctx context.Context, c orgs.Caller) error {
	for attempt := 1; ; attempt++ {
		err := s.deleteAccount(ctx, c)
		if !errors.Is(err, orgs.ErrAccountJoined) || attempt == deleteAttempts {
			return err
		}
		// A membership was added while the deletion ran (an accept, an org's create, an
		// auto-join): read the account again and leave that one too.
	}
}

// deleteAttempts bounds how often a deletion starts again after a join that raced it.
const deleteAttempts = 5

func (s *Service) deleteAccount(ctx context.Context, c orgs.Caller) error {
	acc, err := s.Orgs.Account(ctx, c)
	if errors.Is(err, orgs.ErrAccountDeleted) {
		// An earlier deletion removed the data but not the identity: finish it.
		return s.Directory.DeleteUser(ctx, c.ID)
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(acc.Memberships))
	for i, m := range acc.Memberships {
		ids[i] = m.OrgID
	}
	list, err := s.Orgs.Store.Orgs(ctx, ids)
	if err != nil {
		return err
	}
	byID := map[string]orgs.Org{}
	for _, o := range list {
		byID[o.ID] = o
	}
	for _, m := range acc.Memberships {
		o, ok := byID[m.OrgID]
		me := orgs.Member{Role: m.Role, Status: m.Status}
		if ok && !o.Deleted() && o.Kind == orgs.Shared && me.CountsAsAdmin() && o.AdminCount <= 1 && o.MemberCount > 1 {
			return apperr.New(apperr.Conflict, "you are the only admin of %s, which has other members: make another member an admin, or delete the organization, first", o.Name)
		}
	}
	p := acc.Profile
	me := orgs.Member{UserID: p.ID, Email: p.Email, Name: p.Name}
	// Shared orgs first, the personal account last: a deletion that stops half-way leaves an
	// account that still works, and running it again goes on from there.
	slices.SortStableFunc(acc.Memberships, func(a, b orgs.Membership) int {
		return cmp.Compare(boolInt(a.Kind == orgs.Personal), boolInt(b.Kind == orgs.Personal))
	})
	for _, m := range acc.Memberships {
		o, ok := byID[m.OrgID]
		if !ok || o.Deleted() {
			continue
		}
		a := orgs.Access{Org: o, Member: me}
		// The membership as the user's side keeps it, status included: whether the removal takes
		// an admin from the org's count depends on it.
		a.Member.OrgID, a.Member.Role, a.Member.Seats, a.Member.Status = o.ID, m.Role, m.Seats, m.Status
		switch {
		case o.Kind == orgs.Personal:
			err = s.Orgs.Store.DeleteOrg(ctx, a.Member, o, s.Orgs.Now(), s.Orgs.OrgEvent(ctx, a, "org.deleted",
				fmt.Sprintf("%s deleted their account, and with it their personal account", p.Email), map[string]any{"kind": string(orgs.Personal)}))
		case o.MemberCount <= 1:
			err = s.Orgs.Store.DeleteOrg(ctx, a.Member, o, s.Orgs.Now(), s.Orgs.OrgEvent(ctx, a, "org.deleted",
				fmt.Sprintf("%s deleted their account; %s, which had no other member, was deleted with it", p.Email, o.Name),
				map[string]any{"handle": o.Handle, "name": o.Name, "reason": "account deleted"}))
		default:
			ev := s.Orgs.OrgEvent(ctx, a, "member.left", fmt.Sprintf("%s deleted their account and left the organization", p.Email),
				map[string]any{"role": string(m.Role), "reason": "account deleted"})
			ev.Target = audit.Target{Type: "member", ID: p.ID, Label: p.Email}
			err = s.Members.RemoveMember(ctx, members.Write{OrgID: o.ID, Actor: a.Member, Before: a.Member, Event: ev})
		}
		if err != nil {
			return fmt.Errorf("delete account: leave %s: %w", o.ID, err)
		}
	}
	if err := s.Orgs.Store.DeleteAccountData(ctx, acc, s.Orgs.Now()); err != nil {
		return err
	}
	return s.Directory.DeleteUser(ctx, c.ID)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
