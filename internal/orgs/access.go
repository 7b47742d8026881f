package orgs

import (
	"context"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/roles"
)

// Subject names what an org route acts on, so that the authorization step reads it in its own
// round trip and the route's write can follow at once: the member named by {userId}, the
// invite named by {inviteId}.
type Subject struct {
	UserID   string
	InviteID string
	// SelfAllowed lets a member act on themself (UserID is the caller) without the route's
	// permission: leaving an org is removing oneself.
	SelfAllowed bool
	// Item names another item of the org that the route acts on, read in the same round trip
	// and handed to the route as Access.Item (decoded by the store; nil when absent): a
	// support ticket, say. Kinds are the store's (dynamo's subjectItems).
	Item SubjectItem
}

// SubjectItem names one item of an org by kind and id.
type SubjectItem struct {
	Kind string
	ID   string
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
	if a.Org.Deleted() {
		return Access{}, apperr.New(apperr.NotFound, "organization not found")
	}
	if !a.Org.AuthResetAt.IsZero() && c.IssuedAt.Before(a.Org.AuthResetAt) {
		return Access{}, apperr.New(apperr.Unauthenticated, "authentication for this organization was reset; sign in again")
	}
	self := subj.SelfAllowed && subj.UserID == c.ID
	if !self && !a.allowsAny(anyOf) {
		return Access{}, apperr.New(apperr.Forbidden, "your role (%s) does not allow this (%s)", a.Member.Role, anyOf[0])
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

// Allows reports whether the member may do p in this org: what the role carries, widened by
// the org's settings. This is the one place where a setting widens the role matrix:
// membersCanInvite gives the role user the right to create invites.
func (a Access) Allows(p roles.Permission) bool {
	if a.Member.Role.Has(p) {
		return true
	}
	return p == roles.InvitesCreate && a.Org.MembersCanInvite && a.Member.Role == roles.User
}

// CanInvite reports whether the member may invite someone as role r: an inviter who manages
// invites may give any role their own role can grant; a user inviting by membersCanInvite
// may invite users and support-only members only.
func (a Access) CanInvite(r roles.Role) bool {
	switch {
	case !r.Valid() || !a.Allows(roles.InvitesCreate):
		return false
	case a.Member.Role.Has(roles.InvitesManage):
		return a.Member.Role.CanGrant(r)
	}
	return (r == roles.User || r == roles.SupportOnly) && a.Member.Role.CanGrant(r)
}

// CanAssign reports whether the member may give an existing member role r: managing members
// is needed, and no one grants a role with more permissions than their own.
func (a Access) CanAssign(r roles.Role) bool {
	return a.Allows(roles.MembersManage) && a.Member.Role.CanGrant(r)
}
