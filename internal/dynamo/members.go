package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// Member search. A member list is always one Query of one index partition, whatever the
// filter, so that a page costs the same in an org of ten members or of a million:
//
//	no filter        GSI1 ORG#<org>#M            the member items, by email
//	role             GSI2 ORG#<org>#M#<role>     the member items, by email
//	q                GSI3 ORG#<org>#MS           the member items (by email) and the name
//	                                             entries (by name), one sorted range
//	role and q       GSI2 ORG#<org>#MS#<role>    the email and the name entries of the role
//
// A search is begins_with(q) on the sort key, so the email and the name matches come back
// merged in one ordered range; a member whose email and name both match is there twice, and
// a filter drops the name entry of a member whose email matches too. The entries are full
// copies of the membership, so a page needs no second read.
const (
	skNameEntry  = "MSEARCH#NAME#"
	skEmailEntry = "MSEARCH#EMAIL#"
	skEmailGuard = "EMAIL#"
	// searchByName marks the name entries, which the search filter looks at.
	searchByName  = "name"
	searchByEmail = "email"
)

func memberSearchPK(orgID string) string                   { return orgPK(orgID) + "#MS" }
func memberRolePK(orgID string, r roles.Role) string       { return orgPK(orgID) + "#M#" + string(r) }
func memberSearchRolePK(orgID string, r roles.Role) string { return orgPK(orgID) + "#MS#" + string(r) }
func emailGuardSK(email string) string                     { return skEmailGuard + strings.ToLower(email) }

// searchItem is a copy of a membership under another key, for search.
type searchItem struct {
	memberItem
	SearchBy string `dynamodbav:"searchBy"`
}

func newNameEntry(m orgs.Member) searchItem {
	it := searchItem{memberItem: newMemberItem(m), SearchBy: searchByName}
	sortKey := strings.ToLower(m.Name) + "#" + m.UserID
	it.keys = keys{
		PK: orgPK(m.OrgID), SK: skNameEntry + m.UserID,
		GSI2PK: memberSearchRolePK(m.OrgID, m.Role), GSI2SK: sortKey,
		GSI3PK: memberSearchPK(m.OrgID), GSI3SK: sortKey,
	}
	return it
}

func newEmailEntry(m orgs.Member) searchItem {
	it := searchItem{memberItem: newMemberItem(m), SearchBy: searchByEmail}
	it.keys = keys{
		PK: orgPK(m.OrgID), SK: skEmailEntry + m.UserID,
		GSI2PK: memberSearchRolePK(m.OrgID, m.Role), GSI2SK: strings.ToLower(m.Email) + "#" + m.UserID,
	}
	return it
}

// emailGuardItem records that an address is a member's, so that a write can check in its
// own transaction that an invitee is not a member yet. It also carries the member's role and
// status, kept in step with the member item by every write that changes them, so that a tool's
// sign-in (email + org token) finds the member by address in its one read.
//
// TokensSince (orgs.Member.TokensSince) is there for the same sign-in: a personal token made
// before it no longer signs in. A new guard takes it from the membership (its JoinedAt when it
// has none), so that a member who leaves and comes back, or whose address changes, starts with
// no live token.
type emailGuardItem struct {
	keys
	UserID      string    `dynamodbav:"userId"`
	Role        string    `dynamodbav:"role"`
	Status      string    `dynamodbav:"status,omitempty"`
	TokensSince time.Time `dynamodbav:"tokensSince,omitempty"`
}

func newEmailGuardItem(m orgs.Member) emailGuardItem {
	since := m.TokensSince
	if since.IsZero() {
		since = m.JoinedAt
	}
	return emailGuardItem{keys: keys{PK: orgPK(m.OrgID), SK: emailGuardSK(m.Email)}, UserID: m.UserID, Role: string(m.Role), Status: string(m.Status),
		TokensSince: since}
}

// memberEntries adds what goes with every membership besides its two sides: the search
// entries and the email guard (ifTaken when another member has the address).
func (t *txn) memberEntries(m orgs.Member, ifTaken error) {
	t.put(newNameEntry(m), expression.ConditionBuilder{}, nil)
	t.put(newEmailEntry(m), expression.ConditionBuilder{}, nil)
	t.putNew(newEmailGuardItem(m), ifTaken)
}

// Members implements members.Store: one Query (see "Member search").
func (s *Store) Members(ctx context.Context, orgID string, f members.Filter, p paging.Request) (members.Page, error) {
	var index, pkName, skName, pk string
	switch {
	case f.Query == "" && f.Role == "":
		index, pkName, pk = IndexGSI1, attrGSI1P, orgPK(orgID)+"#M"
	case f.Query == "":
		index, pkName, pk = IndexGSI2, attrGSI2P, memberRolePK(orgID, f.Role)
	case f.Role == "":
		index, pkName, skName, pk = IndexGSI3, attrGSI3P, attrGSI3S, memberSearchPK(orgID)
	default:
		index, pkName, skName, pk = IndexGSI2, attrGSI2P, attrGSI2S, memberSearchRolePK(orgID, f.Role)
	}
	kc := expression.Key(pkName).Equal(expression.Value(pk))
	b := expression.NewBuilder()
	var filters []expression.ConditionBuilder
	if f.Query != "" {
		kc = kc.And(expression.Key(skName).BeginsWith(f.Query))
		// Drop the name entry of a member whose email matches too: the email entry is there.
		filters = append(filters, expression.Or(
			expression.AttributeNotExists(attr("searchBy")),
			attr("searchBy").NotEqual(val(searchByName)),
			expression.Not(attr("email").BeginsWith(f.Query)),
		))
	}
	if f.Source != "" {
		// The member items of the org, filtered by source: a tab such as the legacy support
		// users is a small share of a large org's members at most, read page by page.
		filters = append(filters, attr("source").Equal(val(string(f.Source))))
	}
	switch len(filters) {
	case 1:
		b = b.WithFilter(filters[0])
	case 2:
		// Both filters hold together (the builder keeps only the last WithFilter).
		b = b.WithFilter(expression.And(filters[0], filters[1]))
	}
	expr, err := b.WithKeyCondition(kc).Build()
	if err != nil {
		return members.Page{}, err
	}
	start, err := decodeKey(p.After)
	if err != nil {
		return members.Page{}, err
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(index),
		KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ExclusiveStartKey: start, Limit: aws.Int32(int32(p.Limit)),
	})
	if err != nil {
		return members.Page{}, fmt.Errorf("query members: %w", err)
	}
	page := members.Page{Members: make([]orgs.Member, 0, len(out.Items))}
	for _, av := range out.Items {
		var it memberItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return members.Page{}, err
		}
		page.Members = append(page.Members, it.member())
	}
	page.Next, err = encodeKey(out.LastEvaluatedKey)
	return page, err
}

// ChangeMember implements members.Store.
func (s *Store) ChangeMember(ctx context.Context, w members.Write) error {
	before, after := w.Before, w.After
	t := s.txn()
	set := func(rolePK string) expression.UpdateBuilder {
		u := expression.Set(attr("role"), val(string(after.Role))).Set(attr(attrGSI2P), val(rolePK))
		u = setOrRemoveText(setOrRemoveText(u, "name", after.Name), "phone", after.Phone)
		if len(after.Properties) == 0 {
			return u.Remove(attr("properties"))
		}
		return u.Set(attr("properties"), val(after.Properties))
	}
	memberSet := set(memberRolePK(w.OrgID, after.Role)).Set(attr("updatedAt"), val(w.Event.OccurredAt))
	if after.Role != before.Role {
		memberSet = memberSet.Set(attr("tokensSince"), val(w.Event.OccurredAt.UTC()))
	}
	t.update(key(orgPK(w.OrgID), memberSK(before.UserID)), memberSet,
		adminAsRead(before, attr("role").Equal(val(string(before.Role))), after.Role), orgs.ErrMemberChanged)
	nameEntry := set(memberSearchRolePK(w.OrgID, after.Role))
	if after.Name != before.Name {
		// The name entry is found by the lower-cased name: its sort keys follow.
		sk := strings.ToLower(after.Name) + "#" + after.UserID
		nameEntry = nameEntry.Set(attr(attrGSI2S), val(sk)).Set(attr(attrGSI3S), val(sk))
	}
	t.update(key(orgPK(w.OrgID), skNameEntry+before.UserID), nameEntry, exists(), orgs.ErrMemberChanged)
	t.update(key(orgPK(w.OrgID), skEmailEntry+before.UserID), set(memberSearchRolePK(w.OrgID, after.Role)), exists(), orgs.ErrMemberChanged)
	t.update(key(userPK(before.UserID), userOrgSK(w.OrgID)), expression.Set(attr("role"), val(string(after.Role))), exists(), orgs.ErrMemberChanged)
	if after.Role != before.Role {
		// A role change ends the member's personal tokens: they carried the old role's standing.
		t.update(key(orgPK(w.OrgID), emailGuardSK(before.Email)),
			expression.Set(attr("role"), val(string(after.Role))).Set(attr("tokensSince"), val(w.Event.OccurredAt.UTC())),
			attr("userId").Equal(val(before.UserID)), orgs.ErrMemberChanged)
	}
	t.actorStill(w)
	if w.Provisioned {
		t.createdBy(w.OrgID, before.UserID)
	}
	// The role's holders move with it; with no move the org item is only checked.
	c := orgChange{roles: w.Roles}
	c.move(before, after)
	t.orgItem(w.OrgID, c)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// RemoveMember implements members.Store.
func (s *Store) RemoveMember(ctx context.Context, w members.Write) error {
	m := w.Before
	t := s.txn()
	t.delete(key(orgPK(w.OrgID), memberSK(m.UserID)), adminAsRead(m, attr("role").Equal(val(string(m.Role))).And(seatsAsRead(m.Seats))), orgs.ErrMemberChanged)
	t.freeSeats(w.OrgID, m)
	t.delete(key(orgPK(w.OrgID), skNameEntry+m.UserID), expression.ConditionBuilder{}, nil)
	t.delete(key(orgPK(w.OrgID), skEmailEntry+m.UserID), expression.ConditionBuilder{}, nil)
	t.delete(key(orgPK(w.OrgID), emailGuardSK(m.Email)), expression.ConditionBuilder{}, nil)
	t.delete(key(userPK(m.UserID), userOrgSK(w.OrgID)), expression.ConditionBuilder{}, nil)
	t.actorStill(w)
	// Taking an admin away holds only while another admin remains (ErrLastAdmin): with the
	// member's own role condition in the same transaction, neither a stale read nor two
	// admins demoting each other at once can leave the org without one.
	c := orgChange{roles: w.Roles}
	c.give(m, -1)
	t.orgItem(w.OrgID, c)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}

// adminAsRead adds to cond, a write's condition on the member item, that the member's status
// is still as read when the org's admin count depends on it: when the member holds, or is
// given, the admin role (also). Only an active admin is counted (orgs.Member.CountsAsAdmin),
// so a suspension or reactivation committed between the read and the write would otherwise
// move the count twice or not at all.
func adminAsRead(m orgs.Member, cond expression.ConditionBuilder, also ...roles.Role) expression.ConditionBuilder {
	if m.Role != roles.Admin && !slices.Contains(also, roles.Admin) {
		return cond
	}
	return cond.And(statusIs(m.Status))
}

// statusIs holds while the member item's status is s (absent or "active" being active).
func statusIs(s orgs.Status) expression.ConditionBuilder {
	if s == orgs.StatusSuspended {
		return attr("status").Equal(val(string(orgs.StatusSuspended)))
	}
	return expression.AttributeNotExists(attr("status")).Or(attr("status").NotEqual(val(string(orgs.StatusSuspended))))
}

// setOrRemoveText sets an optional text attribute, or removes it when v is empty.
func setOrRemoveText(u expression.UpdateBuilder, name, v string) expression.UpdateBuilder {
	if v == "" {
		return u.Remove(attr(name))
	}
	return u.Set(attr(name), val(v))
}

// orgLive holds while the org exists and is not deleted. A live org's deletedAt is absent or
// the zero time (which is how the org item stores "not deleted").
func orgLive() expression.ConditionBuilder {
	return exists().And(expression.AttributeNotExists(attr("deletedAt")).Or(attr("deletedAt").Equal(val(time.Time{}))))
}

// actorStill makes the write hold only while the caller keeps the role that authorized it.
func (t *txn) actorStill(w members.Write) {
	if w.Actor.UserID == "" || w.Actor.UserID == w.Before.UserID {
		return
	}
	t.memberStill(w.OrgID, w.Actor)
}

// memberIdentity adds the updates that copy a user's new email and name onto their membership
// of one org: the member item and its two search entries (their sort keys hold the email or
// the lower-cased name), and, when the email changed, the email guard.
func (t *txn) memberIdentity(m orgs.Membership, before, after orgs.Profile) {
	orgID := m.OrgID
	uid := after.ID
	email := strings.ToLower(after.Email) + "#" + uid
	name := strings.ToLower(after.Name) + "#" + uid
	setBoth := func(u expression.UpdateBuilder) expression.UpdateBuilder {
		u = u.Set(attr("email"), val(after.Email))
		if after.Name == "" {
			return u.Remove(attr("name"))
		}
		return u.Set(attr("name"), val(after.Name))
	}
	t.update(key(orgPK(orgID), memberSK(uid)),
		setBoth(expression.Set(attr(attrGSI1S), val(email)).Set(attr(attrGSI2S), val(email)).Set(attr(attrGSI3S), val(email))),
		exists(), errMembershipChanged)
	t.update(key(orgPK(orgID), skNameEntry+uid),
		setBoth(expression.Set(attr(attrGSI2S), val(name)).Set(attr(attrGSI3S), val(name))), exists(), errMembershipChanged)
	t.update(key(orgPK(orgID), skEmailEntry+uid),
		setBoth(expression.Set(attr(attrGSI2S), val(email))), exists(), errMembershipChanged)
	if !strings.EqualFold(before.Email, after.Email) {
		// Both guard writes hold when done already, so that the copy can be run again.
		mine := absent().Or(attr("userId").Equal(val(uid)))
		t.delete(key(orgPK(orgID), emailGuardSK(before.Email)), mine, errMembershipChanged)
		// The address the tools sign in with changed: the personal tokens start again.
		guard := newEmailGuardItem(orgs.Member{OrgID: orgID, UserID: uid, Email: after.Email, Role: m.Role, Status: m.Status,
			TokensSince: after.EmailSetAt})
		t.put(guard, mine,
			apperr.New(apperr.Conflict, "a member of one of your organizations already has %s", after.Email))
	}
}
