package scimdb

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/licensingdb"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/scim"
)

// SCIM's items:
//
//	ORG#<orgId>  SCIMTOKEN           the org's SCIM token, by its SHA-256 (the token itself is never
//	                                   stored); the token names the org, so the first read of a SCIM
//	                                   request is one BatchGet of this item, the org and what the
//	                                   route acts on
//	ORG#<orgId>  EXTID#<externalId>  the identity provider's id of a member (→ userId); a hint,
//	                                   checked against the member it names
//
// A member provisioned by SCIM also carries externalId, givenName and familyName on its item.
const SkExtID = "EXTID#"

type scimTokenItem struct {
	dynamo.Keys
	Hash      string    `dynamodbav:"hash"` // dynamo.AttrSCIMTokenHash
	CreatedAt time.Time `dynamodbav:"createdAt"`
	CreatedBy string    `dynamodbav:"createdById"`
}

type ExtIDItem struct {
	dynamo.Keys
	UserID string `dynamodbav:"userId"`
}

// SCIMContext implements scim.Store.
func (s *Store) SCIMContext(ctx context.Context, orgID string, userIDs []string, externalID string) (scim.Context, error) {
	ks := []map[string]types.AttributeValue{dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta), dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkSCIMToken)}
	named := map[string]bool{}
	for _, id := range userIDs {
		// A key twice in one BatchGetItem is a ValidationException: a request naming a member
		// twice (added and removed, listed twice) reads them once.
		if id != "" && len(id) <= dynamo.MaxIDLength && !named[id] {
			named[id] = true
			ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(id)))
		}
	}
	if externalID != "" && len(externalID) <= dynamo.MaxIDLength {
		ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), SkExtID+externalID))
	}
	var items []map[string]types.AttributeValue
	for start := 0; start < len(ks); start += 100 {
		chunk, err := s.BatchGet(ctx, ks[start:min(start+100, len(ks))])
		if err != nil {
			return scim.Context{}, err
		}
		items = append(items, chunk...)
	}
	c := scim.Context{Members: map[string]orgs.Member{}}
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return scim.Context{}, err
		}
		switch {
		case k.SK == dynamo.SkMeta:
			var it orgsdb.OrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return scim.Context{}, err
			}
			c.Org = it.Org()
		case k.SK == dynamo.SkSCIMToken:
			var it scimTokenItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return scim.Context{}, err
			}
			c.TokenHash, c.TokenMaker, c.TokenCreatedAt = it.Hash, it.CreatedBy, it.CreatedAt
		case strings.HasPrefix(k.SK, "MEMBER#"):
			var it dynamo.MemberItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return scim.Context{}, err
			}
			if named[it.UserID] {
				c.Members[it.UserID] = it.Member()
			}
		case strings.HasPrefix(k.SK, SkExtID):
			var it ExtIDItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return scim.Context{}, err
			}
			c.ExternalUserID = it.UserID
		}
	}
	return c, nil
}

// SCIMMembers implements scim.Store: BatchGets of up to 100 members.
func (s *Store) SCIMMembers(ctx context.Context, orgID string, userIDs []string) (map[string]orgs.Member, error) {
	var ks []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, id := range userIDs {
		if id != "" && len(id) <= dynamo.MaxIDLength && !seen[id] {
			seen[id] = true
			ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(id)))
		}
	}
	out := make(map[string]orgs.Member, len(ks))
	for start := 0; start < len(ks); start += 100 {
		items, err := s.BatchGet(ctx, ks[start:min(start+100, len(ks))])
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var it dynamo.MemberItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out[it.UserID] = it.Member()
		}
	}
	return out, nil
}

// MemberByEmail implements scim.Store: one Query of the org's member index by address.
func (s *Store) MemberByEmail(ctx context.Context, orgID, email string) (*orgs.Member, error) {
	q := dynamo.Query{
		What: "member by email", Index: dynamo.IndexGSI1,
		Key: dynamo.KeyIs(dynamo.AttrGSI1P, dynamo.OrgPK(orgID)+"#M").And(expression.Key(dynamo.AttrGSI1S).BeginsWith(strings.ToLower(email) + "#")),
	}
	// One page: an address has an entry or two, far from a page's 1 MB.
	ms, _, err := dynamo.PageAs(ctx, s.Store, q, "", dynamo.MemberItem.Member)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if strings.EqualFold(m.Email, email) {
			return &m, nil
		}
	}
	return nil, nil
}

// SetSCIMToken implements scim.Store: the new token's hash replaces any other at once.
func (s *Store) SetSCIMToken(ctx context.Context, actor orgs.Acting, orgID, hash, createdBy string, at, resetAsRead time.Time, ev audit.Event) error {
	t := s.Txn()
	t.Put(scimTokenItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(orgID), SK: dynamo.SkSCIMToken}, Hash: hash, CreatedAt: at, CreatedBy: createdBy},
		expression.ConditionBuilder{}, nil)
	// No reset since the request read the org: a token must not outlive one.
	orgsdb.ActorAsRead(t, orgID, actor, orgsdb.OrgChange{ResetAsRead: &resetAsRead})
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// RevokeSCIMToken implements scim.Store; NotFound when the org has none.
func (s *Store) RevokeSCIMToken(ctx context.Context, actor orgs.Acting, orgID string, ev audit.Event) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, orgID, actor, orgsdb.OrgChange{})
	t.Delete(dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkSCIMToken), dynamo.Exists(), apperr.New(apperr.NotFound, "the organization has no SCIM token"))
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// SCIMUpdateMember implements scim.Store: what SCIM keeps of a member (status, external id,
// name parts, name, phone), on condition that the member still has the role and the status
// read. The copies follow: the name's search entry follows the name, and a new status reaches
// every copy that carries one (the search entries, the email guard that a tool's sign-in
// reads, the user's side that their account reads). A suspended admin is no longer counted as
// an admin (orgs.Member.CountsAsAdmin): suspending the last active one fails on the org
// item's count (orgs.ErrLastAdmin), and reactivating one counts them again.
func (s *Store) SCIMUpdateMember(ctx context.Context, w scim.MemberWrite) error {
	b, a := w.Before, w.After
	str := func(u expression.UpdateBuilder, name, v string) expression.UpdateBuilder {
		if v == "" {
			return u.Remove(dynamo.Attr(name))
		}
		return u.Set(dynamo.Attr(name), dynamo.Val(v))
	}
	upd := expression.Set(dynamo.Attr("email"), dynamo.Val(b.Email)).Set(dynamo.Attr("updatedAt"), dynamo.Val(w.Event.OccurredAt))
	for _, f := range []struct{ name, v string }{
		{"status", string(a.Status)}, {"externalId", a.ExternalID}, {"givenName", a.GivenName},
		{"familyName", a.FamilyName}, {"name", a.Name}, {"phone", a.Phone},
	} {
		upd = str(upd, f.name, f.v)
	}
	cond := dynamo.Attr("role").Equal(dynamo.Val(string(b.Role))).And(dynamo.StatusIs(b.Status))
	statusChanged := a.Status != b.Status
	if statusChanged {
		upd = upd.Set(dynamo.Attr("tokensSince"), dynamo.Val(w.Event.OccurredAt.UTC()))
	}
	t := s.Txn()
	userSide, userSideChanged := expression.Set(dynamo.Attr("role"), dynamo.Val(string(b.Role))), false
	if statusChanged {
		userSide, userSideChanged = str(userSide, "status", string(a.Status)), true
	}
	if a.Suspended() && !b.Suspended() && len(b.Seats) > 0 {
		// A suspended member holds no seat: they are freed in the suspension's transaction,
		// as a removal frees them.
		upd = upd.Remove(dynamo.Attr("seatLicenses"))
		cond = cond.And(licensingdb.SeatsAsRead(b.Seats))
		licensingdb.FreeSeats(t, w.OrgID, b)
		userSide, userSideChanged = userSide.Remove(dynamo.Attr("seatLicenses")), true
	}
	if userSideChanged {
		t.Update(dynamo.Key(dynamo.UserPK(b.UserID), dynamo.UserOrgSK(w.OrgID)), userSide, dynamo.Exists(), orgs.ErrMemberChanged)
	}
	t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.MemberSK(b.UserID)), upd, cond, orgs.ErrMemberChanged)
	if a.Name != b.Name || statusChanged {
		name := str(expression.Set(dynamo.Attr(dynamo.AttrGSI2S), dynamo.Val(strings.ToLower(a.Name)+"#"+b.UserID)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(strings.ToLower(a.Name)+"#"+b.UserID)), "name", a.Name)
		t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkNameEntry+b.UserID), str(name, "status", string(a.Status)), dynamo.Exists(), orgs.ErrMemberChanged)
	}
	if statusChanged {
		t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkEmailEntry+b.UserID), str(expression.Set(dynamo.Attr("role"), dynamo.Val(string(b.Role))), "status", string(a.Status)), dynamo.Exists(), orgs.ErrMemberChanged)
		// A suspension or reactivation ends the member's personal tokens (package tokens).
		since := w.Event.OccurredAt.UTC()
		t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.EmailGuardSK(b.Email)),
			str(expression.Set(dynamo.Attr("role"), dynamo.Val(string(b.Role))).Set(dynamo.Attr("tokensSince"), dynamo.Val(since)), "status", string(a.Status)),
			dynamo.Attr("userId").Equal(dynamo.Val(b.UserID)), orgs.ErrMemberChanged)

	}
	if a.ExternalID != b.ExternalID {
		if b.ExternalID != "" {
			t.Delete(dynamo.Key(dynamo.OrgPK(w.OrgID), SkExtID+b.ExternalID), expression.ConditionBuilder{}, nil)
		}
		if a.ExternalID != "" {
			// Another member's hint gives way: the member it names is checked on every read.
			t.Put(ExtIDItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(w.OrgID), SK: SkExtID + a.ExternalID}, UserID: b.UserID}, expression.ConditionBuilder{}, nil)
		}
	}
	var c orgsdb.OrgChange
	c.Move(b, a)
	orgsdb.ChangeOrg(t, w.OrgID, c)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}
