// Package orgs is the core of the organization domain: orgs (personal and shared), their
// settings, handle and deletion, the users' accounts as far as every capability needs them,
// and the authorization step every org route takes (Access, Subject, Read). It is also the
// shared vocabulary of the capabilities built on it (members, invites, account, domains,
// provisioning, ...): Caller, Org, Member, Profile, Person, Kind, Source, Status and the
// checks on names, emails and handles. It knows nothing of HTTP, JSON or DynamoDB; the Store
// it needs is declared here and implemented in package dynamo. Other domain packages import
// it, never the reverse.
package orgs

import (
	"time"

	"github.com/vendorportal/orgs/internal/roles"
)

// Kind tells a personal account from a shared organization.
type Kind string

// The kinds of org.
const (
	Personal Kind = "personal"
	Shared   Kind = "shared"
)

// Visibility decides which support tickets a member sees.
type Visibility string

// The ticket visibilities.
const (
	VisibilityOwn Visibility = "own"
	VisibilityAll Visibility = "all"
)

// Source tells how a member came to the org.
type Source string

// The member sources.
const (
	SourceCreator Source = "creator"
	SourceInvite  Source = "invite"
	SourceCreated Source = "created"
	SourceImport  Source = "import"
	SourceLegacy  Source = "legacy"
	SourceSCIM    Source = "scim"
	SourceDomain  Source = "domain"
)

// Sources are all the member sources.
var Sources = []Source{SourceCreator, SourceInvite, SourceCreated, SourceImport, SourceLegacy, SourceSCIM, SourceDomain}

// Status tells an active member from a suspended one (SCIM active: false), who keeps the row
// but has no access: calls to the org are NotFound and tool sign-ins are refused.
type Status string

// The member statuses; a member stored without one is active.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// Person names a user where an object records who did something.
type Person struct {
	ID    string
	Email string
}

// Contact is a name and an email address.
type Contact struct {
	Name  string
	Email string
}

// Org is an organization, personal or shared.
type Org struct {
	ID                      string
	Kind                    Kind
	Handle                  string
	Name                    string
	DisplayName             string
	AvatarURL               string
	ContactName             string
	ContactEmail            string
	CompanyName             string
	SupportTicketVisibility Visibility
	MembersCanInvite        bool
	BillingContacts         []Contact
	// AutoJoin says what a user whose verified email is in one of the org's verified
	// domains may do: nothing, see the org as a suggestion, or join it (provisioning).
	AutoJoin AutoJoin
	// UserProperties are the definitions of the members' properties; Domains the org's
	// email domains, pending and verified. Both are small and read with the org, so that
	// the authorization step's round trip brings them to every member route.
	UserProperties []UserProperty
	Domains        []Domain
	CreatedAt      time.Time
	CreatedBy      Person
	// AdminCount and MemberCount are kept in step with the memberships by every transaction
	// that changes them; AdminCount is what keeps the last admin from going. AdminCount
	// counts the admins who can act (Member.CountsAsAdmin): a suspended admin is not one, so
	// suspending the last active admin is refused like demoting or removing them.
	AdminCount  int
	MemberCount int
	// CustomRoles are the org's own roles, in the order of their ids (creation order).
	// RolesVersion counts their changes: a write decided on them holds only while it is
	// unchanged (RolesCheck).
	CustomRoles  []roles.Definition
	RolesVersion int
	// RoleMembers and RoleInvites count, per role id, the members and the pending invites
	// that hold it, kept by the same transactions that give and take roles: a custom role is
	// deleted on condition that both are 0. (The built-in admin's members are AdminCount:
	// its active holders.)
	RoleMembers map[roles.Role]int
	RoleInvites map[roles.Role]int
	// AuthResetAt: tokens issued before this second no longer work for the org.
	AuthResetAt time.Time
	// DeletedAt marks a deleted org: from then on it is absent to everyone, and the scheduled
	// job may purge its data.
	DeletedAt time.Time
}

// Deleted reports whether the org has been deleted.
func (o *Org) Deleted() bool { return !o.DeletedAt.IsZero() }

// Role returns the org's role with id r: a built-in one, or one of its custom roles; false
// when the org has no such role (a custom role of another org included).
func (o *Org) Role(r roles.Role) (roles.Definition, bool) {
	if d, ok := roles.BuiltIn(r); ok {
		return d, true
	}
	for _, d := range o.CustomRoles {
		if d.ID == r {
			return d, true
		}
	}
	return roles.Definition{}, false
}

// Roles returns every role of the org: the built-ins first, then the custom ones.
func (o *Org) Roles() []roles.Definition {
	return append(roles.BuiltIns(), o.CustomRoles...)
}

// Member is a user's membership of an org.
type Member struct {
	OrgID  string
	UserID string
	Email  string
	Name   string
	Phone  string
	// NotifyEmail is where a provisioned member's credentials go ("": their email).
	NotifyEmail string
	Role        roles.Role
	JoinedAt    time.Time
	// UpdatedAt is when the membership last changed (role, name, phone, properties, what SCIM
	// keeps, status); zero when it never changed since JoinedAt (or was last changed before
	// the store kept the time).
	UpdatedAt  time.Time
	Source     Source
	JobTitle   string
	Properties map[string]any
	// Status is StatusActive or StatusSuspended; empty means active.
	Status Status
	// ExternalID, GivenName and FamilyName are what an identity provider keeps of a member it
	// provisions by SCIM.
	ExternalID string
	GivenName  string
	FamilyName string
	// Seats are the ids of the licenses where the member holds a seat (package licensing):
	// removing the member frees them in the removal's own transaction.
	Seats []string
	// TokensSince is when the member's standing last changed (a role change, a suspension or a
	// reactivation; zero: JoinedAt): personal tool tokens made before it no longer sign in
	// (package tokens).
	TokensSince time.Time
}

// Suspended reports whether the member is suspended.
func (m *Member) Suspended() bool { return m.Status == StatusSuspended }

// CountsAsAdmin reports whether the member is one of the admins the org's last-admin rule
// counts (Org.AdminCount): an admin who can act, so not a suspended one. Every write that
// gives or takes the admin role, suspends or reactivates, moves the count by this.
func (m *Member) CountsAsAdmin() bool { return m.Role == roles.Admin && !m.Suspended() }

// Profile is a user's own record.
type Profile struct {
	ID            string
	Email         string
	Name          string
	Phone         string
	CreatedAt     time.Time
	PersonalOrgID string
	// EmailSetAt is when Email became the account's: its creation, a confirmed change, or a
	// catch-up with the identity provider. An ID token issued before it carries an older
	// address, which no longer counts.
	EmailSetAt time.Time
	// Joins counts the memberships added to the account after its creation. Deleting the
	// account holds only while it is what the deletion read, so that a membership added
	// meanwhile (an accept, an org creation) is never left behind as a ghost.
	Joins int
	// EmailUnverified: nobody has proven the mailbox of Email. An org created the account
	// (provisioning) and mailed its credentials to another address, outside its verified
	// domains, so the identity provider holds the address unverified too. Such an address is
	// not the user's identity for invites, domains and auto-join until an ID token vouches
	// for it (VerifiedBy), or the address is replaced by a verified one.
	EmailUnverified bool
	// CreatedByOrg is the org whose request created the account (provisioning: a direct
	// create, an import, a legacy migration or SCIM made a new identity for it); "" for an
	// account its owner made. Only that org may reset the account's password or change its
	// name and phone, also once the account has joined other orgs.
	CreatedByOrg string
}

// Membership is the user's side of a membership: enough to list the user's orgs.
type Membership struct {
	OrgID    string
	Kind     Kind
	Role     roles.Role
	JoinedAt time.Time
	// Seats are the member's license seats in the org, as on Member.
	Seats  []string
	Status Status
}

// Account is a profile with the user's memberships and any email change under way.
type Account struct {
	Profile     Profile
	Memberships []Membership
	EmailChange *EmailChange
}

// EmailChange is a requested change of a user's email, waiting for the link sent to the new
// address (package account). Only the hash of the link's token is kept.
type EmailChange struct {
	NewEmail string
	// TokenHash is "" until the link's email is sent: its outbox handler mints the token.
	TokenHash string
	ExpiresAt time.Time
	// MessageID is the outbox message that sends this change's link.
	MessageID string
}

// OrgView is an org as one member sees it: with the member's role.
type OrgView struct {
	Org
	Role roles.Role
}

// Caller is the signed-in user making a request, as the identity provider vouches for them.
type Caller struct {
	ID            string
	Email         string
	EmailVerified bool
	Name          string
	Operator      bool
	// IssuedAt is when the caller's token was issued (zero when unknown).
	IssuedAt time.Time
}

// Access is a caller's standing in one org, loaded once per request by the authorization step,
// with the subject the route acts on, read in the same round trip (see Subject).
type Access struct {
	Org    Org
	Member Member
	// Target is the member named by the route's {userId}; nil when there is none or that
	// user is not a member.
	Target *Member
	// Reads are Subject.Reads with what the store read for each, in order (ResultOf).
	Reads []Result
}
