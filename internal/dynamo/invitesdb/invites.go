package invitesdb

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
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

var _ invites.Store = (*Store)(nil)

// inviteGuardItem keeps one pending invite per address in an org. It records its invite's
// expiry: an expired invite's guard gives way to a new invite, whether or not the scheduled
// job has marked the old one yet.
type inviteGuardItem struct {
	dynamo.Keys
	InviteID  string       `dynamodbav:"inviteId"`
	ExpiresAt dynamo.Stamp `dynamodbav:"expiresAt"`
}

func newInviteGuard(i invites.Invite) inviteGuardItem {
	return inviteGuardItem{
		Keys:     dynamo.Keys{PK: dynamo.OrgPK(i.OrgID), SK: dynamo.InviteGuardSK(i.Email), TTL: i.ExpiresAt.Add(24 * time.Hour).Unix()},
		InviteID: i.ID, ExpiresAt: dynamo.Stamp(i.ExpiresAt),
	}
}

type tokenItem struct {
	dynamo.Keys
	OrgID     string       `dynamodbav:"orgId"`
	InviteID  string       `dynamodbav:"inviteId"`
	Email     string       `dynamodbav:"email"`
	Role      string       `dynamodbav:"role"`
	ExpiresAt dynamo.Stamp `dynamodbav:"expiresAt"`
	// The authority the invite carries: who made it, and whether under membersCanInvite.
	InvitedBy          string `dynamodbav:"invitedBy,omitempty"`
	ByMembersCanInvite bool   `dynamodbav:"byMembersCanInvite,omitempty"`
	InviterRole        string `dynamodbav:"inviterRole,omitempty"`
}

func newTokenItem(t invites.Token) tokenItem {
	return tokenItem{
		Keys:  dynamo.Keys{PK: dynamo.TokenPK(t.Hash), SK: dynamo.SkToken, TTL: t.ExpiresAt.Add(dynamo.TokenRetention).Unix()},
		OrgID: t.OrgID, InviteID: t.InviteID, Email: t.Email, Role: string(t.Role), ExpiresAt: dynamo.Stamp(t.ExpiresAt),
		InvitedBy: t.InvitedBy, ByMembersCanInvite: t.ByMembersCanInvite, InviterRole: string(t.InviterRole),
	}
}

func (it tokenItem) token(hash string) invites.Token {
	return invites.Token{Hash: hash, OrgID: it.OrgID, InviteID: it.InviteID, Email: it.Email, Role: roles.Role(it.Role), ExpiresAt: it.ExpiresAt.Time(),
		InvitedBy: it.InvitedBy, ByMembersCanInvite: it.ByMembersCanInvite, InviterRole: roles.Role(it.InviterRole)}
}

// roleIn holds while the item's role is one of rs; never when rs is empty.
func roleIn(rs []roles.Role) expression.ConditionBuilder {
	if len(rs) == 0 {
		return dynamo.Absent()
	}
	vals := make([]expression.OperandBuilder, len(rs)-1)
	for i, r := range rs[1:] {
		vals[i] = dynamo.Val(string(r))
	}
	return dynamo.Attr("role").In(dynamo.Val(string(rs[0])), vals...)
}

// pendingAt holds while the invite is pending and unexpired at now.
func pendingAt(now time.Time) expression.ConditionBuilder {
	return dynamo.Attr("status").Equal(dynamo.Val(string(invites.Pending))).And(dynamo.Attr("expiresAt").GreaterThan(dynamo.Val(dynamo.SortTime(now))))
}

// guardHeldBy holds while the invite guard is absent or held by invite id.
func guardHeldBy(id string) expression.ConditionBuilder {
	return dynamo.Absent().Or(dynamo.Attr("inviteId").Equal(dynamo.Val(id)))
}

// CreateInvite implements invites.Store.
func (s *Store) CreateInvite(ctx context.Context, w invites.NewInvite) error {
	inv := w.Invite
	t := s.Txn()
	t.PutNew(dynamo.NewInviteItem(inv), fmt.Errorf("invite %s exists", inv.ID))
	t.Put(newInviteGuard(inv), dynamo.Absent().Or(dynamo.Attr("expiresAt").LessThanEqual(dynamo.Val(dynamo.SortTime(inv.CreatedAt)))), invites.ErrPending)
	t.Check(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.EmailGuardSK(inv.Email)), dynamo.Absent(), orgs.ErrAlreadyMember)
	org := orgsdb.OrgChange{Shared: true, MembersCanInvite: w.ByMembersCanInvite, Roles: w.Roles}
	org.Invite(inv.Role, +1)
	orgsdb.ChangeOrg(t, inv.OrgID, org)
	t.MemberStill(inv.OrgID, w.Actor)
	if w.Budget != nil {
		t.Limit(*w.Budget)
	}
	t.Outbox(inv.CreatedAt, w.Email)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// Invites implements invites.Store: one Query of GSI1. Pending invites come soonest to
// expire first; the others most recent first.
func (s *Store) Invites(ctx context.Context, orgID string, status invites.Status, now time.Time, p paging.Request) (invites.Page, error) {
	// Every live invite whose expiresAt is now or earlier sorts below bound.
	bound := dynamo.SortTime(now) + "$"
	kc := expression.Key(dynamo.AttrGSI1P).Equal(expression.Value(dynamo.InviteBucketPK(orgID, dynamo.BucketOf(status))))
	forward := false
	switch status {
	case invites.Pending:
		kc, forward = kc.And(expression.Key(dynamo.AttrGSI1S).GreaterThan(expression.Value(bound))), true
	case invites.Expired:
		kc = kc.And(expression.Key(dynamo.AttrGSI1S).LessThan(expression.Value(bound)))
	}
	after := p.After
	start, err := dynamo.DecodeKey(after)
	if err != nil {
		return invites.Page{}, err
	}
	if sk, ok := start[dynamo.AttrGSI1S].(*types.AttributeValueMemberS); ok && forward && sk.Value <= bound {
		// Everything up to the position expired since the last page: start at the bound.
		after = ""
	}
	q := dynamo.Query{What: "invites", Index: dynamo.IndexGSI1, Key: kc, Descending: !forward, Limit: p.Limit}
	list, next, err := dynamo.PageAs(ctx, s.Store, q, after, dynamo.InviteItem.Invite)
	return invites.Page{Invites: list, Next: next}, err
}

// setDue sets a pending invite's due time and its GSI3 keys.
func setDue(u expression.UpdateBuilder, inv invites.Invite, due time.Time) expression.UpdateBuilder {
	pk, sk := dynamo.DueKeys(inv.OrgID, inv.ID, due)
	return u.Set(dynamo.Attr("dueAt"), dynamo.Val(dynamo.Stamp(due))).Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(pk)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(sk))
}

// settle takes a settled invite out of the due index.
func settle(u expression.UpdateBuilder) expression.UpdateBuilder {
	return u.Remove(dynamo.Attr("dueAt")).Remove(dynamo.Attr(dynamo.AttrGSI3P)).Remove(dynamo.Attr(dynamo.AttrGSI3S))
}

// ResendInvite implements invites.Store.
func (s *Store) ResendInvite(ctx context.Context, w invites.Resend) error {
	b, a := w.Before, w.After
	t := s.Txn()
	upd := expression.Set(dynamo.Attr("tokenHash"), dynamo.Val(a.TokenHash)).
		Set(dynamo.Attr("expiresAt"), dynamo.Val(dynamo.Stamp(a.ExpiresAt))).
		Set(dynamo.Attr("lastSentAt"), dynamo.Val(dynamo.Stamp(a.LastSentAt))).
		Set(dynamo.Attr("deliveryStatus"), dynamo.Val(string(a.Delivery))).
		Set(dynamo.Attr("deliveryAttempts"), dynamo.Val(a.DeliveryAttempts)).
		Set(dynamo.Attr("deliveryMessage"), dynamo.Val(a.DeliveryMessage)).
		Set(dynamo.Attr(dynamo.AttrGSI1S), dynamo.Val(dynamo.InviteListSK(a.ExpiresAt, a.ID))).
		// The resender's authority replaces the first inviter's (invites.Service.Resend).
		Set(dynamo.Attr("invitedById"), dynamo.Val(a.InvitedBy.ID)).
		Set(dynamo.Attr("invitedByEmail"), dynamo.Val(a.InvitedBy.Email)).
		Set(dynamo.Attr("inviterRole"), dynamo.Val(string(a.InviterRole)))
	if a.ByMembersCanInvite {
		upd = upd.Set(dynamo.Attr("byMembersCanInvite"), dynamo.Val(true))
	} else {
		upd = upd.Remove(dynamo.Attr("byMembersCanInvite"))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(b.OrgID), dynamo.InviteSK(b.ID)), setDue(upd, a, a.DueAt),
		pendingAt(a.LastSentAt).And(dynamo.Attr("tokenHash").Equal(dynamo.Val(b.TokenHash))), invites.ErrGone)
	if b.TokenHash != "" {
		// The old link stops working at once.
		t.Delete(dynamo.Key(dynamo.TokenPK(b.TokenHash), dynamo.SkToken), expression.ConditionBuilder{}, nil)
	}
	t.Put(newInviteGuard(a), guardHeldBy(a.ID), invites.ErrChanged)
	t.MemberStill(b.OrgID, w.Actor)
	orgsdb.ChangeOrg(t, b.OrgID, orgsdb.OrgChange{Roles: w.Roles})
	if w.Budget != nil {
		t.Limit(*w.Budget)
	}
	t.Outbox(a.LastSentAt, w.Email)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// RevokeInvite implements invites.Store.
func (s *Store) RevokeInvite(ctx context.Context, w invites.Revocation) error {
	inv := w.Invite
	t := s.Txn()
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(invites.Revoked))).
		Set(dynamo.Attr("revokedAt"), dynamo.Val(w.RevokedAt)).
		Set(dynamo.Attr(dynamo.AttrGSI1P), dynamo.Val(dynamo.InviteBucketPK(inv.OrgID, string(invites.Revoked))))
	t.Update(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.InviteSK(inv.ID)), settle(upd), pendingAt(w.RevokedAt), invites.ErrGone)
	t.Delete(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.InviteGuardSK(inv.Email)), guardHeldBy(inv.ID), invites.ErrChanged)
	t.MemberStill(inv.OrgID, w.Actor)
	org := orgsdb.OrgChange{Roles: w.Roles}
	org.Invite(inv.Role, -1)
	orgsdb.ChangeOrg(t, inv.OrgID, org)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// SetDelivery implements invites.Store.
func (s *Store) SetDelivery(ctx context.Context, d invites.DeliveryUpdate) error {
	inv := d.Invite
	t := s.Txn()
	upd := expression.Set(dynamo.Attr("deliveryStatus"), dynamo.Val(string(d.Delivery))).
		Set(dynamo.Attr("deliveryAttempts"), dynamo.Val(d.Attempts)).
		Set(dynamo.Attr("lastSentAt"), dynamo.Val(dynamo.Stamp(d.LastSentAt)))
	cond := dynamo.Attr("status").Equal(dynamo.Val(string(invites.Pending))).And(dynamo.Attr("tokenHash").Equal(dynamo.Val(inv.TokenHash)))
	t.Update(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.InviteSK(inv.ID)), upd, cond, invites.ErrChanged)
	if d.Event != nil {
		t.Event(*d.Event)
	}
	return t.Run(ctx, s.Client)
}

// InviteToken implements invites.Store: one consistent GetItem.
func (s *Store) InviteToken(ctx context.Context, hash string) (invites.Token, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.TokenPK(hash), dynamo.SkToken), ConsistentRead: aws.Bool(true),
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
	items, err := s.BatchGet(ctx, []map[string]types.AttributeValue{dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta), dynamo.Key(dynamo.OrgPK(orgID), dynamo.InviteSK(inviteID))})
	if err != nil {
		return invites.Invite{}, orgs.Org{}, err
	}
	var org orgsdb.OrgItem
	var inv dynamo.InviteItem
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return invites.Invite{}, orgs.Org{}, err
		}
		target := any(&inv)
		if k.SK == dynamo.SkMeta {
			target = &org
		}
		if err := attributevalue.UnmarshalMap(av, target); err != nil {
			return invites.Invite{}, orgs.Org{}, err
		}
	}
	if org.ID == "" || inv.ID == "" {
		return invites.Invite{}, orgs.Org{}, apperr.New(apperr.NotFound, "invitation not found")
	}
	return inv.Invite(), org.Org(), nil
}

// AcceptContext implements invites.Store: one BatchGetItem of the token, the profile and
// the org (a second read of the org for a token of the older form, which names none).
func (s *Store) AcceptContext(ctx context.Context, hash, orgID, userID string) (invites.Token, *orgs.Profile, orgs.Org, error) {
	ks := []map[string]types.AttributeValue{dynamo.Key(dynamo.TokenPK(hash), dynamo.SkToken), dynamo.Key(dynamo.UserPK(userID), dynamo.SkProfile), dynamo.Key(dynamo.UserPK(userID), dynamo.SkDeleted)}
	if orgID != "" {
		ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta))
	}
	items, err := s.BatchGet(ctx, ks)
	if err != nil {
		return invites.Token{}, nil, orgs.Org{}, err
	}
	var tok *invites.Token
	var profile *orgs.Profile
	var org orgs.Org
	deleted := false
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return invites.Token{}, nil, orgs.Org{}, err
		}
		switch k.SK {
		case dynamo.SkDeleted:
			deleted = true
		case dynamo.SkProfile:
			var it dynamo.ProfileItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return invites.Token{}, nil, orgs.Org{}, err
			}
			p := it.Profile()
			profile = &p
		case dynamo.SkMeta:
			var it orgsdb.OrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return invites.Token{}, nil, orgs.Org{}, err
			}
			org = it.Org()
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
		list, err := orgsdb.ReadOrgs(ctx, s.Store, []string{tok.OrgID})
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
	t := s.Txn()
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(invites.Accepted))).
		Set(dynamo.Attr("acceptedAt"), dynamo.Val(w.Now)).
		Set(dynamo.Attr("acceptedBy"), dynamo.Val(m.UserID)).
		Set(dynamo.Attr(dynamo.AttrGSI1P), dynamo.Val(dynamo.InviteBucketPK(tok.OrgID, string(invites.Accepted))))
	t.Update(dynamo.Key(dynamo.OrgPK(tok.OrgID), dynamo.InviteSK(tok.InviteID)), settle(upd),
		pendingAt(w.Now).And(dynamo.Attr("tokenHash").Equal(dynamo.Val(tok.Hash))), invites.ErrGone)
	t.Delete(dynamo.Key(dynamo.OrgPK(tok.OrgID), dynamo.InviteGuardSK(tok.Email)), guardHeldBy(tok.InviteID), invites.ErrGone)
	// The invite's hold on its role passes to the member. A custom role can't have been
	// deleted meanwhile: the pending invite counted as a holder. Made under membersCanInvite,
	// the setting must still be on.
	org := orgsdb.OrgChange{Shared: true, Gone: invites.ErrGone, MembersCanInvite: tok.ByMembersCanInvite, Closed: invites.ErrAuthorityGone, Roles: w.Roles}
	org.Invite(m.Role, -1)
	org.Give(m, +1)
	orgsdb.ChangeOrg(t, tok.OrgID, org)
	// The invite's authority: its inviter still an active member (a suspended one has no
	// authority left to lend) in a role that, as the org defines it now, may grant its role.
	if tok.InvitedBy != "" {
		t.Check(dynamo.Key(dynamo.OrgPK(tok.OrgID), dynamo.MemberSK(tok.InvitedBy)), roleIn(w.InviterRoles).And(dynamo.StatusIs(orgs.StatusActive)), invites.ErrAuthorityGone)
	}
	// After the invite's own conditions, whose errors tell more.
	orgsdb.Membership(t, m, orgs.Shared, w.Account, orgs.ErrAccountDeleted, orgs.ErrAlreadyMember)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// DueInvites implements invites.Store: a Query of one day shard of GSI3, up to now.
func (s *Store) DueInvites(ctx context.Context, day, now time.Time) ([]invites.Invite, error) {
	pk, _ := dynamo.DueKeys("", "", day)
	return dynamo.AllAs(ctx, s.Store, dynamo.DueQuery("invites", pk, now), dynamo.InviteItem.Invite)
}

// ExpireInvite implements invites.Store.
func (s *Store) ExpireInvite(ctx context.Context, inv invites.Invite, now time.Time, ev audit.Event) error {
	t := s.Txn()
	cond := dynamo.Attr("status").Equal(dynamo.Val(string(invites.Pending))).
		And(dynamo.Attr("dueAt").Equal(dynamo.Val(dynamo.Stamp(inv.DueAt)))).
		And(dynamo.Attr("expiresAt").LessThanEqual(dynamo.Val(dynamo.SortTime(now))))
	t.Update(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.InviteSK(inv.ID)), settle(expression.Set(dynamo.Attr("status"), dynamo.Val(string(invites.Expired)))), cond, invites.ErrChanged)
	// The expired invite no longer holds its role. (An org being purged may be gone first:
	// the invite goes with it.)
	t.Update(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.SkMeta), expression.Add(dynamo.Attr(orgsdb.InvitedPrefix+string(inv.Role)), dynamo.Val(-1)), dynamo.Exists(), invites.ErrChanged)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// SetInviteToken implements invites.Store.
func (s *Store) SetInviteToken(ctx context.Context, inv invites.Invite, tok invites.Token, messageID string) error {
	t := s.Txn()
	cond := dynamo.Attr("status").Equal(dynamo.Val(string(invites.Pending))).
		And(dynamo.Attr("tokenHash").Equal(dynamo.Val(inv.TokenHash))).
		And(dynamo.Attr("deliveryMessage").Equal(dynamo.Val(messageID)))
	t.Update(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.InviteSK(inv.ID)), expression.Set(dynamo.Attr("tokenHash"), dynamo.Val(tok.Hash)), cond, invites.ErrChanged)
	// Its org still live too: an org deleted since the handler read it (a retry of a failed
	// email comes late) takes its invites' emails with it.
	t.Check(dynamo.Key(dynamo.OrgPK(inv.OrgID), dynamo.SkMeta), dynamo.OrgLive(), invites.ErrChanged)
	if inv.TokenHash != "" {
		t.Delete(dynamo.Key(dynamo.TokenPK(inv.TokenHash), dynamo.SkToken), expression.ConditionBuilder{}, nil)
	}
	t.PutNew(newTokenItem(tok), fmt.Errorf("token of invite %s exists", inv.ID))
	return t.Run(ctx, s.Client)
}
