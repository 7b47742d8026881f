package orgsdb

import (
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// ActorAsRead is the actor re-check of an admin write that does not otherwise touch the
// membership or the org item: the acting member still active in the role read (memberStill),
// and the org live with its custom roles as read (c's other conditions too), so that a
// permission lost while the request ran, by a role change, a suspension or an edit of a
// custom role, is not acted on.
func ActorAsRead(t *dynamo.Txn, orgID string, a orgs.Acting, c OrgChange) {
	t.MemberStill(orgID, a.Member)
	c.Roles = a.Roles
	ChangeOrg(t, orgID, c)
}
