package orgsdb

import (
	"context"
	"fmt"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// CreateOrg implements orgs.Store: the org, its handle, its creator's membership (with the
// creator's account on their first call) and its event.
func (s *Store) CreateOrg(ctx context.Context, o orgs.Org, creator orgs.Member, ev audit.Event, account *orgs.NewAccount) error {
	t := s.Txn()
	Membership(t, creator, o.Kind, account, orgs.ErrAccountDeleted, fmt.Errorf("member %s of %s exists", creator.UserID, o.ID))
	t.PutNew(NewHandleItem(o.Handle, o.ID), orgs.ErrHandleTaken)
	t.PutNew(NewOrgItem(o), fmt.Errorf("org %s exists", o.ID))
	t.Event(ev)
	return t.Run(ctx, s.Client)
}
