package invitesdb

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/invites"
)

// inviteRead reads the invite a route acts on with the authorization step (planRead): a
// *invites.Invite, nil when the org has none of that id.
func inviteRead(orgID string, r invites.InviteRead) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), dynamo.InviteSK, r.ID)}, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		return dynamo.DecodeAs("invite", items[0], dynamo.InviteItem.Invite)
	}}
}

// inviteReads registers the reads of invites with the authorization step.
func inviteReads(k *dynamo.Store) { dynamo.RegisterRead(k, inviteRead) }
