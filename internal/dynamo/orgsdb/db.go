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

// Orgs implements orgs.Store: the kernel's read of orgs by id (dynamo.Store.Orgs).
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	return s.Store.Orgs(ctx, ids)
}
