package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

var _ invites.Store = (*Store)(nil)
var _ members.Store = (*Store)(nil)

const (
	skInvite      = "INVITE#"
	skInviteGuard = "INVITE_EMAIL#"
	skToken       = "INVITE_TOKEN"
	// The GSI1 buckets of an org's invites: pending and expired ones share "live", split
	// by expiresAt, so that "pending" and "expired" are each one key range at any instant,
	// whether or not the scheduled job has marked the expired ones yet.
	bucketLive = "live"
	// tokenRetention keeps a used or dead link previewable for a while; TTL then removes it.
	tokenRetention = 90 * 24 * time.Hour
)

func inviteSK(id string) string             { return skInvite + id }
func inviteGuardSK(email string) string     { return skInviteGuard + email }
func tokenPK(hash string) string            { return skToken + "#" + hash }
func inviteBucketPK(orgID, b string) string { return orgPK(orgID) + "#INV#" + b }

func bucketOf(s invites.Status) string {
	if s == invites.Pending || s == invites.Expired {
		return bucketLive
	}
	return string(s)
}

// dueKeys are the sparse GSI3 keys of a pending invite: the day shard of its due time, then
// the time itself, so that the scheduled job reads only what is due.
func dueKeys(orgID, inviteID string, due time.Time) (string, string) {
	return "DUE#INVITE#" + due.UTC().Format(time.DateOnly), sortTime(due) + "#" + orgID + "#" + inviteID
}

func inviteListSK(expiresAt time.Time, id string) string { return sortTime(expiresAt) + "#" + id }

type inviteItem struct {
	keys
	ID               string    `dynamodbav:"id"`
	OrgID            string    `dynamodbav:"orgId"`
	Email            string    `dynamodbav:"email"`
	Role             string    `dynamodbav:"role"`
	Status           string    `dynamodbav:"status"`
	InvitedByID      string    `dynamodbav:"invitedById"`
	InvitedByEmail   string    `dynamodbav:"invitedByEmail"`
	CreatedAt        stamp     `dynamodbav:"createdAt"`
	ExpiresAt        stamp     `dynamodbav:"expiresAt"`
	LastSentAt       stamp     `dynamodbav:"lastSentAt"`
	Delivery         string    `dynamodbav:"deliveryStatus"`
	DeliveryAttempts int       `dynamodbav:"deliveryAttempts"`
	DeliveryMessage  string    `dynamodbav:"deliveryMessage,omitempty"`
	TokenHash        string    `dynamodbav:"tokenHash"`
	DueAt            stamp     `dynamodbav:"dueAt"`
	AcceptedAt       time.Time `dynamodbav:"acceptedAt,omitempty"`
	AcceptedBy       string    `dynamodbav:"acceptedBy,omitempty"`
	RevokedAt        time.Time `dynamodbav:"revokedAt,omitempty"`
	// ByMembersCanInvite: the invite was made under the org's membersCanInvite setting.
	ByMembersCanInvite bool   `dynamodbav:"byMembersCanInvite,omitempty"`
	InviterRole        string `dynamodbav:"inviterRole,omitempty"`
}

func newInviteItem(i invites.Invite) inviteItem {
	it := inviteItem{
		keys: keys{
			PK: orgPK(i.OrgID), SK: inviteSK(i.ID),
			GSI1PK: inviteBucketPK(i.OrgID, bucketOf(i.Status)), GSI1SK: inviteListSK(i.ExpiresAt, i.ID),
		},
		ID: i.ID, OrgID: i.OrgID, Email: i.Email, Role: string(i.Role), Status: string(i.Status),
		InvitedByID: i.InvitedBy.ID, InvitedByEmail: i.InvitedBy.Email,
		CreatedAt: stamp(i.CreatedAt), ExpiresAt: stamp(i.ExpiresAt), LastSentAt: stamp(i.LastSentAt),
		Delivery: string(i.Delivery), DeliveryAttempts: i.DeliveryAttempts, DeliveryMessage: i.DeliveryMessage, TokenHash: i.TokenHash,
		DueAt: stamp(i.DueAt), AcceptedAt: i.AcceptedAt, AcceptedBy: i.AcceptedBy, RevokedAt: i.RevokedAt,
		ByMembersCanInvite: i.ByMembersCanInvite, InviterRole: string(i.InviterRole),
	}
	if i.Status == invites.Pending {
		it.GSI3PK, it.GSI3SK = dueKeys(i.OrgID, i.ID, i.DueAt)
	}
	return it
}

func (it inviteItem) invite() invites.Invite {
	return invites.Invite{
		ID: it.ID, OrgID: it.OrgID, Email: it.Email, Role: roles.Role(it.Role), Status: invites.Status(it.Status),
		InvitedBy: orgs.Person{ID: it.InvitedByID, Email: it.InvitedByEmail},
		CreatedAt: it.CreatedAt.time(), ExpiresAt: it.ExpiresAt.time(), LastSentAt: it.LastSentAt.time(),
		Delivery: invites.Delivery(it.Delivery), DeliveryAttempts: it.DeliveryAttempts, DeliveryMessage: it.DeliveryMessage, TokenHash: it.TokenHash,
		DueAt: it.DueAt.time(), AcceptedAt: it.AcceptedAt, AcceptedBy: it.AcceptedBy, RevokedAt: it.RevokedAt,
		ByMembersCanInvite: it.ByMembersCanInvite, InviterRole: roles.Role(it.InviterRole),
	}
}

// inviteGuardItem keeps one pending invite per address in an org. It records its invite's
// expiry: an expired invite's guard gives way to a new invite, whether or not the scheduled
// job has marked the old one yet.
type inviteGuardItem struct {
	keys
	InviteID  string `dynamodbav:"inviteId"`
	ExpiresAt stamp  `dynamodbav:"expiresAt"`
}

func newInviteGuard(i invites.Invite) inviteGuardItem {
	return inviteGuardItem{
		keys:     keys{PK: orgPK(i.OrgID), SK: inviteGuardSK(i.Email), TTL: i.ExpiresAt.Add(24 * time.Hour).Unix()},
		InviteID: i.ID, ExpiresAt: stamp(i.ExpiresAt),
	}
}

type tokenItem struct {
	keys
	OrgID     string `dynamodbav:"orgId"`
	InviteID  string `dynamodbav:"inviteId"`
	Email     string `dynamodbav:"email"`
	Role      string `dynamodbav:"role"`
	ExpiresAt stamp  `dynamodbav:"expiresAt"`
	// The authority the invite carries: who made it, and whether under membersCanInvite.
	InvitedBy          string `dynamodbav:"invitedBy,omitempty"`
	ByMembersCanInvite bool   `dynamodbav:"byMembersCanInvite,omitempty"`
	InviterRole        string `dynamodbav:"inviterRole,omitempty"`
}

func newTokenItem(t invites.Token) tokenItem {
	return tokenItem{
		keys:  keys{PK: tokenPK(t.Hash), SK: skToken, TTL: t.ExpiresAt.Add(tokenRetention).Unix()},
		OrgID: t.OrgID, InviteID: t.InviteID, Email: t.Email, Role: string(t.Role), ExpiresAt: stamp(t.ExpiresAt),
		InvitedBy: t.InvitedBy, ByMembersCanInvite: t.ByMembersCanInvite, InviterRole: string(t.InviterRole),
	}
}

func (it tokenItem) token(hash string) invites.Token {
	return invites.Token{Hash: hash, OrgID: it.OrgID, InviteID: it.InviteID, Email: it.Email, Role: roles.Role(it.Role), ExpiresAt: it.ExpiresAt.time(),
		InvitedBy: it.InvitedBy, ByMembersCanInvite: it.ByMembersCanInvite, InviterRole: roles.Role(it.InviterRole)}
}

// roleIn holds while the item's role is one of rs; never when rs is empty.
func roleIn(rs []roles.Role) expression.ConditionBuilder {
	if len(rs) == 0 {
		return absent()
	}
	vals := make([]expression.OperandBuilder, len(rs)-1)
	for i, r := range rs[1:] {
		vals[i] = val(string(r))
	}
	return attr("role").In(val(string(rs[0])), vals...)
}

// pendingAt holds while the invite is pending and unexpired at now.
func pendingAt(now time.Time) expression.ConditionBuilder {
	return attr("status").Equal(val(string(invites.Pending))).And(attr("expiresAt").GreaterThan(val(sortTime(now))))
}

// guardHeldBy holds while the invite guard is absent or held by invite id.
func guardHeldBy(id string) expression.ConditionBuilder {
	return absent().Or(attr("inviteId").Equal(val(id)))
}

// memberStill holds while the member has the role they had when read.
func (t *txn) memberStill(orgID string, m orgs.Member) {
	// Still active too: a member suspended meanwhile can no longer act.
	t.check(key(orgPK(orgID), memberSK(m.UserID)), attr("role").Equal(val(string(m.Role))).And(statusIs(orgs.StatusActive)), orgs.ErrActorChanged)
}

// actorAsRead is the actor re-check of an admin write that does not otherwise touch the
// membership or the org item: the acting member still active in the role read (memberStill),
// and the org live with its custom roles as read (c's other conditions too), so that a
// permission lost while the request ran, by a role change, a suspension or an edit of a
// custom role, is not acted on.
func (t *txn) actorAsRead(orgID string, a orgs.Acting, c orgChange) {
	t.memberStill(orgID, a.Member)
	c.roles = a.Roles
	t.orgItem(orgID, c)
}

// CreateInvite implements invites.Store.
func (s *Store) CreateInvite(ctx context.Context, w invites.NewInvite) error {
	inv := w.Invite
	t := s.txn()
	t.putNew(newInviteItem(inv), fmt.Errorf("invite %s exists", inv.ID))
	t.put(newInviteGuard(inv), absent().Or(attr("expiresAt").LessThanEqual(val(sortTime(inv.CreatedAt)))), invites.ErrPending)
	t.check(key(orgPK(inv.OrgID), emailGuardSK(inv.Email)), absent(), orgs.ErrAlreadyMember)
	org := orgChange{shared: true, membersCanInvite: w.ByMembersCanInvite, roles: w.Roles}
	org.invite(inv.Role, +1)
	t.orgItem(inv.OrgID, org)
	t.memberStill(inv.OrgID, w.Actor)
	if w.Budget != nil {
		t.limit(*w.Budget)
	}
	t.outbox(inv.CreatedAt, w.Email)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// Invites implements invites.Store: one Query of GSI1. Pending invites come soonest to
// expire first; the others most recent first.
func (s *Store) Invites(ctx context.Context, orgID string, status invites.Status, now time.Time, p paging.Request) (invites.Page, error) {
	// Every live invite whose expiresAt is now or earlier sorts below bound.
	bound := sortTime(now) + "$"
	kc := expression.Key(attrGSI1P).Equal(expression.Value(inviteBucketPK(orgID, bucketOf(status))))
	forward := false
	switch status {
	case invites.Pending:
		kc, forward = kc.And(expression.Key(attrGSI1S).GreaterThan(expression.Value(bound))), true
	case invites.Expired:
		kc = kc.And(expression.Key(attrGSI1S).LessThan(expression.Value(bound)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return invites.Page{}, err
	}
	start, err := decodeKey(p.After)
	if err != nil {
		return invites.Page{}, err
	}
	if sk, ok := start[attrGSI1S].(*types.AttributeValueMemberS); ok && forward && sk.Value <= bound {
		// Everything up to the position expired since the last page: start at the bound.
		start = nil
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(IndexGSI1),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ExclusiveStartKey: start,
		Limit: aws.Int32(int32(p.Limit)), ScanIndexForward: aws.Bool(forward),
	})
	if err != nil {
		return invites.Page{}, fmt.Errorf("query invites: %w", err)
	}
	page := invites.Page{Invites: make([]invites.Invite, 0, len(out.Items))}
	for _, av := range out.Items {
		var it inviteItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return invites.Page{}, err
		}
		page.Invites = append(page.Invites, it.invite())
	}
	page.Next, err = encodeKey(out.LastEvaluatedKey)
	return page, err
}

// setDue sets a pending invite's due time and its GSI3 keys.
func setDue(u expression.UpdateBuilder, inv invites.Invite, due time.Time) expression.UpdateBuilder {
	pk, sk := dueKeys(inv.OrgID, inv.ID, due)
	return u.Set(attr("dueAt"), val(stamp(due))).Set(attr(attrGSI3P), val(pk)).Set(attr(attrGSI3S), val(sk))
}

// settle takes a settled invite out of the due index.
func settle(u expression.UpdateBuilder) expression.UpdateBuilder {
	return u.Remove(attr("dueAt")).Remove(attr(attrGSI3P)).Remove(attr(attrGSI3S))
}

// ResendInvite implements invites.Store.
func (s *Store) ResendInvite(ctx context.Context, w invites.Resend) error {
	b, a := w.Before, w.After
	t := s.txn()
	upd := expression.Set(attr("tokenHash"), val(a.TokenHash)).
		Set(attr("expiresAt"), val(stamp(a.ExpiresAt))).
		Set(attr("lastSentAt"), val(stamp(a.LastSentAt))).
		Set(attr("deliveryStatus"), val(string(a.Delivery))).
		Set(attr("deliveryAttempts"), val(a.DeliveryAttempts)).
		Set(attr("deliveryMessage"), val(a.DeliveryMessage)).
		Set(attr(attrGSI1S), val(inviteListSK(a.ExpiresAt, a.ID))).
		// The resender's authority replaces the first inviter's (invites.Service.Resend).
		Set(attr("invitedById"), val(a.InvitedBy.ID)).
		Set(attr("invitedByEmail"), val(a.InvitedBy.Email)).
		Set(attr("inviterRole"), val(string(a.InviterRole)))
	if a.ByMembersCanInvite {
		upd = upd.Set(attr("byMembersCanInvite"), val(true))
	} else {
		upd = upd.Remove(attr("byMembersCanInvite"))
	}
	t.update(key(orgPK(b.OrgID), inviteSK(b.ID)), setDue(upd, a, a.DueAt),
		pendingAt(a.LastSentAt).And(attr("tokenHash").Equal(val(b.TokenHash))), invites.ErrGone)
	if b.TokenHash != "" {
		// The old link stops working at once.
		t.delete(key(tokenPK(b.TokenHash), skToken), expression.ConditionBuilder{}, nil)
	}
	t.put(newInviteGuard(a), guardHeldBy(a.ID), invites.ErrChanged)
	t.memberStill(b.OrgID, w.Actor)
	t.orgItem(b.OrgID, orgChange{roles: w.Roles})
	if w.Budget != nil {
		t.limit(*w.Budget)
	}
	t.outbox(a.LastSentAt, w.Email)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// RevokeInvite implements invites.Store.
func (s *Store) RevokeInvite(ctx context.Context, w invites.Revocation) error {
	inv := w.Invite
	t := s.txn()
	upd := expression.Set(attr("status"), val(string(invites.Revoked))).
		Set(attr("revokedAt"), val(w.RevokedAt)).
		Set(attr(attrGSI1P), val(inviteBucketPK(inv.OrgID, string(invites.Revoked))))
	t.update(key(orgPK(inv.OrgID), inviteSK(inv.ID)), settle(upd), pendingAt(w.RevokedAt), invites.ErrGone)
	t.delete(key(orgPK(inv.OrgID), inviteGuardSK(inv.Email)), guardHeldBy(inv.ID), invites.ErrChanged)
	t.memberStill(inv.OrgID, w.Actor)
	org := orgChange{roles: w.Roles}
	org.invite(inv.Role, -1)
	t.orgItem(inv.OrgID, org)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// SetDelivery implements invites.Store.
func (s *Store) SetDelivery(ctx context.Context, d invites.DeliveryUpdate) error {
	inv := d.Invite
	t := s.txn()
	upd := expression.Set(attr("deliveryStatus"), val(string(d.Delivery))).
		Set(attr("deliveryAttempts"), val(d.Attempts)).
		Set(attr("lastSentAt"), val(stamp(d.LastSentAt)))
	cond := attr("status").Equal(val(string(invites.Pending))).And(attr("tokenHash").Equal(val(inv.TokenHash)))
	t.update(key(orgPK(inv.OrgID), inviteSK(inv.ID)), upd, cond, invites.ErrChanged)
	if d.Event != nil {
		t.event(*d.Event)
	}
	return t.run(ctx, s.Client)
}

// InviteToken implements invites.Store: one consistent GetItem.
func (s *Store) InviteToken(ctx context.Context, hash string) (invites.Token, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(tokenPK(hash), skToken), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return invites.Token{}, fmt.Errorf("get invite token: %w", err)
	}
	if out.Item == nil {
		return invites.Token{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return invites.Token{}, err
	}
	return it.token(hash), nil
}

// InviteWithOrg implements invites.Store: one BatchGetItem.
func (s *Store) InviteWithOrg(ctx context.Context, orgID, inviteID string) (invites.Invite, orgs.Org, error) {
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{key(orgPK(orgID), skMeta), key(orgPK(orgID), inviteSK(inviteID))})
	if err != nil {
		return invites.Invite{}, orgs.Org{}, err
	}
	var org orgItem
	var inv inviteItem
	for _, av := range items {
		var k keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return invites.Invite{}, orgs.Org{}, err
		}
		target := any(&inv)
		if k.SK == skMeta {
			target = &org
		}
		if err := attributevalue.UnmarshalMap(av, target); err != nil {
			return invites.Invite{}, orgs.Org{}, err
		}
	}
	if org.ID == "" || inv.ID == "" {
		return invites.Invite{}, orgs.Org{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	return inv.invite(), org.org(), nil
}

// AcceptContext implements invites.Store: one BatchGetItem of the token, the profile and
// the org (a second read of the org for a token of the older form, which names none).
func (s *Store) AcceptContext(ctx context.Context, hash, orgID, userID string) (invites.Token, *orgs.Profile, orgs.Org, error) {
	ks := []map[string]types.AttributeValue{key(tokenPK(hash), skToken), key(userPK(userID), skProfile), key(userPK(userID), skDeleted)}
	if orgID != "" {
		ks = append(ks, key(orgPK(orgID), skMeta))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return invites.Token{}, nil, orgs.Org{}, err
	}
	var tok *invites.Token
	var profile *orgs.Profile
	var org orgs.Org
	deleted := false
	for _, av := range items {
		var k keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return invites.Token{}, nil, orgs.Org{}, err
		}
		switch k.SK {
		case skDeleted:
			deleted = true
		case skProfile:
			var it profileItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return invites.Token{}, nil, orgs.Org{}, err
			}
			p := it.profile()
			profile = &p
		case skMeta:
			var it orgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return invites.Token{}, nil, orgs.Org{}, err
			}
			org = it.org()
		default:
			var it tokenItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return invites.Token{}, nil, orgs.Org{}, err
			}
			t := it.token(hash)
			tok = &t
		}
	}
	if profile == nil && deleted {
		// The user's token outlives the account: it must not bring the account back.
		return invites.Token{}, nil, orgs.Org{}, orgs.ErrAccountDeleted
	}
	if tok == nil {
		return invites.Token{}, nil, orgs.Org{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	if org.ID != tok.OrgID {
		list, err := s.Orgs(ctx, []string{tok.OrgID})
		if err != nil {
			return invites.Token{}, nil, orgs.Org{}, err
		}
		org = orgs.Org{}
		if len(list) == 1 {
			org = list[0]
		}
	}
	return *tok, profile, org, nil
}

// AcceptInvite implements invites.Store.
func (s *Store) AcceptInvite(ctx context.Context, w invites.Acceptance) error {
	tok, m := w.Token, w.Member
	t := s.txn()
	upd := expression.Set(attr("status"), val(string(invites.Accepted))).
		Set(attr("acceptedAt"), val(w.Now)).
		Set(attr("acceptedBy"), val(m.UserID)).
		Set(attr(attrGSI1P), val(inviteBucketPK(tok.OrgID, string(invites.Accepted))))
	t.update(key(orgPK(tok.OrgID), inviteSK(tok.InviteID)), settle(upd),
		pendingAt(w.Now).And(attr("tokenHash").Equal(val(tok.Hash))), invites.ErrGone)
	t.delete(key(orgPK(tok.OrgID), inviteGuardSK(tok.Email)), guardHeldBy(tok.InviteID), invites.ErrGone)
	// The invite's hold on its role passes to the member. A custom role can't have been
	// deleted meanwhile: the pending invite counted as a holder. Made under membersCanInvite,
	// the setting must still be on.
	org := orgChange{shared: true, gone: invites.ErrGone, membersCanInvite: tok.ByMembersCanInvite, closed: invites.ErrAuthorityGone, roles: w.Roles}
	org.invite(m.Role, -1)
	org.give(m, +1)
	t.orgItem(tok.OrgID, org)
	// The invite's authority: its inviter still an active member (a suspended one has no
	// authority left to lend) in a role that, as the org defines it now, may grant its role.
	if tok.InvitedBy != "" {
		t.check(key(orgPK(tok.OrgID), memberSK(tok.InvitedBy)), roleIn(w.InviterRoles).And(statusIs(orgs.StatusActive)), invites.ErrAuthorityGone)
	}
	// After the invite's own conditions, whose errors tell more.
	t.membership(m, orgs.Shared, w.Account, orgs.ErrAccountDeleted, orgs.ErrAlreadyMember)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// DueInvites implements invites.Store: a Query of one day shard of GSI3, up to now.
func (s *Store) DueInvites(ctx context.Context, day, now time.Time) ([]invites.Invite, error) {
	pk, _ := dueKeys("", "", day)
	return queryDue(ctx, s, pk, now, "invites", inviteItem.invite)
}

// queryDue returns what is due before now in the GSI3 day shard pk (the job's invites and
// licenses), each item decoded as I and turned into a T by conv.
func queryDue[I, T any](ctx context.Context, s *Store, pk string, now time.Time, what string, conv func(I) T) ([]T, error) {
	kc := expression.Key(attrGSI3P).Equal(expression.Value(pk)).
		And(expression.Key(attrGSI3S).LessThan(expression.Value(sortTime(now) + "$")))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(IndexGSI3),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var due []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query due %s: %w", what, err)
		}
		for _, av := range page.Items {
			var it I
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			due = append(due, conv(it))
		}
	}
	return due, nil
}

// ExpireInvite implements invites.Store.
func (s *Store) ExpireInvite(ctx context.Context, inv invites.Invite, now time.Time, ev audit.Event) error {
	t := s.txn()
	cond := attr("status").Equal(val(string(invites.Pending))).
		And(attr("dueAt").Equal(val(stamp(inv.DueAt)))).
		And(attr("expiresAt").LessThanEqual(val(sortTime(now))))
	t.update(key(orgPK(inv.OrgID), inviteSK(inv.ID)), settle(expression.Set(attr("status"), val(string(invites.Expired)))), cond, invites.ErrChanged)
	// The expired invite no longer holds its role. (An org being purged may be gone first:
	// the invite goes with it.)
	t.update(key(orgPK(inv.OrgID), skMeta), expression.Add(attr(invitedPrefix+string(inv.Role)), val(-1)), exists(), invites.ErrChanged)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// SetInviteToken implements invites.Store.
func (s *Store) SetInviteToken(ctx context.Context, inv invites.Invite, tok invites.Token, messageID string) error {
	t := s.txn()
	cond := attr("status").Equal(val(string(invites.Pending))).
		And(attr("tokenHash").Equal(val(inv.TokenHash))).
		And(attr("deliveryMessage").Equal(val(messageID)))
	t.update(key(orgPK(inv.OrgID), inviteSK(inv.ID)), expression.Set(attr("tokenHash"), val(tok.Hash)), cond, invites.ErrChanged)
	// Its org still live too: an org deleted since the handler read it (a retry of a failed
	// email comes late) takes its invites' emails with it.
	t.check(key(orgPK(inv.OrgID), skMeta), orgLive(), invites.ErrChanged)
	if inv.TokenHash != "" {
		t.delete(key(tokenPK(inv.TokenHash), skToken), expression.ConditionBuilder{}, nil)
	}
	t.putNew(newTokenItem(tok), fmt.Errorf("token of invite %s exists", inv.ID))
	return t.run(ctx, s.Client)
}

// inviteRead reads the invite a route acts on with the authorization step (planRead): a
// *invites.Invite, nil when the org has none of that id.
func inviteRead(orgID string, r invites.InviteRead) readPlan {
	return readPlan{keys: []keys{idKey(orgPK(orgID), inviteSK, r.ID)}, decode: func(items []map[string]types.AttributeValue) (any, error) {
		return decodeAs("invite", items[0], inviteItem.invite)
	}}
}
