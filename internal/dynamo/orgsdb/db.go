package orgsdb

import (
	"context"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Store reads and writes the table's items of this capability.
type Store struct{ *dynamo.Store }

// New returns the capability's store on the kernel's table.
func New(k *dynamo.Store) *Store { return &Store{k} }

// Access implements orgs.Store: the kernel's authorization step (dynamo.Store.Access).
func (s *Store) Access(ctx context.Context, orgID, userID string, subj orgs.Subject) (orgs.Access, error) {
	return s.Store.Access(ctx, orgID, userID, subj)
}

// Orgs implements orgs.Store: the kernel's read of orgs by id (dynamo.Store.Orgs).
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	return s.Store.Orgs(ctx, ids)
}
