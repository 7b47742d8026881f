package orgs

import (
	"context"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/roles"
)

// Subject names what an org route acts on, so that the authorization step reads it in its own
// round trip and the route's write can follow at once: the member named by {userId}, and
// whatever else the route's capability reads (Reads: the invite named by {inviteId} is
// invites.InviteRead).
type Subject struct {
	UserID string
	// SelfAllowed lets a member act on themself (UserID is the caller) without the route's
	// permission: leaving an org is removing oneself.
	SelfAllowed bool
	// Reads are the other items the route acts on (a ticket, a webhook and its delivery, a
	// license and a seat, the token's state), read in the same BatchGetItem; their results
	// are Access.Reads, in the same order.
	Reads []Read
}

// Read asks the authorization step to read one more thing the route acts on, in the same
// round trip as the org and the membership: an API call costs at most two DynamoDB round
// trips, the authorization step's and its operation's, so what the operation needs to look
// at first has to come with the authorization. Each capability defines its own Read types
// (invites.InviteRead, tickets.TicketRead, licensing.LicenseRead, tokens.StateRead, ...), says in their docs what
// each one's result is, and reads the results with ResultOf; the store knows how to read and
// decode every kind (dynamo's planRead).
type Read any

// Result is one of Subject.Reads with what the store read for it: Value is of the type the
// Read's doc names (a nil or zero one when the item is absent).
type Result struct {
	Read  Read
	Value any
}

// ResultOf returns a's first read of type R and its value as a V; asked reports whether the
// route asked for a read of type R at all (when it did not, the caller reads for itself).
func ResultOf[R Read, V any](a Access) (r R, v V, asked bool) {
	for _, res := range a.Reads {
		if q, ok := res.Read.(R); ok {
			v, _ = res.Value.(V)
			return q, v, true
		}
	}
	return r, v, false
}

// AuthorizeFor loads the caller's membership of the org, and the subject s names, in one
// round trip, and checks that the caller may do one of anyOf: the one authorization step of
// every org route. A missing or deleted org and a non-member are the same NotFound, so that
// no one learns of another's org.
func (s *Service) AuthorizeFor(ctx context.Context, c Caller, orgID string, subj Subject, anyOf ...roles.Permission) (Access, error) {
	a, err := s.Store.Access(ctx, orgID, c.ID, subj)
	if err != nil && a.Org.ID == "" {
		return Access{}, err
	}
	// A non-nil err with the access describes how an earlier request with the same
	// idempotency key ended: it is passed on once the access is checked.
	if a.Org.Deleted() || a.Member.Suspended() {
		// A suspended member keeps the row but no access: to them the org is not there.
		return Access{}, apperr.New(apperr.NotFound, "organization not found")
	}
	// iat has whole seconds: a token issued in the reset's own second still works, so that a
	// sign-in right after the reset does (the contract's "before the reset's second").
	if !a.Org.AuthResetAt.IsZero() && c.IssuedAt.Before(a.Org.AuthResetAt.Truncate(time.Second)) {
		return Access{}, apperr.New(apperr.Unauthenticated, "authentication for this organization was reset; sign in again")
	}
	self := subj.SelfAllowed && subj.UserID == c.ID
	if !self && !a.allowsAny(anyOf) {
		return Access{}, apperr.New(apperr.Forbidden, "your role (%s) does not allow this (%s)", a.RoleName(), anyOf[0])
	}
	return a, err
}

// allowsAny reports whether the member may do one of perms; no permission asked is allowed.
func (a Access) allowsAny(perms []roles.Permission) bool {
	for _, p := range perms {
		if p == "" || a.Allows(p) {
			return true
		}
	}
	return len(perms) == 0
}

// Role is the member's role as the org defines it at this request: a built-in one, or one
// of the org's custom roles, whose definitions the authorization step read with the org. A
// role the org does not have carries nothing (a held role can't be deleted, so only a table
// edited by hand gets here).
func (a Access) Role() roles.Definition {
	d, _ := a.Org.Role(a.Member.Role)
	return d
}

// RoleName is the member's role as people read it: its name.
func (a Access) RoleName() string {
	if d := a.Role(); d.Name != "" {
		return d.Name
	}
	return string(a.Member.Role)
}

// Allows reports whether the member may do p in this org: what the role carries, widened by
// the org's settings. This is the one place where a setting widens the role matrix:
// membersCanInvite gives the role user the right to create invites.
func (a Access) Allows(p roles.Permission) bool {
	if a.Role().Has(p) {
		return true
	}
	return p == roles.InvitesCreate && a.Org.MembersCanInvite && a.Member.Role == roles.User
}

// CanInvite reports whether the member may invite someone as role r: an inviter who may
// create invites by their role may give any of the org's roles that holds no permission the
// inviter lacks; a user inviting by membersCanInvite may invite users and support-only
// members only.
func (a Access) CanInvite(r roles.Role) bool {
	d, ok := a.Org.Role(r)
	switch {
	case !ok || !a.Allows(roles.InvitesCreate):
		return false
	case a.Role().Has(roles.InvitesCreate):
		return a.Role().Covers(d)
	}
	return (r == roles.User || r == roles.SupportOnly) && a.Role().Covers(d)
}

// CanAssign reports whether the member may give a member role r: managing members is
// needed, and no one grants a role holding a permission they lack.
func (a Access) CanAssign(r roles.Role) bool {
	d, ok := a.Org.Role(r)
	return ok && a.Allows(roles.MembersManage) && a.Role().Covers(d)
}

// MayActOn is the outrank rule, the one "who may act on this member" check of every write
// that changes another member: their role, their removal, their password, their name or
// phone. The member's current role, as the org defines it now, must hold no permission the
// caller's role lacks (a built-in admin covers every role), so that a member manager can't
// demote, remove or lock out an admin: Forbidden otherwise, saying what was refused (doing,
// e.g. "change the role of"). A member acting on themself is not acting on another.
//
// The write then holds only while what was judged is unchanged: it carries the member's role
// as read (the store's condition on the member item: ErrMemberChanged), the caller's
// (ErrActorChanged) and ActOnCheck's RolesCheck (a custom role of either edited meanwhile:
// ErrRolesChanged).
func (a Access) MayActOn(m Member, doing string) error {
	if m.UserID == a.Member.UserID {
		return nil
	}
	d, ok := a.Org.Role(m.Role)
	if ok && !a.Role().Covers(d) {
		return apperr.New(apperr.Forbidden, "your role (%s) may not %s a member whose role (%s) holds permissions yours lacks", a.RoleName(), doing, d.Name)
	}
	return nil
}

// ActOnCheck is the RolesCheck of a write that acts on member m (MayActOn) and gives the
// roles given: needed when the caller's role, m's or a given one is a custom role.
func (a Access) ActOnCheck(m Member, given ...roles.Role) RolesCheck {
	return a.RolesCheck(append([]roles.Role{m.Role}, given...)...)
}

// CanDefine reports whether the member may give a role the permissions gained: creating a
// role, or changing one so that it gains permissions, needs each of them. Taking
// permissions away needs none.
func (a Access) CanDefine(gained []roles.Permission) bool {
	for _, p := range gained {
		if !a.Role().Has(p) {
			return false
		}
	}
	return true
}

// AssignableRole resolves id to one of the org's roles, built-in or custom, and checks that
// the member may give it to a member, new or existing (a role change, direct creation, an
// import row, a SCIM group mapping decided by a member): Invalid when the org has no such
// role, Forbidden when the member may not give it (CanAssign). It is the one check every
// write that gives a member a role makes; the write then carries RolesCheck(role.ID).
func (a Access) AssignableRole(id string) (roles.Definition, error) {
	d, ok := a.Org.Role(roles.Role(id))
	switch {
	case !ok:
		return roles.Definition{}, UnknownRole()
	case !a.CanAssign(d.ID):
		return roles.Definition{}, apperr.New(apperr.Forbidden, "your role (%s) may not grant the role %s: it holds permissions yours lacks", a.RoleName(), d.Name)
	}
	return d, nil
}

// InvitableRole is AssignableRole for invites (CanInvite).
func (a Access) InvitableRole(id string) (roles.Definition, error) {
	d, ok := a.Org.Role(roles.Role(id))
	switch {
	case !ok:
		return roles.Definition{}, UnknownRole()
	case !a.CanInvite(d.ID):
		return roles.Definition{}, apperr.New(apperr.Forbidden, "your role (%s) may not invite someone as %s", a.RoleName(), d.Name)
	}
	return d, nil
}

// UnknownRole is the refusal of a role id that is none of the org's roles.
func UnknownRole() error {
	return apperr.New(apperr.Invalid, "role must be one of %s or the id of one of the organization's custom roles", strings.Join(roleNames(), ", "))
}

// ErrRolesChanged: the org's custom roles changed between the read and the write.
var ErrRolesChanged = apperr.New(apperr.Conflict, "the organization's roles changed meanwhile; reload and try again")

// RolesCheck ties a write to the org's custom roles as the authorization step read them.
// When Needed, the store writes on condition that the org's RolesVersion is still Version
// (ErrRolesChanged otherwise), so that a role that gained a permission or was deleted
// meanwhile is not given on the strength of what it was, and a member whose custom role lost
// a permission meanwhile does not act on it.
type RolesCheck struct {
	Needed  bool
	Version int
}

// RolesCheck is the check for a write this member decides that gives the roles given:
// needed when the member's own role or one of those is a custom one (built-ins never change).
func (a Access) RolesCheck(given ...roles.Role) RolesCheck {
	needed := a.Member.Role.Custom()
	for _, r := range given {
		needed = needed || r.Custom()
	}
	return RolesCheck{Needed: needed, Version: a.Org.RolesVersion}
}

// Acting is the member making an admin write as the authorization step read them, with the
// org's custom roles as read: the store writes only while the member is still active in that
// role (ErrActorChanged) and the roles are unchanged (ErrRolesChanged), in the write's own
// transaction.
type Acting struct {
	Member Member
	Roles  RolesCheck
}

// Acting is the caller as the actor of a write this access decides.
func (a Access) Acting() Acting { return Acting{Member: a.Member, Roles: a.RolesCheck()} }

// Grantors are the roles of o, built-in and custom as o defines them, whose members may
// invite someone as role r: with invites.manage, or, for an invite made under
// membersCanInvite, also as a user while the setting is on. An invite's acceptance holds
// only while its inviter still has one of them.
func Grantors(o Org, r roles.Role, byMembersCanInvite bool) []roles.Role {
	judged := o
	judged.MembersCanInvite = byMembersCanInvite
	var out []roles.Role
	for _, g := range o.Roles() {
		if (Access{Org: judged, Member: Member{Role: g.ID}}).CanInvite(r) {
			out = append(out, g.ID)
		}
	}
	return out
}

func roleNames() []string {
	out := make([]string, len(roles.All))
	for i, r := range roles.All {
		out[i] = string(r)
	}
	return out
}
