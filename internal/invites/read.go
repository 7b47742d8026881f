package invites

import "github.com/vendorportal/orgs/internal/orgs"

// InviteRead asks the authorization step to read the invite a route names ({inviteId}) in its
// round trip (orgs.Read). Its result is a *Invite, nil when the org has no invite of that id.
type InviteRead struct {
	ID string
}

// InviteOf is the invite the route acts on, as the authorization step read it for its
// InviteRead; nil when the route asked for none or the org has no such invite.
func InviteOf(a orgs.Access) *Invite {
	_, inv, _ := orgs.ResultOf[InviteRead, *Invite](a)
	return inv
}
