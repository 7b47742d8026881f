package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// errOrgChanged: the org is no longer what the caller saw.
var errOrgChanged = apperr.New(apperr.Conflict, "the organization was changed or deleted meanwhile; reload and try again")

// UpdateOrg implements orgs.Store.
func (s *Store) UpdateOrg(ctx context.Context, before, after orgs.Org, ev audit.Event) error {
	t := s.txn()
	if !t.updateDiff(newOrgItem(before), newOrgItem(after), orgLive(), errOrgChanged) {
		return nil
	}
	t.event(ev)
	return t.run(ctx, s.Client)
}

// ChangeHandle implements orgs.Store.
func (s *Store) ChangeHandle(ctx context.Context, before, after orgs.Org, ev audit.Event) error {
	t := s.txn()
	t.putNew(newHandleItem(after.Handle, after.ID), orgs.ErrHandleTaken)
	t.delete(key(handlePK(before.Handle), skHandle), ownedBy(before.ID), errOrgChanged)
	t.updateDiff(newOrgItem(before), newOrgItem(after), orgLive(), errOrgChanged)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// ownedBy is the condition that a handle guard belongs to the org.
func ownedBy(orgID string) expression.ConditionBuilder {
	return expression.Name("orgId").Equal(expression.Value(orgID))
}

// DeleteOrg implements orgs.Store. The org item stays as the marker of the deletion: its
// GSI3 key files it under the day of deletion, where the scheduled job finds it to purge.
func (s *Store) DeleteOrg(ctx context.Context, o orgs.Org, at time.Time, ev audit.Event) error {
	after := o
	after.DeletedAt = at
	t := s.txn()
	t.updateDiff(newOrgItem(o), newOrgItem(after), orgLive(), apperr.New(apperr.NotFound, "organization not found"))
	t.delete(key(handlePK(o.Handle), skHandle), ownedBy(o.ID), errOrgChanged)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// purgeShard is the GSI3 partition of the orgs deleted on day at.
func purgeShard(at time.Time) string { return "PURGE#" + at.UTC().Format(time.DateOnly) }
