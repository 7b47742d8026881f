package dynamo

import (
	"time"

	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

const (
	skInvite      = "INVITE#"
	skInviteGuard = "INVITE_EMAIL#"
	SkToken       = "INVITE_TOKEN"
	// The GSI1 buckets of an org's invites: pending and expired ones share "live", split
	// by expiresAt, so that "pending" and "expired" are each one key range at any instant,
	// whether or not the scheduled job has marked the expired ones yet.
	BucketLive = "live"
	// tokenRetention keeps a used or dead link previewable for a while; TTL then removes it.
	TokenRetention = 90 * 24 * time.Hour
)

func InviteSK(id string) string             { return skInvite + id }
func InviteGuardSK(email string) string     { return skInviteGuard + email }
func TokenPK(hash string) string            { return SkToken + "#" + hash }
func InviteBucketPK(orgID, b string) string { return OrgPK(orgID) + "#INV#" + b }

func BucketOf(s invites.Status) string {
	if s == invites.Pending || s == invites.Expired {
		return BucketLive
	}
	return string(s)
}

// DueKeys are the sparse GSI3 keys of a pending invite: the day shard of its due time, then
// the time itself, so that the scheduled job reads only what is due.
func DueKeys(orgID, inviteID string, due time.Time) (string, string) {
	return "DUE#INVITE#" + due.UTC().Format(time.DateOnly), SortTime(due) + "#" + orgID + "#" + inviteID
}

func InviteListSK(expiresAt time.Time, id string) string { return SortTime(expiresAt) + "#" + id }

type InviteItem struct {
	Keys
	ID               string    `dynamodbav:"id"`
	OrgID            string    `dynamodbav:"orgId"`
	Email            string    `dynamodbav:"email"`
	Role             string    `dynamodbav:"role"`
	Status           string    `dynamodbav:"status"`
	InvitedByID      string    `dynamodbav:"invitedById"`
	InvitedByEmail   string    `dynamodbav:"invitedByEmail"`
	CreatedAt        Stamp     `dynamodbav:"createdAt"`
	ExpiresAt        Stamp     `dynamodbav:"expiresAt"`
	LastSentAt       Stamp     `dynamodbav:"lastSentAt"`
	Delivery         string    `dynamodbav:"deliveryStatus"`
	DeliveryAttempts int       `dynamodbav:"deliveryAttempts"`
	DeliveryMessage  string    `dynamodbav:"deliveryMessage,omitempty"`
	TokenHash        string    `dynamodbav:"tokenHash"`
	DueAt            Stamp     `dynamodbav:"dueAt"`
	AcceptedAt       time.Time `dynamodbav:"acceptedAt,omitempty"`
	AcceptedBy       string    `dynamodbav:"acceptedBy,omitempty"`
	RevokedAt        time.Time `dynamodbav:"revokedAt,omitempty"`
	// ByMembersCanInvite: the invite was made under the org's membersCanInvite setting.
	ByMembersCanInvite bool   `dynamodbav:"byMembersCanInvite,omitempty"`
	InviterRole        string `dynamodbav:"inviterRole,omitempty"`
}

func NewInviteItem(i invites.Invite) InviteItem {
	it := InviteItem{
		Keys: Keys{
			PK: OrgPK(i.OrgID), SK: InviteSK(i.ID),
			GSI1PK: InviteBucketPK(i.OrgID, BucketOf(i.Status)), GSI1SK: InviteListSK(i.ExpiresAt, i.ID),
		},
		ID: i.ID, OrgID: i.OrgID, Email: i.Email, Role: string(i.Role), Status: string(i.Status),
		InvitedByID: i.InvitedBy.ID, InvitedByEmail: i.InvitedBy.Email,
		CreatedAt: Stamp(i.CreatedAt), ExpiresAt: Stamp(i.ExpiresAt), LastSentAt: Stamp(i.LastSentAt),
		Delivery: string(i.Delivery), DeliveryAttempts: i.DeliveryAttempts, DeliveryMessage: i.DeliveryMessage, TokenHash: i.TokenHash,
		DueAt: Stamp(i.DueAt), AcceptedAt: i.AcceptedAt, AcceptedBy: i.AcceptedBy, RevokedAt: i.RevokedAt,
		ByMembersCanInvite: i.ByMembersCanInvite, InviterRole: string(i.InviterRole),
	}
	if i.Status == invites.Pending {
		it.GSI3PK, it.GSI3SK = DueKeys(i.OrgID, i.ID, i.DueAt)
	}
	return it
}

func (it InviteItem) Invite() invites.Invite {
	return invites.Invite{
		ID: it.ID, OrgID: it.OrgID, Email: it.Email, Role: roles.Role(it.Role), Status: invites.Status(it.Status),
		InvitedBy: orgs.Person{ID: it.InvitedByID, Email: it.InvitedByEmail},
		CreatedAt: it.CreatedAt.Time(), ExpiresAt: it.ExpiresAt.Time(), LastSentAt: it.LastSentAt.Time(),
		Delivery: invites.Delivery(it.Delivery), DeliveryAttempts: it.DeliveryAttempts, DeliveryMessage: it.DeliveryMessage, TokenHash: it.TokenHash,
		DueAt: it.DueAt.Time(), AcceptedAt: it.AcceptedAt, AcceptedBy: it.AcceptedBy, RevokedAt: it.RevokedAt,
		ByMembersCanInvite: it.ByMembersCanInvite, InviterRole: roles.Role(it.InviterRole),
	}
}

// MemberStill holds while the member has the role they had when read.
func (t *Txn) MemberStill(orgID string, m orgs.Member) {
	// Still active too: a member suspended meanwhile can no longer act.
	t.Check(Key(OrgPK(orgID), MemberSK(m.UserID)), Attr("role").Equal(Val(string(m.Role))).And(StatusIs(orgs.StatusActive)), orgs.ErrActorChanged)
}
