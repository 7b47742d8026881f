package webhooksdb

import "github.com/vendorportal/orgs/internal/dynamo"

// Store reads and writes the table's items of this capability.
type Store struct{ *dynamo.Store }

// New returns the capability's store on the kernel's table.
func New(k *dynamo.Store) *Store {
	webhookReads(k)
	return &Store{k}
}
