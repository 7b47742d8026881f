package orgsdb

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

const (
	HeldPrefix    = "held#"
	InvitedPrefix = "invited#"
)

type customRoleItem struct {
	Name        string   `dynamodbav:"name"`
	Description string   `dynamodbav:"description,omitempty"`
	Permissions []string `dynamodbav:"permissions"`
	// TokensSince: roles.Definition.TokensSince; absent while zero (the encoder writes a
	// zero time.Time, omitempty or not, and a sign-in's condition asks for its absence).
	TokensSince *time.Time `dynamodbav:"tokensSince,omitempty"`
}

func CustomRoleItems(defs []roles.Definition) map[string]customRoleItem {
	if len(defs) == 0 {
		return nil
	}
	out := make(map[string]customRoleItem, len(defs))
	for _, d := range defs {
		perms := make([]string, len(d.Permissions))
		for i, p := range d.Permissions {
			perms[i] = string(p)
		}
		it := customRoleItem{Name: d.Name, Description: d.Description, Permissions: perms}
		if !d.TokensSince.IsZero() {
			since := d.TokensSince.UTC()
			it.TokensSince = &since
		}
		out[string(d.ID)] = it
	}
	return out
}

func customRoleDefinitions(items map[string]customRoleItem) []roles.Definition {
	ids := slices.Sorted(maps.Keys(items))
	out := make([]roles.Definition, 0, len(ids))
	for _, id := range ids {
		it := items[id]
		perms := make([]roles.Permission, 0, len(it.Permissions))
		for _, p := range it.Permissions {
			perms = append(perms, roles.Permission(p))
		}
		d := roles.Definition{ID: roles.Role(id), Name: it.Name, Description: it.Description, Permissions: perms}
		if it.TokensSince != nil {
			d.TokensSince = *it.TokensSince
		}
		out = append(out, d)
	}
	return out
}

// holderCounts are the held# and invited# attributes of an org item, by role.
type holderCounts struct {
	members map[roles.Role]int
	invites map[roles.Role]int
}

// UnmarshalDynamoDBAttributeValue reads an org item with its per-role counts, which have no
// fixed attribute names.
func (it *OrgItem) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("org item: want a map, got %T", av)
	}
	type plain OrgItem // without this method
	var p plain
	if err := attributevalue.UnmarshalMap(m.Value, &p); err != nil {
		return err
	}
	*it = OrgItem(p)
	it.holders = holderCounts{members: map[roles.Role]int{}, invites: map[roles.Role]int{}}
	for name, v := range m.Value {
		var n int
		switch {
		case strings.HasPrefix(name, HeldPrefix):
			if err := attributevalue.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("org item %s: %w", name, err)
			}
			it.holders.members[roles.Role(strings.TrimPrefix(name, HeldPrefix))] = n
		case strings.HasPrefix(name, InvitedPrefix):
			if err := attributevalue.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("org item %s: %w", name, err)
			}
			it.holders.invites[roles.Role(strings.TrimPrefix(name, InvitedPrefix))] = n
		}
	}
	it.holders.members[roles.Admin] = it.AdminCount
	return nil
}

// OrgChange is everything one transaction does to the org item, gathered so that the item is
// written once (a transaction may name an item only once): counter moves and the conditions
// the write needs.
type OrgChange struct {
	// admins and members add to adminCount and memberCount.
	admins, members int
	// held and invited add to the roles' holder counts.
	held, invited map[roles.Role]int
	// shared: the org must be a shared one; membersCanInvite: it must still let members
	// invite.
	Shared, MembersCanInvite bool
	// roles: the custom roles must still be as read.
	Roles orgs.RolesCheck
	// gone is the error when the org is absent, deleted or not shared (default ErrOrgGone).
	Gone error
	// closed is the error when membersCanInvite is asked for and off (default
	// ErrMembersCanInviteOff).
	Closed error
	// set are attributes the write sets on the org item besides the counters (the
	// authentication reset's time).
	Set map[string]any
	// resetAsRead, when set, is the org's last authentication reset as the request read it:
	// the write holds only if no reset happened since (a credential made by a request that
	// began before a reset must not outlive it).
	ResetAsRead *time.Time
}

// Give counts a member who now holds their role (n = 1) or no longer does (n = -1). The
// admin count is the admins who can act (orgs.Member.CountsAsAdmin): a suspended admin holds
// the role but is not counted, so the last-admin condition holds for suspension too. Admin's
// holders are that count only (no held# attribute).
func (c *OrgChange) Give(m orgs.Member, n int) {
	c.members += n
	if m.CountsAsAdmin() {
		c.admins += n
	}
	if m.Role != roles.Admin {
		c.held = addCount(c.held, m.Role, n)
	}
}

// Move counts a member who changes from before to after (role, status or both).
func (c *OrgChange) Move(before, after orgs.Member) {
	if before.Role == after.Role && before.CountsAsAdmin() == after.CountsAsAdmin() {
		return
	}
	c.Give(before, -1)
	c.Give(after, +1)
}

// Invite counts a pending invite for role r that comes (n = 1) or goes (n = -1).
func (c *OrgChange) Invite(r roles.Role, n int) { c.invited = addCount(c.invited, r, n) }

func addCount(m map[roles.Role]int, r roles.Role, n int) map[roles.Role]int {
	if m == nil {
		m = map[roles.Role]int{}
	}
	m[r] += n
	return m
}

// RolesAt holds while the org's custom roles are at version v.
func RolesAt(v int) expression.ConditionBuilder {
	if v == 0 {
		return expression.AttributeNotExists(dynamo.Attr("rolesVersion")).Or(dynamo.Attr("rolesVersion").Equal(dynamo.Val(0)))
	}
	return dynamo.Attr("rolesVersion").Equal(dynamo.Val(v))
}

// orgItem adds c's write of the org item: an update when a counter moves, a condition check
// otherwise. A failed condition is told apart by the item as it was (returned with the
// cancellation): org gone, not shared, membersCanInvite off, last admin, roles changed.
func ChangeOrg(t *dynamo.Txn, orgID string, c OrgChange) {
	cond := dynamo.OrgLive()
	if c.Shared {
		cond = cond.And(dynamo.Attr("kind").Equal(dynamo.Val(string(orgs.Shared))))
	}
	if c.MembersCanInvite {
		cond = cond.And(dynamo.Attr("membersCanInvite").Equal(dynamo.Val(true)))
	}
	if c.admins < 0 {
		cond = cond.And(dynamo.Attr("adminCount").GreaterThan(dynamo.Val(-c.admins)))
	}
	if c.Roles.Needed {
		cond = cond.And(RolesAt(c.Roles.Version))
	}
	if c.ResetAsRead != nil {
		same := dynamo.Attr("authResetAt").Equal(dynamo.Val(*c.ResetAsRead))
		if c.ResetAsRead.IsZero() {
			same = expression.AttributeNotExists(dynamo.Attr("authResetAt")).Or(same)
		}
		cond = cond.And(same)
	}
	var upd expression.UpdateBuilder
	changed := false
	add := func(name string, n int) {
		if n != 0 {
			upd, changed = upd.Add(dynamo.Attr(name), dynamo.Val(n)), true
		}
	}
	add("adminCount", c.admins)
	add("memberCount", c.members)
	for _, r := range slices.Sorted(maps.Keys(c.held)) {
		add(HeldPrefix+string(r), c.held[r])
	}
	for _, r := range slices.Sorted(maps.Keys(c.invited)) {
		add(InvitedPrefix+string(r), c.invited[r])
	}
	for _, name := range slices.Sorted(maps.Keys(c.Set)) {
		upd, changed = upd.Set(dynamo.Attr(name), dynamo.Val(c.Set[name])), true
	}
	onFail := &dynamo.Diagnosis{Why: c.why}
	k := dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta)
	if changed {
		t.Update(k, upd, cond, onFail)
	} else {
		t.Check(k, cond, onFail)
	}
	if n := len(t.Items); n > 0 && t.OnFail[n-1] == error(onFail) {
		it := &t.Items[n-1]
		if it.Update != nil {
			it.Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		} else {
			it.ConditionCheck.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
	}
}

// why tells which of c's conditions the org item as it was (nil: absent) failed.
func (c OrgChange) why(old map[string]types.AttributeValue) error {
	gone := c.Gone
	if gone == nil {
		gone = orgs.ErrOrgGone
	}
	if old == nil {
		return gone
	}
	var it OrgItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return err
	}
	o := it.Org()
	switch {
	case o.ID == "" || o.Deleted() || c.Shared && o.Kind != orgs.Shared:
		return gone
	case c.MembersCanInvite && !o.MembersCanInvite:
		if c.Closed != nil {
			return c.Closed
		}
		return invites.ErrMembersCanInviteOff
	case c.admins < 0 && o.AdminCount <= -c.admins:
		return orgs.ErrLastAdmin
	case c.Roles.Needed && o.RolesVersion != c.Roles.Version:
		return orgs.ErrRolesChanged
	}
	return gone
}
