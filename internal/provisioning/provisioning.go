// Package provisioning is how an org manages its people itself instead of inviting them: the
// user property definitions, users created directly (one, a form of many, an import of a
// spreadsheet), password resets of the members it provisioned, and the migration of legacy
// support users. Its Store also carries the writes of the org's email domains and auto-join,
// whose use cases are package domains'.
//
// It knows nothing of HTTP, JSON or DynamoDB. It declares what it needs: a Store (package
// dynamo), a Directory (the identity provider: package cognito), and the outbox, through
// which every email goes. The passwords it mints are set in the directory by
// the request and mailed through an outbox message whose body is sealed, so that no usable
// password is ever in the table in clear, nor in a log, an event or an error.
package provisioning

import (
	"context"
	"errors"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/seal"
)

// Errors a Store or a Directory returns when a write's condition fails.
var (
	// ErrDomainTaken: another org has verified the domain.
	ErrDomainTaken = apperr.New(apperr.Conflict, "this domain is verified by another organization")
	// ErrNoProfile: a write that adds an existing account found no profile for the user.
	ErrNoProfile = apperr.New(apperr.Conflict, "the user has no account yet")
	// ErrUserExists: the identity provider has a user with that address already.
	ErrUserExists = errors.New("a user with that address exists in the identity provider")
)

// OrgWrite is a change to the org's provisioning settings (properties, domains).
type OrgWrite struct {
	Before, After orgs.Org
	// Claim is a domain verified by this change (its guard is written: ErrDomainTaken when
	// another org holds it); Release one whose guard goes.
	Claim, Release string
	// Actor must still hold the role that authorized the change (none for system writes).
	Actor orgs.Member
	// Event is nil for bookkeeping that is not a change anyone audits (a wrong code's try).
	Event  *audit.Event
	Outbox []outbox.Message
	// Budget, when set, is the org's email budget the outbox's email uses (budget.go).
	Budget *ratelimit.Use
	// Take, with Claim, takes the claimed domain from the org that holds its guard, which
	// verified it by an email code only: its change holds only while that org still holds
	// the guard and its domains are as read.
	Take *DomainTake
}

// DomainTake is the change to the org that loses a domain to a DNS verification elsewhere.
type DomainTake struct {
	Before, After orgs.Org
	Event         audit.Event
	Outbox        []outbox.Message
}

// MemberWrite adds a member.
type MemberWrite struct {
	Member orgs.Member
	// Account is the new user's account (profile, personal org), written with the member;
	// nil adds an existing account, whose profile must be there (ErrNoProfile).
	Account *orgs.NewAccount
	// Actor must still hold the role that authorized the write.
	Actor orgs.Member
	// Roles ties the write to the org's custom roles as read (a custom role given).
	Roles  orgs.RolesCheck
	Event  audit.Event
	Outbox []outbox.Message
	// Budget, when set, is the org's email budget the credentials email uses, counted in
	// the write (ratelimit.Use.Exceeded when it would pass it); nil when the email was
	// reserved before or none is sent (budget.go).
	Budget *ratelimit.Use
}

// JoinContext is what joining an org by domain needs, read in one round trip.
type JoinContext struct {
	Org         *orgs.Org
	Profile     *orgs.Profile
	Member      bool
	DomainOwner string
}

// Store is the persistence provisioning needs.
type Store interface {
	// SaveOrg writes the org's settings that differ between Before and After, each on
	// condition that it is still as read (a Conflict otherwise) and the org is live, with the
	// domain guard claimed or released, the event and the outbox messages, all or nothing.
	SaveOrg(ctx context.Context, w OrgWrite) error
	// DomainOwner returns the id of the org that verified domain; NotFound when none.
	DomainOwner(ctx context.Context, domain string) (string, error)
	// JoinContext reads the org, whether the user is its member, the user's profile and the
	// domain's owner in one round trip; orgs.ErrAccountDeleted for a deleted account.
	JoinContext(ctx context.Context, orgID, userID, domain string) (JoinContext, error)
	// AddMember writes a membership (both sides, search entries, email guard, counters of
	// a live shared org: orgs.ErrOrgGone otherwise) with the account when new, the event and
	// the outbox messages, all or nothing. orgs.ErrAlreadyMember when the user or the
	// address is a member; orgs.ErrAccountExists or ErrPersonalHandleTaken for a new account
	// (as CreateAccount); ErrNoProfile for an existing one without a profile.
	AddMember(ctx context.Context, w MemberWrite) error
	// HasProfile reports whether the user has a profile.
	HasProfile(ctx context.Context, userID string) (bool, error)
	// MemberEvent writes an event about a provisioned member's sign-in (a password reset)
	// and its outbox messages, on condition that the member still has the role read
	// (orgs.ErrMemberChanged), that their account records the org as its creator
	// (orgs.ErrNotProvisioned) and that the actor and the org's custom roles are as read,
	// with budget (when set) counted.
	MemberEvent(ctx context.Context, actor orgs.Acting, m orgs.Member, ev audit.Event, msgs []outbox.Message, budget *ratelimit.Use) error
	// Limits counts the emails of requests that send many.
	Limits
}

// DirectoryUser is a user of the identity provider.
type DirectoryUser struct {
	ID string
	// Existing: the user was there before this call.
	Existing bool
	// AwaitingFirstSignIn: the user was made by provisioning (CreateUser marks its users)
	// and has only its temporary password, never signed in: the only existing users
	// provisioning may take over, after a half-done earlier attempt. A user made otherwise
	// with a temporary password (an operator created by hand) is never awaiting.
	AwaitingFirstSignIn bool
	// CreatedAt is when the provider made the user.
	CreatedAt time.Time
	// EmailVerified is what the provider holds of an existing user's address: an account
	// added as it is keeps that standing, never more.
	EmailVerified bool
}

// takeoverAfter is how old a user left without an account by an earlier attempt must be
// before a create takes it over: a younger one may be a concurrent create's, whose mailed
// password a takeover would overwrite.
const takeoverAfter = time.Minute

// ErrCreateInProgress: another request is creating this user right now.
var ErrCreateInProgress = apperr.New(apperr.Conflict, "another request is creating this user right now; try again in a minute")

// Directory is the identity provider's side of provisioning.
type Directory interface {
	// CreateUser makes a user signing in as email with the temporary password, without any
	// message of the provider's own, its address marked verified or not; a user who exists
	// already is returned with Existing set, unchanged (its password too).
	CreateUser(ctx context.Context, email string, verified bool, temporaryPassword string) (DirectoryUser, error)
	// SetTemporaryPassword gives the user a password that the next sign-in must replace;
	// an Invalid error naming the policy's rule when the provider refuses the password.
	SetTemporaryPassword(ctx context.Context, userID, password string) error
	// DeleteUser deletes a user (one this service made, whose write was refused); a user
	// already gone is no error.
	DeleteUser(ctx context.Context, userID string) error
}

// Service runs the provisioning use cases.
type Service struct {
	Store Store
	// Accounts builds the accounts of new users (orgs.Service.NewAccountFor).
	Accounts *orgs.Service
	// Directory is nil for the routes that make no identity-provider call.
	Directory Directory
	// Sealer seals the outbox bodies that carry a password (seal.Derive(secret, "outbox")).
	Sealer seal.Key
	AppURL string
	// DailyEmailLimit is the org's email budget a UTC day (ORG_DAILY_EMAIL_LIMIT; the
	// default of ratelimit.OrgDailyEmails when 0), UserDailyEmailLimit the acting user's
	// across all their orgs (USER_DAILY_EMAIL_LIMIT; ratelimit.UserDailyEmails's default).
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
