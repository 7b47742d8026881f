// Package dynamotest is what the tests of the table's stores share: a store of every
// capability over one table, and seeding helpers. Only tests import it.
package dynamotest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/accountdb"
	"github.com/vendorportal/orgs/internal/dynamo/eventsdb"
	"github.com/vendorportal/orgs/internal/dynamo/invitesdb"
	"github.com/vendorportal/orgs/internal/dynamo/licensingdb"
	"github.com/vendorportal/orgs/internal/dynamo/membersdb"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/dynamo/outboxdb"
	"github.com/vendorportal/orgs/internal/dynamo/provisioningdb"
	"github.com/vendorportal/orgs/internal/dynamo/rolesdb"
	"github.com/vendorportal/orgs/internal/dynamo/scimdb"
	"github.com/vendorportal/orgs/internal/dynamo/ticketsdb"
	"github.com/vendorportal/orgs/internal/dynamo/tokensdb"
	"github.com/vendorportal/orgs/internal/dynamo/webhooksdb"
	"github.com/vendorportal/orgs/internal/orgs"
)

// The capability stores under the names Store embeds them by.
type (
	KernelDB       = dynamo.Store
	OrgsDB         = orgsdb.Store
	AccountDB      = accountdb.Store
	MembersDB      = membersdb.Store
	InvitesDB      = invitesdb.Store
	RolesDB        = rolesdb.Store
	EventsDB       = eventsdb.Store
	LicensingDB    = licensingdb.Store
	TicketsDB      = ticketsdb.Store
	WebhooksDB     = webhooksdb.Store
	TokensDB       = tokensdb.Store
	SCIMDB         = scimdb.Store
	ProvisioningDB = provisioningdb.Store
	OutboxDB       = outboxdb.Store
)

// Store is every capability's store over one table: what the tests of several capabilities
// at once use, where the services get each only their own.
type Store struct {
	*KernelDB
	*OrgsDB
	*AccountDB
	*MembersDB
	*InvitesDB
	*RolesDB
	*EventsDB
	*LicensingDB
	*TicketsDB
	*WebhooksDB
	*TokensDB
	*SCIMDB
	*ProvisioningDB
	*OutboxDB
}

// New returns the stores of every capability over the table.
func New(client *dynamodb.Client, table string) *Store {
	return Over(dynamo.New(client, table))
}

// Over returns the stores of every capability over the kernel k.
func Over(k *dynamo.Store) *Store {
	return &Store{
		k, orgsdb.New(k), accountdb.New(k), membersdb.New(k), invitesdb.New(k), rolesdb.New(k),
		eventsdb.New(k), licensingdb.New(k), ticketsdb.New(k), webhooksdb.New(k), tokensdb.New(k),
		scimdb.New(k), provisioningdb.New(k), outboxdb.New(k),
	}
}

// Access is orgsdb's (the kernel's authorization step).
func (s *Store) Access(ctx context.Context, orgID, userID string, subj orgs.Subject) (orgs.Access, error) {
	return s.OrgsDB.Access(ctx, orgID, userID, subj)
}

// Orgs is orgsdb's.
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	return s.OrgsDB.Orgs(ctx, ids)
}

// Org is licensingdb's (tokensdb's reads the same).
func (s *Store) Org(ctx context.Context, orgID string) (orgs.Org, error) {
	return s.LicensingDB.Org(ctx, orgID)
}
