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
func (s *Store) UpdateOrg(ctx context.Context, actor orgs.Member, before, after orgs.Org, ev audit.Event) error {
	t := s.txn()
	if !t.updateDiff(newOrgItem(before), newOrgItem(after), orgLive(), errOrgChanged) {
		return nil
	}
	t.memberStill(before.ID, actor)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// ChangeHandle implements orgs.Store.
func (s *Store) ChangeHandle(ctx context.Context, actor orgs.Member, before, after orgs.Org, ev audit.Event) error {
	t := s.txn()
	t.memberStill(before.ID, actor)
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
func (s *Store) DeleteOrg(ctx context.Context, actor orgs.Member, o orgs.Org, at time.Time, ev audit.Event) error {
	after := o
	after.DeletedAt = at
	t := s.txn()
	t.memberStill(o.ID, actor)
	// On condition that no one joined or left since the caller read the org: a deletion
	// decided on a count (an account deletion deletes an org it is the only member of) must
	// not take someone who just joined with it.
	t.updateDiff(newOrgItem(o), newOrgItem(after), orgLive().And(attr("memberCount").Equal(val(o.MemberCount))),
		apperr.New(apperr.Conflict, "the organization changed meanwhile (it was deleted, or someone joined or left); reload and try again"))
	t.delete(key(handlePK(o.Handle), skHandle), ownedBy(o.ID), errOrgChanged)
	// Its verified domains are free again too, as its handle is: a guard left to a deleted
	// org would keep every other org (the company's next one) from verifying the domain.
	for _, d := range o.Domains {
		if d.Status == orgs.DomainVerified {
			t.delete(key(domainPK(d.Name), skDomain), absent().Or(ownedBy(o.ID)), errOrgChanged)
		}
	}
	t.purgeDay(at)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// purgeShard is the GSI3 partition of the orgs deleted on day at.
func purgeShard(at time.Time) string { return "PURGE#" + at.UTC().Format(time.DateOnly) }
