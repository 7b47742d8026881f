package membersdb

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/licensingdb"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// Members implements members.Store: one Query (see "Member search").
func (s *Store) Members(ctx context.Context, orgID string, f members.Filter, p paging.Request) (members.Page, error) {
	var index, pkName, skName, pk string
	switch {
	case f.Query == "" && f.Role == "":
		index, pkName, pk = dynamo.IndexGSI1, dynamo.AttrGSI1P, dynamo.OrgPK(orgID)+"#M"
	case f.Query == "":
		index, pkName, pk = dynamo.IndexGSI2, dynamo.AttrGSI2P, dynamo.MemberRolePK(orgID, f.Role)
	case f.Role == "":
		index, pkName, skName, pk = dynamo.IndexGSI3, dynamo.AttrGSI3P, dynamo.AttrGSI3S, dynamo.MemberSearchPK(orgID)
	default:
		index, pkName, skName, pk = dynamo.IndexGSI2, dynamo.AttrGSI2P, dynamo.AttrGSI2S, dynamo.MemberSearchRolePK(orgID, f.Role)
	}
	kc := expression.Key(pkName).Equal(expression.Value(pk))
	var filters []expression.ConditionBuilder
	if f.Query != "" {
		kc = kc.And(expression.Key(skName).BeginsWith(f.Query))
		// Drop the name entry of a member whose email matches too: the email entry is there.
		filters = append(filters, expression.Or(
			expression.AttributeNotExists(dynamo.Attr("searchBy")),
			dynamo.Attr("searchBy").NotEqual(dynamo.Val(dynamo.SearchByName)),
			expression.Not(dynamo.Attr("email").BeginsWith(f.Query)),
		))
	}
	if f.Source != "" {
		// The member items of the org, filtered by source: a tab such as the legacy support
		// users is a small share of a large org's members at most, read page by page.
		filters = append(filters, dynamo.Attr("source").Equal(dynamo.Val(string(f.Source))))
	}
	q := dynamo.Query{What: "members", Index: index, Key: kc, Limit: p.Limit}
	switch len(filters) {
	case 1:
		q.Filter = filters[0]
	case 2:
		// Both filters hold together.
		q.Filter = expression.And(filters[0], filters[1])
	}
	list, next, err := dynamo.PageAs(ctx, s.Store, q, p.After, dynamo.MemberItem.Member)
	return members.Page{Members: list, Next: next}, err
}

// ChangeMember implements members.Store.
func (s *Store) ChangeMember(ctx context.Context, w members.Write) error {
	before, after := w.Before, w.After
	t := s.Txn()
	set := func(rolePK string) expression.UpdateBuilder {
		u := expression.Set(dynamo.Attr("role"), dynamo.Val(string(after.Role))).Set(dynamo.Attr(dynamo.AttrGSI2P), dynamo.Val(rolePK))
		u = setOrRemoveText(setOrRemoveText(u, "name", after.Name), "phone", after.Phone)
		if len(after.Properties) == 0 {
			return u.Remove(dynamo.Attr("properties"))
		}
		return u.Set(dynamo.Attr("properties"), dynamo.Val(after.Properties))
	}
	memberSet := set(dynamo.MemberRolePK(w.OrgID, after.Role)).Set(dynamo.Attr("updatedAt"), dynamo.Val(w.Event.OccurredAt))
	if after.Role != before.Role {
		memberSet = memberSet.Set(dynamo.Attr("tokensSince"), dynamo.Val(w.Event.OccurredAt.UTC()))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.MemberSK(before.UserID)), memberSet,
		adminAsRead(before, dynamo.Attr("role").Equal(dynamo.Val(string(before.Role))), after.Role), orgs.ErrMemberChanged)
	nameEntry := set(dynamo.MemberSearchRolePK(w.OrgID, after.Role))
	if after.Name != before.Name {
		// The name entry is found by the lower-cased name: its sort keys follow.
		sk := strings.ToLower(after.Name) + "#" + after.UserID
		nameEntry = nameEntry.Set(dynamo.Attr(dynamo.AttrGSI2S), dynamo.Val(sk)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(sk))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkNameEntry+before.UserID), nameEntry, dynamo.Exists(), orgs.ErrMemberChanged)
	t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkEmailEntry+before.UserID), set(dynamo.MemberSearchRolePK(w.OrgID, after.Role)), dynamo.Exists(), orgs.ErrMemberChanged)
	t.Update(dynamo.Key(dynamo.UserPK(before.UserID), dynamo.UserOrgSK(w.OrgID)), expression.Set(dynamo.Attr("role"), dynamo.Val(string(after.Role))), dynamo.Exists(), orgs.ErrMemberChanged)
	if after.Role != before.Role {
		// A role change ends the member's personal tokens: they carried the old role's standing.
		t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.EmailGuardSK(before.Email)),
			expression.Set(dynamo.Attr("role"), dynamo.Val(string(after.Role))).Set(dynamo.Attr("tokensSince"), dynamo.Val(w.Event.OccurredAt.UTC())),
			dynamo.Attr("userId").Equal(dynamo.Val(before.UserID)), orgs.ErrMemberChanged)
	}
	actorStill(t, w)
	if w.Provisioned {
		orgsdb.CreatedBy(t, w.OrgID, before.UserID)
	}
	// The role's holders move with it; with no move the org item is only checked.
	c := orgsdb.OrgChange{Roles: w.Roles}
	c.Move(before, after)
	orgsdb.ChangeOrg(t, w.OrgID, c)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// RemoveMember implements members.Store.
func (s *Store) RemoveMember(ctx context.Context, w members.Write) error {
	m := w.Before
	t := s.Txn()
	t.Delete(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.MemberSK(m.UserID)), adminAsRead(m, dynamo.Attr("role").Equal(dynamo.Val(string(m.Role))).And(licensingdb.SeatsAsRead(m.Seats))), orgs.ErrMemberChanged)
	licensingdb.FreeSeats(t, w.OrgID, m)
	t.Delete(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkNameEntry+m.UserID), expression.ConditionBuilder{}, nil)
	t.Delete(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkEmailEntry+m.UserID), expression.ConditionBuilder{}, nil)
	t.Delete(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.EmailGuardSK(m.Email)), expression.ConditionBuilder{}, nil)
	t.Delete(dynamo.Key(dynamo.UserPK(m.UserID), dynamo.UserOrgSK(w.OrgID)), expression.ConditionBuilder{}, nil)
	actorStill(t, w)
	// Taking an admin away holds only while another admin remains (ErrLastAdmin): with the
	// member's own role condition in the same transaction, neither a stale read nor two
	// admins demoting each other at once can leave the org without one.
	c := orgsdb.OrgChange{Roles: w.Roles}
	c.Give(m, -1)
	orgsdb.ChangeOrg(t, w.OrgID, c)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
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
	return cond.And(dynamo.StatusIs(m.Status))
}

// setOrRemoveText sets an optional text attribute, or removes it when v is empty.
func setOrRemoveText(u expression.UpdateBuilder, name, v string) expression.UpdateBuilder {
	if v == "" {
		return u.Remove(dynamo.Attr(name))
	}
	return u.Set(dynamo.Attr(name), dynamo.Val(v))
}

// actorStill makes the write hold only while the caller keeps the role that authorized it.
func actorStill(t *dynamo.Txn, w members.Write) {
	if w.Actor.UserID == "" || w.Actor.UserID == w.Before.UserID {
		return
	}
	t.MemberStill(w.OrgID, w.Actor)
}

// MemberIdentity adds the updates that copy a user's new email and name onto their membership
// of one org: the member item and its two search entries (their sort keys hold the email or
// the lower-cased name), and, when the email changed, the email guard.
func MemberIdentity(t *dynamo.Txn, m orgs.Membership, before, after orgs.Profile) {
	orgID := m.OrgID
	uid := after.ID
	email := strings.ToLower(after.Email) + "#" + uid
	name := strings.ToLower(after.Name) + "#" + uid
	setBoth := func(u expression.UpdateBuilder) expression.UpdateBuilder {
		u = u.Set(dynamo.Attr("email"), dynamo.Val(after.Email))
		if after.Name == "" {
			return u.Remove(dynamo.Attr("name"))
		}
		return u.Set(dynamo.Attr("name"), dynamo.Val(after.Name))
	}
	t.Update(dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(uid)),
		setBoth(expression.Set(dynamo.Attr(dynamo.AttrGSI1S), dynamo.Val(email)).Set(dynamo.Attr(dynamo.AttrGSI2S), dynamo.Val(email)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(email))),
		dynamo.Exists(), dynamo.ErrMembershipChanged)
	t.Update(dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkNameEntry+uid),
		setBoth(expression.Set(dynamo.Attr(dynamo.AttrGSI2S), dynamo.Val(name)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(name))), dynamo.Exists(), dynamo.ErrMembershipChanged)
	t.Update(dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkEmailEntry+uid),
		setBoth(expression.Set(dynamo.Attr(dynamo.AttrGSI2S), dynamo.Val(email))), dynamo.Exists(), dynamo.ErrMembershipChanged)
	if !strings.EqualFold(before.Email, after.Email) {
		// Both guard writes hold when done already, so that the copy can be run again.
		mine := dynamo.Absent().Or(dynamo.Attr("userId").Equal(dynamo.Val(uid)))
		t.Delete(dynamo.Key(dynamo.OrgPK(orgID), dynamo.EmailGuardSK(before.Email)), mine, dynamo.ErrMembershipChanged)
		// The address the tools sign in with changed: the personal tokens start again.
		guard := orgsdb.NewEmailGuardItem(orgs.Member{OrgID: orgID, UserID: uid, Email: after.Email, Role: m.Role, Status: m.Status,
			TokensSince: after.EmailSetAt})
		t.Put(guard, mine,
			apperr.New(apperr.Conflict, "a member of one of your organizations already has %s", after.Email))
	}
}
