// Package invites is how people are invited into an org: an admin (or, under
// membersCanInvite, a member) invites an address as a role, one or a hundred at a time; the
// invite's email leaves through the outbox with a single-use link, which the invitee previews
// and accepts; invites are resent, revoked, and expire (the scheduled job). An invite carries
// its inviter's authority: accepting it holds only while the inviter could still give its
// role.
package invites

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
)

// Status is where an invite stands.
type Status string

// The invite statuses. An invite is expired from its ExpiresAt on, whatever the table says:
// the scheduled job only makes the table catch up.
const (
	Pending  Status = "pending"
	Accepted Status = "accepted"
	Revoked  Status = "revoked"
	Expired  Status = "expired"
)

// Delivery is how the invite's last email fared.
type Delivery string

// The delivery states. The email goes through the outbox: the invite's write puts the
// message into its transaction, and the stream processor sends it seconds later.
const (
	// DeliveryPending: the email is in the outbox, not sent yet.
	DeliveryPending Delivery = "pending"
	DeliverySent    Delivery = "sent"
	// DeliveryFailed: SES refused the last attempt; the outbox tries again with a backoff
	// (DeliveryAttempts says how often it tried), until it gives up.
	DeliveryFailed Delivery = "failed"
)

// KindEmail is the outbox message that sends an invite's email (inviteEmail body). Its
// handler mints the link's token when it sends: the outbox never holds a usable token.
const KindEmail outbox.Kind = "invite-email"

type inviteEmail struct {
	OrgID    string `json:"orgId"`
	InviteID string `json:"inviteId"`
}

// Lifetime is how long an invite stays valid after it was created or last resent.
const Lifetime = 7 * 24 * time.Hour

// Invite is an invitation to join an org.
type Invite struct {
	ID        string
	OrgID     string
	Email     string
	Role      roles.Role
	Status    Status // as stored; StatusAt tells the status at an instant
	InvitedBy orgs.Person
	CreatedAt time.Time
	// ExpiresAt is Lifetime after CreatedAt or the last resend.
	ExpiresAt  time.Time
	LastSentAt time.Time
	Delivery   Delivery
	// DeliveryAttempts counts the attempts of the current email.
	DeliveryAttempts int
	// DeliveryMessage is the id of the outbox message of the current email: only that one
	// sends (a resend's message supersedes the earlier one).
	DeliveryMessage string
	// TokenHash is the SHA-256 of the token in the invite's current link; the token itself
	// is never stored. "" until the email's handler has minted one.
	TokenHash string
	// DueAt is when the scheduled job must next look at a pending invite: its expiry.
	DueAt      time.Time
	AcceptedAt time.Time
	AcceptedBy string
	RevokedAt  time.Time
	// ByMembersCanInvite: the inviter could invite only because the org lets members invite;
	// accepting needs the setting still on.
	ByMembersCanInvite bool
	// InviterRole is the role InvitedBy held when they sent it: keeping it keeps the invite's
	// authority (the only way for a custom role, whose grants the accept does not read).
	InviterRole roles.Role
}

// StatusAt is the invite's status at now: a pending invite is expired from ExpiresAt on.
func (i Invite) StatusAt(now time.Time) Status {
	if i.Status == Pending && !now.Before(i.ExpiresAt) {
		return Expired
	}
	return i.Status
}

// Token is what the table keeps under a token's hash: enough to find the invite and to
// check an acceptance before writing it.
type Token struct {
	Hash      string
	OrgID     string
	InviteID  string
	Email     string
	Role      roles.Role
	ExpiresAt time.Time
	// InvitedBy and ByMembersCanInvite are the authority the invite carries (Invite's): the
	// accept holds only while it lasts.
	InvitedBy          string
	ByMembersCanInvite bool
	InviterRole        roles.Role
}

// Page is one page of an invite list.
type Page struct {
	Invites []Invite
	Next    string
}

// Preview is what the landing page of an invite link shows, to anyone holding the link.
type Preview struct {
	OrgName   string
	Role      roles.Role
	InvitedBy orgs.Person
	ExpiresAt time.Time
	Status    Status
}

// Errors a Store returns when a write's condition fails.
var (
	ErrPending = apperr.New(apperr.Conflict, "a pending invite for this email address exists; resend it instead")
	ErrGone    = apperr.New(apperr.Gone, "this invitation is no longer valid: it expired, was revoked or was already used")
	// ErrAuthorityGone: the invite outlived the authority that made it (its inviter
	// left, lost the role that could grant the invite's role, or the org stopped letting
	// members invite).
	ErrAuthorityGone = apperr.New(apperr.Gone, "this invitation is no longer valid: the person who sent it may no longer invite to this role; ask the organization for a new invitation")
	ErrChanged       = apperr.New(apperr.Conflict, "the invite was changed meanwhile; reload and try again")
	ErrNotShared     = apperr.New(apperr.Conflict, "a personal account takes no invites or new members")
	// ErrMembersCanInviteOff: the inviter relied on membersCanInvite, which was turned off.
	ErrMembersCanInviteOff = apperr.New(apperr.Forbidden, "members may no longer invite in this organization")
)

// NewInvite is everything written when an invite is created.
type NewInvite struct {
	Invite Invite
	// Email is the outbox message that sends the invite's email.
	Email outbox.Message
	// Budget, when set, is the org's email budget the email uses (in the same transaction).
	Budget *ratelimit.Use
	// Actor is the inviter's membership as read; the write holds only while it still has
	// that role, and, with ByMembersCanInvite, while the org still lets members invite.
	Actor              orgs.Member
	ByMembersCanInvite bool
	// Roles ties the write to the org's custom roles as read (see orgs.RolesCheck).
	Roles orgs.RolesCheck
	Event audit.Event
}

// Resend drops an invite's link, restarts its lifetime and sends a new email.
type Resend struct {
	Before Invite
	After  Invite
	Email  outbox.Message
	Budget *ratelimit.Use
	Actor  orgs.Member
	Roles  orgs.RolesCheck
	Event  audit.Event
}

// Revocation revokes a pending invite.
type Revocation struct {
	Invite    Invite
	RevokedAt time.Time
	Actor     orgs.Member
	Roles     orgs.RolesCheck
	Event     audit.Event
}

// Acceptance turns an invite into a membership.
type Acceptance struct {
	Token  Token
	Member orgs.Member
	// Account, when set, is the accepting user's new account, written in the same
	// transaction (the user's first call is the acceptance).
	Account *orgs.NewAccount
	Event   audit.Event
	Now     time.Time
	// InviterRoles are the org's roles, as defined when the acceptance read the org, in
	// which the inviter (Token.InvitedBy) may still grant the invite's role: the accept holds
	// only while the inviter is an active member holding one of them (ErrAuthorityGone),
	// and, for a ByMembersCanInvite invite, while the org still lets members invite.
	InviterRoles []roles.Role
	// Roles ties InviterRoles to the org's custom roles as read (orgs.RolesCheck): a custom role
	// edited meanwhile is judged again, not on the strength of what it was.
	Roles orgs.RolesCheck
}

// DeliveryUpdate records how an email fared. It holds only while the invite is pending with
// the token the email carried.
type DeliveryUpdate struct {
	Invite     Invite
	Delivery   Delivery
	Attempts   int
	LastSentAt time.Time
	// Event is written with the update when set (email.failed).
	Event *audit.Event
}

// Store is the persistence the invite use cases need.
type Store interface {
	// CreateInvite writes the invite, the guard that keeps one pending invite per email (an
	// expired one gives way), its email's outbox message, the budget's use and its event,
	// all or nothing, checking that the email is not a member's (orgs.ErrAlreadyMember) and no
	// pending invite holds it (ErrPending); the budget's error when it is spent.
	CreateInvite(ctx context.Context, w NewInvite) error
	// Invites returns one page of the org's invites whose status at now is status.
	Invites(ctx context.Context, orgID string, status Status, now time.Time, p paging.Request) (Page, error)
	// ResendInvite drops the token (its lookup item goes), restarts the lifetime and writes
	// the new email's outbox message; ErrGone unless the invite is still pending and
	// unexpired with the token read.
	ResendInvite(ctx context.Context, w Resend) error
	// RevokeInvite marks a pending invite revoked and frees its email guard; ErrGone
	// when it is no longer pending.
	RevokeInvite(ctx context.Context, w Revocation) error
	// SetDelivery records an email's outcome; ErrChanged when the invite moved on.
	SetDelivery(ctx context.Context, d DeliveryUpdate) error
	// SetInviteToken gives a pending invite the token its email is about to carry (its lookup
	// item replaces the old one's); ErrChanged unless the invite is pending, with the
	// token read and its current email the message's, and its org live.
	SetInviteToken(ctx context.Context, inv Invite, token Token, messageID string) error
	// Token reads a token's lookup item; NotFound when there is none.
	InviteToken(ctx context.Context, hash string) (Token, error)
	// InviteWithOrg reads an invite and its org in one round trip; NotFound when either is
	// missing.
	InviteWithOrg(ctx context.Context, orgID, inviteID string) (Invite, orgs.Org, error)
	// AcceptContext reads a token's lookup item, the user's profile (nil when the user has
	// none yet) and the token's org (its custom roles decide the invite's authority) in one
	// round trip when orgID, the org the token names, is given (a token of the older form
	// names none: then the org is read after the token); NotFound when the token is unknown.
	// The org is the zero orgs.Org when it is gone.
	AcceptContext(ctx context.Context, hash, orgID, userID string) (Token, *orgs.Profile, orgs.Org, error)
	// AcceptInvite writes the membership (both sides, index entries, email guard), marks the
	// invite accepted, frees its pending guard, counts the member and writes the event, all
	// or nothing: ErrGone unless the invite is pending, unexpired at w.Now and carries
	// the token; orgs.ErrAlreadyMember when the user or the email is a member already.
	AcceptInvite(ctx context.Context, w Acceptance) error
	// DueInvites returns the pending invites due in the shard of day at or before now.
	DueInvites(ctx context.Context, day, now time.Time) ([]Invite, error)
	// ExpireInvite marks an invite expired with its event; ErrChanged unless it is
	// still pending, past its expiry at now and due as read.
	ExpireInvite(ctx context.Context, inv Invite, now time.Time, ev audit.Event) error
}

// Service runs the invite use cases.
type Service struct {
	Store Store
	// Accounts builds the account of a user whose first call is an acceptance, and reads
	// orgs for the scheduled job.
	Accounts *orgs.Service
	// Mail sends the invite emails: the stream processor's and the job's outbox handler
	// (SendInviteEmail) use it; the routes leave it nil.
	Mail mail.Sender
	// DailyEmailLimit is the org's email budget a UTC day (ORG_DAILY_EMAIL_LIMIT; the
	// default of ratelimit.OrgDailyEmails when 0), UserDailyEmailLimit the acting user's
	// across all their orgs (USER_DAILY_EMAIL_LIMIT; ratelimit.UserDailyEmails's default).
	DailyEmailLimit     int
	UserDailyEmailLimit int
	// AppURL is the web frontend's base URL: links are <AppURL>/invites/accept?token=...
	AppURL string
	Now    func() time.Time
	NewID  func() string
	Log    *slog.Logger
}

// newInviteToken returns a fresh invite token and its hash. The token names the org and the
// invite before its secret part ("<orgId>_<inviteId>_<secret>", all of it URL-safe), so that
// the link's preview reads both in one round trip; only the hash of the whole token is stored.
func newInviteToken(orgID, inviteID string) (token, hash string) {
	secret, _ := orgs.NewToken()
	token = orgID + "_" + inviteID + "_" + secret
	return token, orgs.HashToken(token)
}

// legacyTokenLength is the length of a token of the older form, a bare secret.
var legacyTokenLength = base64.RawURLEncoding.EncodedLen(orgs.TokenBytes)

// tokenIDs returns the org and invite ids an invite token names; ok is false for a token of
// the older form (a bare secret, looked up by its hash) or one the server could not have made.
func tokenIDs(token string) (orgID, inviteID string, ok bool) {
	if len(token) == legacyTokenLength {
		return "", "", false
	}
	parts := strings.SplitN(token, "_", 3)
	if len(parts) != 3 || !idShaped(parts[0]) || !idShaped(parts[1]) {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// idShaped: a server-issued id (a lower-case ULID, or the like): 1 to 64 of a-z0-9.
func idShaped(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// AcceptLink is the link an invite email carries.
func (s *Service) AcceptLink(token string) string {
	return strings.TrimRight(s.AppURL, "/") + "/invites/accept?token=" + token
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// invitesRequested is how many invites one bulk request may hold.
const invitesRequested = 100

// Input is one invite to create.
type Input struct {
	Email string
	Role  string
}

// Create invites email to the org as role. The email goes through the outbox: it is written
// with the invite and sent by the stream processor seconds later (delivery pending, then sent
// or failed); an SES failure is retried there. The email counts against the org's daily
// email budget, in the same transaction.
func (s *Service) Create(ctx context.Context, a orgs.Access, in Input) (Invite, error) {
	w, err := s.prepare(ctx, a, in)
	if err != nil {
		return Invite{}, err
	}
	use := s.emailBudget(a, 1)
	w.Budget = &use
	if err := s.Store.CreateInvite(ctx, w); err != nil {
		return Invite{}, err
	}
	return w.Invite, nil
}

// emailBudget is n emails of the org's daily budget and of the acting member's, now.
func (s *Service) emailBudget(a orgs.Access, n int) ratelimit.Use {
	return ratelimit.EmailLimits{Org: s.DailyEmailLimit, User: s.UserDailyEmailLimit}.Emails(a.Org.ID, a.Member.UserID, n, s.Now())
}

// inviteEmailMessage is the outbox message that sends inv's email.
func (s *Service) inviteEmailMessage(inv Invite) (outbox.Message, error) {
	return outbox.New(inv.DeliveryMessage, inv.OrgID, KindEmail, inviteEmail{OrgID: inv.OrgID, InviteID: inv.ID})
}

// validate checks one invite's input: the normalized email and the role.
func (s *Service) validate(a orgs.Access, in Input) (string, roles.Role, error) {
	if a.Org.Kind != orgs.Shared {
		return "", "", ErrNotShared
	}
	email, err := orgs.NormalizeEmail("email", in.Email)
	if err != nil {
		return "", "", err
	}
	def, err := a.InvitableRole(in.Role)
	if err != nil {
		return "", "", err
	}
	role := def.ID
	if email == a.Member.Email {
		return "", "", orgs.ErrAlreadyMember
	}
	return email, role, nil
}

// prepare validates one invite and builds its write.
func (s *Service) prepare(ctx context.Context, a orgs.Access, in Input) (NewInvite, error) {
	email, role, err := s.validate(a, in)
	if err != nil {
		return NewInvite{}, err
	}
	now := s.Now()
	// The invite's own times are whole seconds, as the API shows them; its event keeps the
	// instant, so that the log's order is the order things happened in.
	at := now.Truncate(time.Second)
	inv := Invite{
		ID: s.NewID(), OrgID: a.Org.ID, Email: email, Role: role, Status: Pending,
		InvitedBy: orgs.Person{ID: a.Member.UserID, Email: a.Member.Email},
		CreatedAt: at, ExpiresAt: at.Add(Lifetime), LastSentAt: at,
		Delivery: DeliveryPending, DeliveryMessage: s.NewID(),
		ByMembersCanInvite: !a.Role().Has(roles.InvitesCreate), InviterRole: a.Member.Role,
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
	msg, err := s.inviteEmailMessage(inv)
	if err != nil {
		return NewInvite{}, err
	}
	return NewInvite{
		Invite: inv, Email: msg, Actor: a.Member, Roles: a.RolesCheck(role),
		ByMembersCanInvite: inv.ByMembersCanInvite, Event: ev,
	}, nil
}

func tokenOf(inv Invite) Token {
	return Token{Hash: inv.TokenHash, OrgID: inv.OrgID, InviteID: inv.ID, Email: inv.Email, Role: inv.Role, ExpiresAt: inv.ExpiresAt,
		InvitedBy: inv.InvitedBy.ID, ByMembersCanInvite: inv.ByMembersCanInvite, InviterRole: inv.InviterRole}
}

// Result is the outcome of one invite of a bulk request.
type Result struct {
	Invite Invite
	Err    error
}

// bulkParallelism bounds the invites of one bulk request written at once.
const bulkParallelism = 8

// BulkStore is what a bulk request needs beyond Store: giving back the budget its
// failed items didn't use. (Its response, for a replay of its Idempotency-Key, is kept by the
// HTTP layer: httpapi/bulk.go.)
type BulkStore interface {
	// Release gives n uses of a limit back.
	Release(ctx context.Context, u ratelimit.Use) error
}

// CreateMany creates up to 100 invites, each on its own (one bad address does not sink the
// rest), and returns one result per input, in input order. An address given twice is invited
// once: a later valid copy fails, while a copy that failed validation blocks nothing. The
// emails leave through the outbox, like a single invite's. The request's valid items count
// against the org's daily email budget as a whole, in the first one's transaction: a request
// that would pass it is refused whole (rate limited), nothing written; items that fail give
// their use back.
func (s *Service) CreateMany(ctx context.Context, a orgs.Access, ins []Input) ([]Result, error) {
	switch {
	case len(ins) == 0:
		return nil, apperr.New(apperr.Invalid, "invites must hold at least one invite")
	case len(ins) > invitesRequested:
		return nil, apperr.New(apperr.Invalid, "invites may hold at most %d invites", invitesRequested)
	}
	results := make([]Result, len(ins))
	writes := make([]*NewInvite, len(ins))
	seen := map[string]int{}
	valid := 0
	for i, in := range ins {
		w, err := s.prepare(ctx, a, in)
		if err != nil {
			// An item that fails validation claims no address: a later valid item with the
			// same one goes ahead.
			results[i].Err = err
			continue
		}
		if first, dup := seen[w.Invite.Email]; dup {
			results[i].Err = apperr.New(apperr.Conflict, "%s is invited by item %d of this request already", w.Invite.Email, first)
			continue
		}
		seen[w.Invite.Email] = i
		writes[i] = &w
		valid++
	}
	bulk, ok := s.Store.(BulkStore)
	if !ok {
		return nil, errors.New("invites: the store can't count a bulk request's emails")
	}
	// The writes go one at a time until one succeeds, then the rest in parallel. The first
	// that succeeds carries the whole request's use of the budget (itself and every later
	// item): one round trip for both, and a request that would pass the budget writes
	// nothing. It also carries the request's Idempotency-Key, if any, so that a replay finds
	// the first response. An error that is not about the item (the table failing, a replay)
	// fails the request, as it would fail every item.
	var failed atomic.Int64
	remaining := valid
	parallelFrom := len(writes)
	for i, w := range writes {
		if w == nil {
			continue
		}
		use := s.emailBudget(a, remaining)
		first := *w
		first.Budget = &use
		err := s.Store.CreateInvite(ctx, first)
		switch kind := apperr.KindOf(err); {
		case err == nil:
			results[i].Invite = w.Invite
		case kind == apperr.Internal || kind == apperr.RateLimited || kind == apperr.Unavailable:
			return nil, err
		default:
			results[i].Err = err
			remaining--
			continue
		}
		parallelFrom = i + 1
		break
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, bulkParallelism)
	for i := parallelFrom; i < len(writes); i++ {
		w := writes[i]
		if w == nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.Store.CreateInvite(ctx, *w); err != nil {
				results[i].Err = err
				failed.Add(1)
				return
			}
			results[i].Invite = w.Invite
		})
	}
	wg.Wait()
	if n := int(failed.Load()); n > 0 {
		if err := bulk.Release(ctx, s.emailBudget(a, n)); err != nil {
			s.log().WarnContext(ctx, "give back unused email budget", "org", a.Org.ID, "error", err)
		}
	}
	return results, nil
}

// List returns one page of the org's invites with the given status (default pending).
func (s *Service) List(ctx context.Context, a orgs.Access, status string, p paging.Request) (Page, error) {
	st := Status(status)
	switch st {
	case "":
		st = Pending
	case Pending, Accepted, Revoked, Expired:
	default:
		return Page{}, apperr.New(apperr.Invalid, "status must be pending, accepted, revoked or expired")
	}
	return s.Store.Invites(ctx, a.Org.ID, st, s.Now(), p)
}

// Resend sends a pending invite again with a new link (the old one stops working at once)
// and restarts its lifetime; the email goes through the outbox and counts against the
// org's email budget.
func (s *Service) Resend(ctx context.Context, a orgs.Access) (Invite, error) {
	target := InviteOf(a)
	if target == nil {
		return Invite{}, apperr.New(apperr.NotFound, "invite not found")
	}
	now := s.Now()
	before := *target
	if st := before.StatusAt(now); st != Pending {
		return Invite{}, apperr.New(apperr.Gone, "only a pending invite can be resent; this one is %s", st)
	}
	if !a.CanInvite(before.Role) {
		// A resend gives the invite a new life: only someone who could have created it may.
		return Invite{}, apperr.New(apperr.Forbidden, "your role (%s) may not invite someone as %s", a.RoleName(), before.Role)
	}
	at := now.Truncate(time.Second)
	after := before
	after.TokenHash, after.ExpiresAt, after.LastSentAt = "", at.Add(Lifetime), at
	after.Delivery, after.DeliveryAttempts, after.DueAt = DeliveryPending, 0, after.ExpiresAt
	after.DeliveryMessage = s.NewID()
	// The new link carries the authority of whoever sends it (who manages invites), as a new
	// invite would: a resend revives an invite whose first inviter left.
	after.InvitedBy, after.ByMembersCanInvite, after.InviterRole = orgs.Person{ID: a.Member.UserID, Email: a.Member.Email}, false, a.Member.Role
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: "invite.resent",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "invite", ID: before.ID, Label: before.Email},
		Summary: fmt.Sprintf("%s resent the invitation to %s", a.Member.Email, before.Email),
		Details: map[string]any{"role": string(before.Role), "expiresAt": after.ExpiresAt.UTC().Format(time.RFC3339)},
	}
	ev.Stamp(ctx, s.NewID(), now)
	msg, err := s.inviteEmailMessage(after)
	if err != nil {
		return Invite{}, err
	}
	use := s.emailBudget(a, 1)
	if err := s.Store.ResendInvite(ctx, Resend{Before: before, After: after, Email: msg, Budget: &use, Actor: a.Member, Roles: a.RolesCheck(), Event: ev}); err != nil {
		return Invite{}, err
	}
	return after, nil
}

// Revoke withdraws a pending invite; its link shows it revoked from then on.
func (s *Service) Revoke(ctx context.Context, a orgs.Access) error {
	target := InviteOf(a)
	if target == nil {
		return apperr.New(apperr.NotFound, "invite not found")
	}
	now := s.Now()
	inv := *target
	if st := inv.StatusAt(now); st != Pending {
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
	return s.Store.RevokeInvite(ctx, Revocation{Invite: inv, RevokedAt: now, Actor: a.Member, Roles: a.RolesCheck(), Event: ev})
}

// acceptAttempts bounds how often an acceptance that creates the caller's account is tried
// again after the personal handle it picked was taken.
const acceptAttempts = 5

// maxTokenLength bounds what is hashed and looked up as a token.
const maxTokenLength = 256

func (s *Service) lookup(token string) (string, error) {
	if token == "" || len(token) > maxTokenLength {
		return "", apperr.New(apperr.NotFound, "invitation not found")
	}
	return orgs.HashToken(token), nil
}

// Preview describes the invite behind a link, whatever its status; NotFound for a token that
// is unknown, replaced by a resend, or of a deleted org.
func (s *Service) Preview(ctx context.Context, token string) (Preview, error) {
	hash, err := s.lookup(token)
	if err != nil {
		return Preview{}, err
	}
	// A token names its org and invite: one round trip reads both. A token of the older
	// form (a bare secret) is looked up by its hash first.
	orgID, inviteID, ok := tokenIDs(token)
	if !ok {
		tok, err := s.Store.InviteToken(ctx, hash)
		if err != nil {
			return Preview{}, err
		}
		orgID, inviteID = tok.OrgID, tok.InviteID
	}
	inv, org, err := s.Store.InviteWithOrg(ctx, orgID, inviteID)
	if err != nil {
		return Preview{}, err
	}
	if org.Deleted() || subtle.ConstantTimeCompare([]byte(inv.TokenHash), []byte(hash)) != 1 {
		return Preview{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	return Preview{OrgName: org.Name, Role: inv.Role, InvitedBy: inv.InvitedBy, ExpiresAt: inv.ExpiresAt, Status: inv.StatusAt(s.Now())}, nil
}

// Accept makes the caller a member as the invite says. The caller's verified email must be
// the invite's; the invite must be pending and unexpired; a concurrent second acceptance
// finds it used. A caller seen for the first time gets their account in the same write.
func (s *Service) Accept(ctx context.Context, c orgs.Caller, token string) (orgs.Member, error) {
	hash, err := s.lookup(token)
	if err != nil {
		return orgs.Member{}, err
	}
	hintOrg, _, _ := tokenIDs(token)
	tok, profile, org, err := s.Store.AcceptContext(ctx, hash, hintOrg, c.ID)
	if err != nil {
		return orgs.Member{}, err
	}
	email, err := verifiedEmail(c, profile)
	if err != nil {
		return orgs.Member{}, err
	}
	if profile != nil && email != profile.Email {
		// The address changed in the identity provider: the profile and its copies follow
		// first (the rare case that costs more than one write).
		acc, err := s.Accounts.Account(ctx, c)
		if err != nil {
			return orgs.Member{}, err
		}
		profile = &acc.Profile
	}
	if email != tok.Email {
		return orgs.Member{}, apperr.New(apperr.Forbidden, "this invitation was sent to another email address; sign in as that address to accept it")
	}
	now := s.Now()
	if !now.Before(tok.ExpiresAt) || org.ID == "" || org.Deleted() {
		return orgs.Member{}, ErrGone
	}
	var pending *orgs.NewAccount
	name := ""
	if profile != nil {
		name = profile.Name
	} else {
		na := s.Accounts.NewAccountFor(ctx, c.ID, email, c.Name, now)
		pending, name = &na, na.Profile.Name
	}
	m := orgs.Member{OrgID: tok.OrgID, UserID: c.ID, Email: email, Name: name, Role: tok.Role, JoinedAt: now, Source: orgs.SourceInvite}
	ev := audit.Event{
		OrgID: tok.OrgID, Category: audit.Organization, Action: "invite.accepted",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: email},
		Target:  audit.Target{Type: "invite", ID: tok.InviteID, Label: email},
		Summary: fmt.Sprintf("%s accepted the invitation and joined as %s", email, tok.Role),
		Details: map[string]any{"role": string(tok.Role), "userId": c.ID},
	}
	ev.Stamp(ctx, s.NewID(), now)
	for attempt := 0; ; attempt++ {
		err := s.Store.AcceptInvite(ctx, Acceptance{Token: tok, Member: m, Account: pending, Event: ev, Now: now,
			InviterRoles: inviterRoles(org, tok), Roles: orgs.RolesCheck{Needed: len(org.CustomRoles) > 0 || tok.Role.Custom(), Version: org.RolesVersion}})
		switch {
		case err == nil:
			return m, nil
		case attempt >= acceptAttempts:
			return orgs.Member{}, err
		case s.Accounts.RetryWithAccount(err, &pending):
		default:
			return orgs.Member{}, err
		}
	}
}

// verifiedEmail is the caller's email as the identity provider vouches for it: the ID
// token's verified email claim, or for access tokens (which carry none) the profile's.
func verifiedEmail(c orgs.Caller, p *orgs.Profile) (string, error) {
	if p != nil && p.Email != "" {
		if email, ok := orgs.ClaimOver(c, *p); ok {
			return email, nil
		}
		// An access token (no claim), or an ID token from before the profile's address was
		// set (a change through the product's flow): the profile's address counts, once
		// proven.
		if !p.VerifiedBy(c) {
			return "", orgs.ErrEmailUnverified
		}
		return p.Email, nil
	}
	if c.Email != "" {
		if !c.EmailVerified {
			return "", apperr.New(apperr.Forbidden, "verify your email address before accepting an invitation")
		}
		return orgs.NormalizeEmail("email", c.Email)
	}
	return "", apperr.New(apperr.Unauthenticated, "accepting an invitation as a new user needs an ID token (it carries the email address)")
}

// SendInviteEmail is the outbox handler of KindEmail: it mints the link's token (the
// outbox never holds one), stores its hash, sends the email and records how it fared. An
// invite that is no longer pending, whose org is gone, or whose current email is another
// message's (a resend came after), needs nothing: the message is done. A failed send is
// recorded on the invite (delivery failed, with an email.failed event) and returned, so that
// the outbox tries again later; each attempt mints a new token, so only the last link works.
func (s *Service) SendInviteEmail(ctx context.Context, m outbox.Message) error {
	var body inviteEmail
	if err := m.Decode(&body); err != nil {
		return outbox.Permanent(err)
	}
	inv, org, err := s.Store.InviteWithOrg(ctx, body.OrgID, body.InviteID)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now()
	if org.Deleted() || inv.StatusAt(now) != Pending || inv.DeliveryMessage != m.ID {
		return nil
	}
	token, hash := newInviteToken(inv.OrgID, inv.ID)
	minted := inv
	minted.TokenHash = hash
	if err := s.Store.SetInviteToken(ctx, inv, tokenOf(minted), m.ID); err != nil {
		if errors.Is(err, ErrChanged) {
			return nil
		}
		return err
	}
	sendErr := s.send(ctx, org, minted, token)
	if sendErr != nil {
		s.log().WarnContext(ctx, "invite email failed", "org", inv.OrgID, "invite", inv.ID, "attempt", m.Attempts, "error", sendErr)
		failed := s.failure(ctx, minted, m.Attempts, now)
		if err := s.Store.SetDelivery(ctx, failed); err != nil && !errors.Is(err, ErrChanged) {
			return errors.Join(sendErr, err)
		}
		return sendErr
	}
	err = s.Store.SetDelivery(ctx, DeliveryUpdate{Invite: minted, Delivery: DeliverySent, Attempts: m.Attempts, LastSentAt: s.Now()})
	if errors.Is(err, ErrChanged) {
		return nil
	}
	return err
}

func (s *Service) send(ctx context.Context, org orgs.Org, inv Invite, token string) error {
	if s.Mail == nil {
		return errors.New("no mail sender configured")
	}
	msg, err := inviteMessage(org, inv, s.AcceptLink(token))
	if err != nil {
		return outbox.Permanent(err)
	}
	return s.Mail.Send(ctx, msg)
}

// failure is the delivery update after a failed send, with email.failed.
func (s *Service) failure(ctx context.Context, inv Invite, attempts int, now time.Time) DeliveryUpdate {
	ev := audit.Event{
		OrgID: inv.OrgID, Category: audit.System, Action: "email.failed",
		Actor:   audit.Actor{Type: audit.ActorSystem, ID: "mail"},
		Target:  audit.Target{Type: "invite", ID: inv.ID, Label: inv.Email},
		Summary: fmt.Sprintf("The invitation email to %s could not be sent; it will be tried again", inv.Email),
		Details: map[string]any{"attempts": attempts},
	}
	ev.Stamp(ctx, s.NewID(), now)
	return DeliveryUpdate{Invite: inv, Delivery: DeliveryFailed, Attempts: attempts, LastSentAt: inv.LastSentAt, Event: &ev}
}

// dueLookback is how many days back the scheduled job looks for invites that fell due. An
// invite is due at the latest at its expiry, and the job runs every few minutes, so only a
// job stopped for longer than this would leave invites behind (still expired on every read).
const dueLookback = 30

// ProcessDue is the scheduled job's invite task: it marks pending invites past their expiry
// expired (with invite.expired); their emails' retries are the outbox's. It reads only what is due, from
// the day shards of the due index, never the whole table; every write is conditional on the
// state read, so two runs, even at once, do each thing once.
func (s *Service) ProcessDue(ctx context.Context, now time.Time) error {
	var errs []error
	for d := dueLookback; d >= 0; d-- {
		day := now.AddDate(0, 0, -d)
		due, err := s.Store.DueInvites(ctx, day, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, inv := range due {
			if err := s.process(ctx, inv, now); err != nil && !errors.Is(err, ErrChanged) {
				errs = append(errs, fmt.Errorf("invite %s of org %s: %w", inv.ID, inv.OrgID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Service) process(ctx context.Context, inv Invite, now time.Time) error {
	switch {
	case inv.Status != Pending:
		return nil
	case inv.StatusAt(now) == Expired:
		ev := audit.Event{
			OrgID: inv.OrgID, Category: audit.Organization, Action: "invite.expired",
			Actor:   audit.Actor{Type: audit.ActorSystem, ID: "scheduled-job"},
			Target:  audit.Target{Type: "invite", ID: inv.ID, Label: inv.Email},
			Summary: fmt.Sprintf("The invitation to %s expired unanswered", inv.Email),
			Details: map[string]any{"role": string(inv.Role), "expiresAt": inv.ExpiresAt.UTC().Format(time.RFC3339)},
		}
		ev.Stamp(ctx, s.NewID(), now)
		return s.Store.ExpireInvite(ctx, inv, now, ev)
	}
	return nil
}

// inviterRoles are the roles in which an invite's inviter keeps its authority: the org's
// roles, built-in and custom, as they are defined now, that may grant its role (orgs.Grantors).
// The role the inviter held when sending it counts only while it still may: a custom role
// that lost invites.manage, or no longer covers the invite's role, carries no invite made
// under it.
func inviterRoles(o orgs.Org, tok Token) []roles.Role {
	return orgs.Grantors(o, tok.Role, tok.ByMembersCanInvite)
}
