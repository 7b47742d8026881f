package orgsdb

import (
	"context"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// UpdateOrg implements orgs.Store.
func (s *Store) UpdateOrg(ctx context.Context, actor orgs.Member, before, after orgs.Org, ev audit.Event) error {
	t := s.Txn()
	if !t.UpdateDiff(NewOrgItem(before), NewOrgItem(after), dynamo.OrgLive(), ErrOrgChanged) {
		return nil
	}
	t.MemberStill(before.ID, actor)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// ChangeHandle implements orgs.Store.
func (s *Store) ChangeHandle(ctx context.Context, actor orgs.Member, before, after orgs.Org, ev audit.Event) error {
	t := s.Txn()
	t.MemberStill(before.ID, actor)
	t.PutNew(NewHandleItem(after.Handle, after.ID), orgs.ErrHandleTaken)
	t.Delete(dynamo.Key(dynamo.HandlePK(before.Handle), dynamo.SkHandle), OwnedBy(before.ID), ErrOrgChanged)
	t.UpdateDiff(NewOrgItem(before), NewOrgItem(after), dynamo.OrgLive(), ErrOrgChanged)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// DeleteOrg implements orgs.Store. The org item stays as the marker of the deletion: its
// GSI3 key files it under the day of deletion, where the scheduled job finds it to purge.
func (s *Store) DeleteOrg(ctx context.Context, actor orgs.Member, o orgs.Org, at time.Time, ev audit.Event) error {
	after := o
	after.DeletedAt = at
	t := s.Txn()
	t.MemberStill(o.ID, actor)
	// On condition that no one joined or left since the caller read the org: a deletion
	// decided on a count (an account deletion deletes an org it is the only member of) must
	// not take someone who just joined with it.
	t.UpdateDiff(NewOrgItem(o), NewOrgItem(after), dynamo.OrgLive().And(dynamo.Attr("memberCount").Equal(dynamo.Val(o.MemberCount))),
		apperr.New(apperr.Conflict, "the organization changed meanwhile (it was deleted, or someone joined or left); reload and try again"))
	t.Delete(dynamo.Key(dynamo.HandlePK(o.Handle), dynamo.SkHandle), OwnedBy(o.ID), ErrOrgChanged)
	// Its verified domains are free again too, as its handle is: a guard left to a deleted
	// org would keep every other org (the company's next one) from verifying the domain.
	for _, d := range o.Domains {
		if d.Status == orgs.DomainVerified {
			t.Delete(dynamo.Key(DomainPK(d.Name), SkDomain), dynamo.Absent().Or(OwnedBy(o.ID)), ErrOrgChanged)
		}
	}
	PurgeDay(t, at)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}
