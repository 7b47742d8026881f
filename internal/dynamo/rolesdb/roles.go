package rolesdb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
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

// WriteRoles implements customroles.Store.
func (s *Store) WriteRoles(ctx context.Context, w customroles.Write) error {
	t := s.Txn()
	next := w.Version + 1
	upd := expression.Set(dynamo.Attr("rolesVersion"), dynamo.Val(next))
	if items := orgsdb.CustomRoleItems(w.After); len(items) > 0 {
		upd = upd.Set(dynamo.Attr("customRoles"), dynamo.Val(items))
	} else {
		upd = upd.Remove(dynamo.Attr("customRoles"))
	}
	cond := dynamo.OrgLive().And(orgsdb.RolesAt(w.Version))
	if w.Deleted != "" {
		held, invited := orgsdb.HeldPrefix+string(w.Deleted), orgsdb.InvitedPrefix+string(w.Deleted)
		unused := func(name string) expression.ConditionBuilder {
			return expression.AttributeNotExists(dynamo.Attr(name)).Or(dynamo.Attr(name).Equal(dynamo.Val(0)))
		}
		cond = cond.And(unused(held), unused(invited))
		upd = upd.Remove(dynamo.Attr(held)).Remove(dynamo.Attr(invited))
	}
	onFail := &dynamo.Diagnosis{Why: func(old map[string]types.AttributeValue) error {
		if old == nil {
			return orgs.ErrOrgGone
		}
		var it orgsdb.OrgItem
		if err := attributevalue.UnmarshalMap(old, &it); err != nil {
			return err
		}
		o := it.Org()
		switch {
		case o.ID == "" || o.Deleted():
			return orgs.ErrOrgGone
		case o.RolesVersion != w.Version:
			return orgs.ErrRolesChanged
		}
		return customroles.ErrRoleInUse
	}}
	t.Update(dynamo.Key(dynamo.OrgPK(w.OrgID), dynamo.SkMeta), upd, cond, onFail)
	if n := len(t.Items); n > 0 && t.Items[n-1].Update != nil {
		t.Items[n-1].Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	t.MemberStill(w.OrgID, w.Actor)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}
