package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Custom roles live on the org item, so that the authorization step's one read of it learns
// the caller's permissions whatever their role:
//
//	ORG#<orgId>  META  customRoles     map of role id → {name, description, permissions,
//	                                   tokensSince: when the role last lost products.access}
//	                   rolesVersion    counts the changes of customRoles; every write of
//	                                   customRoles, and every write decided on a custom role
//	                                   (orgs.RolesCheck), holds only while it is as read
//	                   held#<roleId>   members holding the role (not for admin: adminCount)
//	                   invited#<roleId>  pending invites for the role
//
// The counts are top-level attributes, one per role, because ADD works on top-level
// attributes only and a nested SET would need the map to exist already. Every transaction
// that gives or takes a role moves them (orgChange); a custom role is deleted on condition
// that both of its counts are 0, so the check is a condition, not a scan. The built-ins'
// counts start at 0 for orgs created before they were kept.

var _ customroles.Store = (*Store)(nil)

const (
	heldPrefix    = "held#"
	invitedPrefix = "invited#"
)

type customRoleItem struct {
	Name        string   `dynamodbav:"name"`
	Description string   `dynamodbav:"description,omitempty"`
	Permissions []string `dynamodbav:"permissions"`
	// TokensSince: roles.Definition.TokensSince; absent while zero (the encoder writes a
	// zero time.Time, omitempty or not, and a sign-in's condition asks for its absence).
	TokensSince *time.Time `dynamodbav:"tokensSince,omitempty"`
}

func customRoleItems(defs []roles.Definition) map[string]customRoleItem {
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
func (it *orgItem) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("org item: want a map, got %T", av)
	}
	type plain orgItem // without this method
	var p plain
	if err := attributevalue.UnmarshalMap(m.Value, &p); err != nil {
		return err
	}
	*it = orgItem(p)
	it.holders = holderCounts{members: map[roles.Role]int{}, invites: map[roles.Role]int{}}
	for name, v := range m.Value {
		var n int
		switch {
		case strings.HasPrefix(name, heldPrefix):
			if err := attributevalue.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("org item %s: %w", name, err)
			}
			it.holders.members[roles.Role(strings.TrimPrefix(name, heldPrefix))] = n
		case strings.HasPrefix(name, invitedPrefix):
			if err := attributevalue.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("org item %s: %w", name, err)
			}
			it.holders.invites[roles.Role(strings.TrimPrefix(name, invitedPrefix))] = n
		}
	}
	it.holders.members[roles.Admin] = it.AdminCount
	return nil
}

// orgChange is everything one transaction does to the org item, gathered so that the item is
// written once (a transaction may name an item only once): counter moves and the conditions
// the write needs.
type orgChange struct {
	// admins and members add to adminCount and memberCount.
	admins, members int
	// held and invited add to the roles' holder counts.
	held, invited map[roles.Role]int
	// shared: the org must be a shared one; membersCanInvite: it must still let members
	// invite.
	shared, membersCanInvite bool
	// roles: the custom roles must still be as read.
	roles orgs.RolesCheck
	// gone is the error when the org is absent, deleted or not shared (default ErrOrgGone).
	gone error
	// closed is the error when membersCanInvite is asked for and off (default
	// ErrMembersCanInviteOff).
	closed error
	// set are attributes the write sets on the org item besides the counters (the
	// authentication reset's time).
	set map[string]any
	// resetAsRead, when set, is the org's last authentication reset as the request read it:
	// the write holds only if no reset happened since (a credential made by a request that
	// began before a reset must not outlive it).
	resetAsRead *time.Time
}

// give counts a member who now holds their role (n = 1) or no longer does (n = -1). The
// admin count is the admins who can act (orgs.Member.CountsAsAdmin): a suspended admin holds
// the role but is not counted, so the last-admin condition holds for suspension too. Admin's
// holders are that count only (no held# attribute).
func (c *orgChange) give(m orgs.Member, n int) {
	c.members += n
	if m.CountsAsAdmin() {
		c.admins += n
	}
	if m.Role != roles.Admin {
		c.held = addCount(c.held, m.Role, n)
	}
}

// move counts a member who changes from before to after (role, status or both).
func (c *orgChange) move(before, after orgs.Member) {
	if before.Role == after.Role && before.CountsAsAdmin() == after.CountsAsAdmin() {
		return
	}
	c.give(before, -1)
	c.give(after, +1)
}

// invite counts a pending invite for role r that comes (n = 1) or goes (n = -1).
func (c *orgChange) invite(r roles.Role, n int) { c.invited = addCount(c.invited, r, n) }

func addCount(m map[roles.Role]int, r roles.Role, n int) map[roles.Role]int {
	if m == nil {
		m = map[roles.Role]int{}
	}
	m[r] += n
	return m
}

// rolesAt holds while the org's custom roles are at version v.
func rolesAt(v int) expression.ConditionBuilder {
	if v == 0 {
		return expression.AttributeNotExists(attr("rolesVersion")).Or(attr("rolesVersion").Equal(val(0)))
	}
	return attr("rolesVersion").Equal(val(v))
}

// orgItem adds c's write of the org item: an update when a counter moves, a condition check
// otherwise. A failed condition is told apart by the item as it was (returned with the
// cancellation): org gone, not shared, membersCanInvite off, last admin, roles changed.
func (t *txn) orgItem(orgID string, c orgChange) {
	cond := orgLive()
	if c.shared {
		cond = cond.And(attr("kind").Equal(val(string(orgs.Shared))))
	}
	if c.membersCanInvite {
		cond = cond.And(attr("membersCanInvite").Equal(val(true)))
	}
	if c.admins < 0 {
		cond = cond.And(attr("adminCount").GreaterThan(val(-c.admins)))
	}
	if c.roles.Needed {
		cond = cond.And(rolesAt(c.roles.Version))
	}
	if c.resetAsRead != nil {
		same := attr("authResetAt").Equal(val(*c.resetAsRead))
		if c.resetAsRead.IsZero() {
			same = expression.AttributeNotExists(attr("authResetAt")).Or(same)
		}
		cond = cond.And(same)
	}
	var upd expression.UpdateBuilder
	changed := false
	add := func(name string, n int) {
		if n != 0 {
			upd, changed = upd.Add(attr(name), val(n)), true
		}
	}
	add("adminCount", c.admins)
	add("memberCount", c.members)
	for _, r := range slices.Sorted(maps.Keys(c.held)) {
		add(heldPrefix+string(r), c.held[r])
	}
	for _, r := range slices.Sorted(maps.Keys(c.invited)) {
		add(invitedPrefix+string(r), c.invited[r])
	}
	for _, name := range slices.Sorted(maps.Keys(c.set)) {
		upd, changed = upd.Set(attr(name), val(c.set[name])), true
	}
	onFail := &diagnosis{why: c.why}
	k := key(orgPK(orgID), skMeta)
	if changed {
		t.update(k, upd, cond, onFail)
	} else {
		t.check(k, cond, onFail)
	}
	if n := len(t.items); n > 0 && t.onFail[n-1] == error(onFail) {
		it := &t.items[n-1]
		if it.Update != nil {
			it.Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		} else {
			it.ConditionCheck.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
	}
}

// why tells which of c's conditions the org item as it was (nil: absent) failed.
func (c orgChange) why(old map[string]types.AttributeValue) error {
	gone := c.gone
	if gone == nil {
		gone = orgs.ErrOrgGone
	}
	if old == nil {
		return gone
	}
	var it orgItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return err
	}
	o := it.org()
	switch {
	case o.ID == "" || o.Deleted() || c.shared && o.Kind != orgs.Shared:
		return gone
	case c.membersCanInvite && !o.MembersCanInvite:
		if c.closed != nil {
			return c.closed
		}
		return invites.ErrMembersCanInviteOff
	case c.admins < 0 && o.AdminCount <= -c.admins:
		return orgs.ErrLastAdmin
	case c.roles.Needed && o.RolesVersion != c.roles.Version:
		return orgs.ErrRolesChanged
	}
	return gone
}

// diagnosis is an onFail that decides the error from the item as it was.
type diagnosis struct {
	why func(old map[string]types.AttributeValue) error
}

func (d *diagnosis) Error() string { return "the condition on the item failed" }

// WriteRoles implements customroles.Store.
func (s *Store) WriteRoles(ctx context.Context, w customroles.Write) error {
	t := s.txn()
	next := w.Version + 1
	upd := expression.Set(attr("rolesVersion"), val(next))
	if items := customRoleItems(w.After); len(items) > 0 {
		upd = upd.Set(attr("customRoles"), val(items))
	} else {
		upd = upd.Remove(attr("customRoles"))
	}
	cond := orgLive().And(rolesAt(w.Version))
	if w.Deleted != "" {
		held, invited := heldPrefix+string(w.Deleted), invitedPrefix+string(w.Deleted)
		unused := func(name string) expression.ConditionBuilder {
			return expression.AttributeNotExists(attr(name)).Or(attr(name).Equal(val(0)))
		}
		cond = cond.And(unused(held), unused(invited))
		upd = upd.Remove(attr(held)).Remove(attr(invited))
	}
	onFail := &diagnosis{why: func(old map[string]types.AttributeValue) error {
		if old == nil {
			return orgs.ErrOrgGone
		}
		var it orgItem
		if err := attributevalue.UnmarshalMap(old, &it); err != nil {
			return err
		}
		o := it.org()
		switch {
		case o.ID == "" || o.Deleted():
			return orgs.ErrOrgGone
		case o.RolesVersion != w.Version:
			return orgs.ErrRolesChanged
		}
		return customroles.ErrRoleInUse
	}}
	t.update(key(orgPK(w.OrgID), skMeta), upd, cond, onFail)
	if n := len(t.items); n > 0 && t.items[n-1].Update != nil {
		t.items[n-1].Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	t.memberStill(w.OrgID, w.Actor)
	t.event(w.Event)
	return t.run(ctx, s.Client)
}
