package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// InviteStatus is where an invite stands.
type InviteStatus string

// The invite statuses. An invite is expired from its ExpiresAt on, whatever the table says:
// the scheduled job only makes the table catch up.
const (
	InvitePending  InviteStatus = "pending"
	InviteAccepted InviteStatus = "accepted"
	InviteRevoked  InviteStatus = "revoked"
	InviteExpired  InviteStatus = "expired"
)

// Delivery is how the invite's last email fared.
type Delivery string

// The delivery states.
const (
	DeliverySent Delivery = "sent"
	// DeliveryFailed: SES refused the last email; the scheduled job tries again.
	DeliveryFailed Delivery = "failed"
	// DeliverySending: the scheduled job has claimed the invite to send it again. If the job
	// dies before it knows the outcome, the invite falls due again when the claim lapses.
	DeliverySending Delivery = "sending"
)

// InviteLifetime is how long an invite stays valid after it was created or last resent.
const InviteLifetime = 7 * 24 * time.Hour

// Invite is an invitation to join an org.
type Invite struct {
	ID        string
	OrgID     string
	Email     string
	Role      roles.Role
	Status    InviteStatus // as stored; StatusAt tells the status at an instant
	InvitedBy Person
	CreatedAt time.Time
	// ExpiresAt is InviteLifetime after CreatedAt or the last resend.
	ExpiresAt  time.Time
	LastSentAt time.Time
	Delivery   Delivery
	// DeliveryAttempts counts the failed sends since the last one that worked.
	DeliveryAttempts int
	// TokenHash is the SHA-256 of the token in the invite's current link; the token itself
	// is never stored.
	TokenHash string
	// DueAt is when the scheduled job must next look at a pending invite: its expiry, or
	// the retry of a failed email.
	DueAt      time.Time
	AcceptedAt time.Time
	AcceptedBy string
	RevokedAt  time.Time
}

// StatusAt is the invite's status at now: a pending invite is expired from ExpiresAt on.
func (i Invite) StatusAt(now time.Time) InviteStatus {
	if i.Status == InvitePending && !now.Before(i.ExpiresAt) {
		return InviteExpired
	}
	return i.Status
}

// InviteToken is what the table keeps under a token's hash: enough to find the invite and to
// check an acceptance before writing it.
type InviteToken struct {
	Hash      string
	OrgID     string
	InviteID  string
	Email     string
	Role      roles.Role
	ExpiresAt time.Time
}

// InvitePage is one page of an invite list.
type InvitePage struct {
	Invites []Invite
	Next    string
}

// InvitePreview is what the landing page of an invite link shows, to anyone holding the link.
type InvitePreview struct {
	OrgName   string
	Role      roles.Role
	InvitedBy Person
	ExpiresAt time.Time
	Status    InviteStatus
}

// Errors an InviteStore returns when a write's condition fails.
var (
	ErrInvitePending = apperr.New(apperr.Conflict, "a pending invite for this email address exists; resend it instead")
	ErrAlreadyMember = apperr.New(apperr.Conflict, "this person is already a member of the organization")
	ErrInviteGone    = apperr.New(apperr.Gone, "this invitation is no longer valid: it expired, was revoked or was already used")
	ErrInviteChanged = apperr.New(apperr.Conflict, "the invite was changed meanwhile; reload and try again")
	ErrNotShared     = apperr.New(apperr.Conflict, "a personal account takes no invites or new members")
	// ErrMembersCanInviteOff: the inviter relied on membersCanInvite, which was turned off.
	ErrMembersCanInviteOff = apperr.New(apperr.Forbidden, "members may no longer invite in this organization")
)

// NewInvite is everything written when an invite is created.
type NewInvite struct {
	Invite Invite
	Token  InviteToken
	// Actor is the inviter's membership as read; the write holds only while it still has
	// that role, and, with ByMembersCanInvite, while the org still lets members invite.
	Actor              Member
	ByMembersCanInvite bool
	// Roles ties the write to the org's custom roles as read (see RolesCheck).
	Roles RolesCheck
	Event audit.Event
}

// InviteResend replaces an invite's token and restarts its lifetime.
type InviteResend struct {
	Before Invite
	After  Invite
	Token  InviteToken
	Actor  Member
	Roles  RolesCheck
	Event  audit.Event
}

// InviteRevocation revokes a pending invite.
type InviteRevocation struct {
	Invite    Invite
	RevokedAt time.Time
	Actor     Member
	Roles     RolesCheck
	Event     audit.Event
}

// Acceptance turns an invite into a membership.
type Acceptance struct {
	Token  InviteToken
	Member Member
	// Account, when set, is the accepting user's new account, written in the same
	// transaction (the user's first call is the acceptance).
	Account *NewAccount
	Event   audit.Event
	Now     time.Time
}

// DeliveryUpdate records how an email fared. It holds only while the invite is pending with
// the token the email carried.
type DeliveryUpdate struct {
	Invite     Invite
	Delivery   Delivery
	Attempts   int
	DueAt      time.Time
	LastSentAt time.Time
	// Event is written with the update when set (email.failed).
	Event *audit.Event
}

// InviteStore is the persistence the invite use cases need.
type InviteStore interface {
	// CreateInvite writes the invite, its token lookup, the guard that keeps one pending
	// invite per email (an expired one gives way) and its event, all or nothing, checking
	// that the email is not a member's (ErrAlreadyMember) and no pending invite holds it
	// (ErrInvitePending).
	CreateInvite(ctx context.Context, w NewInvite) error
	// Invites returns one page of the org's invites whose status at now is status.
	Invites(ctx context.Context, orgID string, status InviteStatus, now time.Time, p paging.Request) (InvitePage, error)
	// ResendInvite swaps the token and restarts the lifetime; ErrInviteGone unless the
	// invite is still pending and unexpired with the token read.
	ResendInvite(ctx context.Context, w InviteResend) error
	// RevokeInvite marks a pending invite revoked and frees its email guard; ErrInviteGone
	// when it is no longer pending.
	RevokeInvite(ctx context.Context, w InviteRevocation) error
	// SetDelivery records an email's outcome; ErrInviteChanged when the invite moved on.
	SetDelivery(ctx context.Context, d DeliveryUpdate) error
	// InviteToken reads a token's lookup item; NotFound when there is none.
	InviteToken(ctx context.Context, hash string) (InviteToken, error)
	// InviteWithOrg reads an invite and its org in one round trip; NotFound when either is
	// missing.
	InviteWithOrg(ctx context.Context, orgID, inviteID string) (Invite, Org, error)
	// AcceptContext reads a token's lookup item and the user's profile (nil when the user
	// has none yet) in one round trip; NotFound when the token is unknown.
	AcceptContext(ctx context.Context, hash, userID string) (InviteToken, *Profile, error)
	// AcceptInvite writes the membership (both sides, index entries, email guard), marks the
	// invite accepted, frees its pending guard, counts the member and writes the event, all
	// or nothing: ErrInviteGone unless the invite is pending, unexpired at w.Now and carries
	// the token; ErrAlreadyMember when the user or the email is a member already.
	AcceptInvite(ctx context.Context, w Acceptance) error
	// DueInvites returns the pending invites due in the shard of day at or before now.
	DueInvites(ctx context.Context, day, now time.Time) ([]Invite, error)
	// ExpireInvite marks an invite expired with its event; ErrInviteChanged unless it is
	// still pending, past its expiry at now and due as read.
	ExpireInvite(ctx context.Context, inv Invite, now time.Time, ev audit.Event) error
	// ClaimRetry swaps a pending invite's token for a new one and makes it due at lease,
	// so that one run alone retries its email; ErrInviteChanged unless it is as read.
	ClaimRetry(ctx context.Context, inv Invite, token InviteToken, lease time.Time) error
}

// InviteService runs the invite use cases.
type InviteService struct {
	Store InviteStore
	// Accounts builds the account of a user whose first call is an acceptance, and reads
	// orgs for the scheduled job.
	Accounts *Service
	// Mail sends the invite emails; routes that send none leave it nil.
	Mail mail.Sender
	// AppURL is the web frontend's base URL: links are <AppURL>/invites/accept?token=...
	AppURL string
	Now    func() time.Time
	NewID  func() string
	Log    *slog.Logger
}

// tokenBytes is the invite token's length: 256 random bits.
const tokenBytes = 32

// newToken returns a fresh token and its hash.
func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is the form a token is stored and looked up in.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AcceptLink is the link an invite email carries.
func (s *InviteService) AcceptLink(token string) string {
	return strings.TrimRight(s.AppURL, "/") + "/invites/accept?token=" + token
}

func (s *InviteService) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// invitesRequested is how many invites one bulk request may hold.
const invitesRequested = 100

// InviteInput is one invite to create.
type InviteInput struct {
	Email string
	Role  string
}

// Create invites email to the org as role, then sends the email. An SES failure leaves the
// invite in place with its delivery marked failed; the scheduled job and resend retry it.
func (s *InviteService) Create(ctx context.Context, a Access, in InviteInput) (Invite, error) {
	inv, token, w, err := s.prepare(ctx, a, in)
	if err != nil {
		return Invite{}, err
	}
	if err := s.Store.CreateInvite(ctx, w); err != nil {
		return Invite{}, err
	}
	return s.deliver(ctx, a.Org, inv, token)
}

// prepare validates one invite and builds its write.
func (s *InviteService) prepare(ctx context.Context, a Access, in InviteInput) (Invite, string, NewInvite, error) {
	if a.Org.Kind != Shared {
		return Invite{}, "", NewInvite{}, ErrNotShared
	}
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		return Invite{}, "", NewInvite{}, err
	}
	def, err := a.InvitableRole(in.Role)
	if err != nil {
		return Invite{}, "", NewInvite{}, err
	}
	role := def.ID
	if email == a.Member.Email {
		return Invite{}, "", NewInvite{}, ErrAlreadyMember
	}
	now := s.Now()
	// The invite's own times are whole seconds, as the API shows them; its event keeps the
	// instant, so that the log's order is the order things happened in.
	at := now.Truncate(time.Second)
	token, hash := newToken()
	inv := Invite{
		ID: s.NewID(), OrgID: a.Org.ID, Email: email, Role: role, Status: InvitePending,
		InvitedBy: Person{ID: a.Member.UserID, Email: a.Member.Email},
		CreatedAt: at, ExpiresAt: at.Add(InviteLifetime), LastSentAt: at,
		Delivery: DeliverySent, TokenHash: hash,
	}
	inv.DueAt = inv.ExpiresAt
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: "invite.created",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "invite", ID: inv.ID, Label: email},
		Summary: fmt.Sprintf("%s invited %s as %s", a.Member.Email, email, role),
		Details: map[string]any{"email": email, "role": string(role), "expiresAt": inv.ExpiresAt.UTC().Format(time.RFC3339)},
	}
	ev.Stamp(ctx, s.NewID(), now)
	return inv, token, NewInvite{
		Invite: inv, Token: tokenOf(inv), Actor: a.Member, Roles: a.RolesCheck(role),
		ByMembersCanInvite: !a.role().Has(roles.InvitesCreate), Event: ev,
	}, nil
}

func tokenOf(inv Invite) InviteToken {
	return InviteToken{Hash: inv.TokenHash, OrgID: inv.OrgID, InviteID: inv.ID, Email: inv.Email, Role: inv.Role, ExpiresAt: inv.ExpiresAt}
}

// InviteResult is the outcome of one invite of a bulk request.
type InviteResult struct {
	Invite Invite
	Err    error
}

// bulkParallelism bounds the invites of one bulk request written and mailed at once.
const bulkParallelism = 8

// CreateMany creates up to 100 invites, each on its own (one bad address does not sink the
// rest), and returns one result per input, in input order. An address given twice is
// invited once; the later copies fail.
func (s *InviteService) CreateMany(ctx context.Context, a Access, ins []InviteInput) ([]InviteResult, error) {
	switch {
	case len(ins) == 0:
		return nil, apperr.New(apperr.Invalid, "invites must hold at least one invite")
	case len(ins) > invitesRequested:
		return nil, apperr.New(apperr.Invalid, "invites may hold at most %d invites", invitesRequested)
	}
	results := make([]InviteResult, len(ins))
	seen := map[string]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, bulkParallelism)
	for i, in := range ins {
		if email, err := NormalizeEmail("email", in.Email); err == nil {
			if first, dup := seen[email]; dup {
				results[i].Err = apperr.New(apperr.Conflict, "%s is invited by item %d of this request already", email, first)
				continue
			}
			seen[email] = i
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i].Invite, results[i].Err = s.Create(ctx, a, in)
		})
	}
	wg.Wait()
	return results, nil
}

// List returns one page of the org's invites with the given status (default pending).
func (s *InviteService) List(ctx context.Context, a Access, status string, p paging.Request) (InvitePage, error) {
	st := InviteStatus(status)
	switch st {
	case "":
		st = InvitePending
	case InvitePending, InviteAccepted, InviteRevoked, InviteExpired:
	default:
		return InvitePage{}, apperr.New(apperr.Invalid, "status must be pending, accepted, revoked or expired")
	}
	return s.Store.Invites(ctx, a.Org.ID, st, s.Now(), p)
}

// Resend sends a pending invite again with a new link (the old one stops working) and
// restarts its lifetime.
func (s *InviteService) Resend(ctx context.Context, a Access) (Invite, error) {
	if a.Invite == nil {
		return Invite{}, apperr.New(apperr.NotFound, "invite not found")
	}
	now := s.Now()
	before := *a.Invite
	if st := before.StatusAt(now); st != InvitePending {
		return Invite{}, apperr.New(apperr.Gone, "only a pending invite can be resent; this one is %s", st)
	}
	if !a.CanInvite(before.Role) {
		// A resend gives the invite a new life: only someone who could have created it may.
		return Invite{}, apperr.New(apperr.Forbidden, "your role (%s) may not invite someone as %s", a.RoleName(), before.Role)
	}
	at := now.Truncate(time.Second)
	token, hash := newToken()
	after := before
	after.TokenHash, after.ExpiresAt, after.LastSentAt = hash, at.Add(InviteLifetime), at
	after.Delivery, after.DeliveryAttempts, after.DueAt = DeliverySent, 0, after.ExpiresAt
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: "invite.resent",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "invite", ID: before.ID, Label: before.Email},
		Summary: fmt.Sprintf("%s resent the invitation to %s", a.Member.Email, before.Email),
		Details: map[string]any{"role": string(before.Role), "expiresAt": after.ExpiresAt.UTC().Format(time.RFC3339)},
	}
	ev.Stamp(ctx, s.NewID(), now)
	if err := s.Store.ResendInvite(ctx, InviteResend{Before: before, After: after, Token: tokenOf(after), Actor: a.Member, Roles: a.RolesCheck(), Event: ev}); err != nil {
		return Invite{}, err
	}
	return s.deliver(ctx, a.Org, after, token)
}

// Revoke withdraws a pending invite; its link shows it revoked from then on.
func (s *InviteService) Revoke(ctx context.Context, a Access) error {
	if a.Invite == nil {
		return apperr.New(apperr.NotFound, "invite not found")
	}
	now := s.Now()
	inv := *a.Invite
	if st := inv.StatusAt(now); st != InvitePending {
		return apperr.New(apperr.Gone, "only a pending invite can be revoked; this one is %s", st)
	}
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: "invite.revoked",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "invite", ID: inv.ID, Label: inv.Email},
		Summary: fmt.Sprintf("%s revoked the invitation to %s", a.Member.Email, inv.Email),
		Details: map[string]any{"role": string(inv.Role)},
	}
	ev.Stamp(ctx, s.NewID(), now)
	return s.Store.RevokeInvite(ctx, InviteRevocation{Invite: inv, RevokedAt: now, Actor: a.Member, Roles: a.RolesCheck(), Event: ev})
}

// maxTokenLength bounds what is hashed and looked up as a token.
const maxTokenLength = 256

func (s *InviteService) lookup(token string) (string, error) {
	if token == "" || len(token) > maxTokenLength {
		return "", apperr.New(apperr.NotFound, "invitation not found")
	}
	return hashToken(token), nil
}

// Preview describes the invite behind a link, whatever its status; NotFound for a token that
// is unknown, replaced by a resend, or of a deleted org.
func (s *InviteService) Preview(ctx context.Context, token string) (InvitePreview, error) {
	hash, err := s.lookup(token)
	if err != nil {
		return InvitePreview{}, err
	}
	tok, err := s.Store.InviteToken(ctx, hash)
	if err != nil {
		return InvitePreview{}, err
	}
	inv, org, err := s.Store.InviteWithOrg(ctx, tok.OrgID, tok.InviteID)
	if err != nil {
		return InvitePreview{}, err
	}
	if org.Deleted() || inv.TokenHash != hash {
		return InvitePreview{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	return InvitePreview{OrgName: org.Name, Role: inv.Role, InvitedBy: inv.InvitedBy, ExpiresAt: inv.ExpiresAt, Status: inv.StatusAt(s.Now())}, nil
}

// Accept makes the caller a member as the invite says. The caller's verified email must be
// the invite's; the invite must be pending and unexpired; a concurrent second acceptance
// finds it used. A caller seen for the first time gets their account in the same write.
func (s *InviteService) Accept(ctx context.Context, c Caller, token string) (Member, error) {
	hash, err := s.lookup(token)
	if err != nil {
		return Member{}, err
	}
	tok, profile, err := s.Store.AcceptContext(ctx, hash, c.ID)
	if err != nil {
		return Member{}, err
	}
	email, err := verifiedEmail(c, profile)
	if err != nil {
		return Member{}, err
	}
	if email != tok.Email {
		return Member{}, apperr.New(apperr.Forbidden, "this invitation was sent to another email address; sign in as that address to accept it")
	}
	now := s.Now()
	if !now.Before(tok.ExpiresAt) {
		return Member{}, ErrInviteGone
	}
	var pending *NewAccount
	name := ""
	if profile != nil {
		name = profile.Name
	} else {
		na := s.Accounts.newAccount(ctx, c, email, slug(email[:strings.IndexByte(email, '@')]), now)
		pending, name = &na, na.Profile.Name
	}
	m := Member{OrgID: tok.OrgID, UserID: c.ID, Email: email, Name: name, Role: tok.Role, JoinedAt: now, Source: SourceInvite}
	ev := audit.Event{
		OrgID: tok.OrgID, Category: audit.Organization, Action: "invite.accepted",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: email},
		Target:  audit.Target{Type: "invite", ID: tok.InviteID, Label: email},
		Summary: fmt.Sprintf("%s accepted the invitation and joined as %s", email, tok.Role),
		Details: map[string]any{"role": string(tok.Role), "userId": c.ID},
	}
	ev.Stamp(ctx, s.NewID(), now)
	for attempt := 0; ; attempt++ {
		err := s.Store.AcceptInvite(ctx, Acceptance{Token: tok, Member: m, Account: pending, Event: ev, Now: now})
		switch {
		case err == nil:
			return m, nil
		case attempt >= handleAttempts:
			return Member{}, err
		case s.Accounts.retryWithAccount(err, &pending):
		default:
			return Member{}, err
		}
	}
}

// verifiedEmail is the caller's email as the identity provider vouches for it: the ID
// token's verified email claim, or for access tokens (which carry none) the profile's.
func verifiedEmail(c Caller, p *Profile) (string, error) {
	if p != nil && p.Email != "" {
		// The profile's address is the user's current one: the email-change flow verifies it
		// and keeps it, where a token issued before a change still carries the old one.
		return p.Email, nil
	}
	if c.Email != "" {
		if !c.EmailVerified {
			return "", apperr.New(apperr.Forbidden, "verify your email address before accepting an invitation")
		}
		return NormalizeEmail("email", c.Email)
	}
	return "", apperr.New(apperr.Unauthenticated, "accepting an invitation as a new user needs an ID token (it carries the email address)")
}

// deliver sends the invite's email. When SES fails the invite stays, with its delivery marked
// failed and due for a retry; only a failure to record that is an error.
func (s *InviteService) deliver(ctx context.Context, org Org, inv Invite, token string) (Invite, error) {
	sendErr := s.send(ctx, org, inv, token)
	if sendErr == nil {
		return inv, nil
	}
	s.log().WarnContext(ctx, "invite email failed", "org", inv.OrgID, "invite", inv.ID, "error", sendErr)
	now := s.Now()
	failed := s.failure(ctx, inv, now)
	if err := s.Store.SetDelivery(ctx, failed); err != nil && !errors.Is(err, ErrInviteChanged) {
		return Invite{}, fmt.Errorf("record failed delivery of invite %s: %w (send: %v)", inv.ID, err, sendErr)
	}
	inv.Delivery, inv.DeliveryAttempts, inv.DueAt = failed.Delivery, failed.Attempts, failed.DueAt
	return inv, nil
}

func (s *InviteService) send(ctx context.Context, org Org, inv Invite, token string) error {
	if s.Mail == nil {
		return errors.New("no mail sender configured")
	}
	msg, err := inviteMessage(org, inv, s.AcceptLink(token))
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, msg)
}

// Retries of failed invite emails back off from retryBase up to retryMax, never past the
// invite's expiry; a claimed retry that never reports back falls due after retryLease.
const (
	retryBase  = 5 * time.Minute
	retryMax   = 6 * time.Hour
	retryLease = 10 * time.Minute
)

// failure is the delivery update after a failed send: due for a retry, with email.failed.
func (s *InviteService) failure(ctx context.Context, inv Invite, now time.Time) DeliveryUpdate {
	attempts := inv.DeliveryAttempts + 1
	wait := retryBase << min(attempts-1, 10)
	due := now.Add(min(wait, retryMax))
	if due.After(inv.ExpiresAt) {
		due = inv.ExpiresAt
	}
	ev := audit.Event{
		OrgID: inv.OrgID, Category: audit.System, Action: "email.failed",
		Actor:   audit.Actor{Type: audit.ActorSystem, ID: "mail"},
		Target:  audit.Target{Type: "invite", ID: inv.ID, Label: inv.Email},
		Summary: fmt.Sprintf("The invitation email to %s could not be sent; it will be tried again", inv.Email),
		Details: map[string]any{"attempts": attempts, "nextAttemptAt": due.UTC().Format(time.RFC3339)},
	}
	ev.Stamp(ctx, s.NewID(), now)
	return DeliveryUpdate{Invite: inv, Delivery: DeliveryFailed, Attempts: attempts, DueAt: due, LastSentAt: inv.LastSentAt, Event: &ev}
}

// dueLookback is how many days back the scheduled job looks for invites that fell due. An
// invite is due at the latest at its expiry, and the job runs every few minutes, so only a
// job stopped for longer than this would leave invites behind (still expired on every read).
const dueLookback = 30

// ProcessDue is the scheduled job's invite task: it marks pending invites past their expiry
// expired (with invite.expired) and retries failed emails. It reads only what is due, from
// the day shards of the due index, never the whole table; every write is conditional on the
// state read, so two runs, even at once, do each thing once.
func (s *InviteService) ProcessDue(ctx context.Context, now time.Time) error {
	var errs []error
	for d := dueLookback; d >= 0; d-- {
		day := now.AddDate(0, 0, -d)
		due, err := s.Store.DueInvites(ctx, day, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, inv := range due {
			if err := s.process(ctx, inv, now); err != nil && !errors.Is(err, ErrInviteChanged) {
				errs = append(errs, fmt.Errorf("invite %s of org %s: %w", inv.ID, inv.OrgID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (s *InviteService) process(ctx context.Context, inv Invite, now time.Time) error {
	switch {
	case inv.Status != InvitePending:
		return nil
	case inv.StatusAt(now) == InviteExpired:
		ev := audit.Event{
			OrgID: inv.OrgID, Category: audit.Organization, Action: "invite.expired",
			Actor:   audit.Actor{Type: audit.ActorSystem, ID: "scheduled-job"},
			Target:  audit.Target{Type: "invite", ID: inv.ID, Label: inv.Email},
			Summary: fmt.Sprintf("The invitation to %s expired unanswered", inv.Email),
			Details: map[string]any{"role": string(inv.Role), "expiresAt": inv.ExpiresAt.UTC().Format(time.RFC3339)},
		}
		ev.Stamp(ctx, s.NewID(), now)
		return s.Store.ExpireInvite(ctx, inv, now, ev)
	case inv.Delivery != DeliverySent:
		return s.retry(ctx, inv, now)
	}
	return nil
}

// retry claims a failed delivery with a new token (the old link never arrived), sends it
// and records the outcome.
func (s *InviteService) retry(ctx context.Context, inv Invite, now time.Time) error {
	token, hash := newToken()
	claimed := inv
	claimed.TokenHash, claimed.Delivery = hash, DeliverySending
	claimed.DueAt = now.Add(retryLease)
	if claimed.DueAt.After(inv.ExpiresAt) {
		claimed.DueAt = inv.ExpiresAt
	}
	if err := s.Store.ClaimRetry(ctx, inv, tokenOf(claimed), claimed.DueAt); err != nil {
		return err
	}
	list, err := s.Accounts.Store.Orgs(ctx, []string{inv.OrgID})
	if err != nil {
		return err
	}
	if len(list) == 0 || list[0].Deleted() {
		// The org is gone: no more emails; the invite expires in its time.
		return s.Store.SetDelivery(ctx, DeliveryUpdate{Invite: claimed, Delivery: DeliveryFailed, Attempts: inv.DeliveryAttempts, DueAt: inv.ExpiresAt, LastSentAt: inv.LastSentAt})
	}
	if err := s.send(ctx, list[0], claimed, token); err != nil {
		s.log().WarnContext(ctx, "invite email retry failed", "org", inv.OrgID, "invite", inv.ID, "error", err)
		return s.Store.SetDelivery(ctx, s.failure(ctx, claimed, now))
	}
	return s.Store.SetDelivery(ctx, DeliveryUpdate{Invite: claimed, Delivery: DeliverySent, DueAt: inv.ExpiresAt, LastSentAt: now})
}
