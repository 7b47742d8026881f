package app

import (
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
	"github.com/vendorportal/orgs/internal/scim"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The table's stores. Store is the kernel (the client and the table, with what every
// capability shares: transactions, the authorization step, limits, bulk responses); each
// capability has its own store over it, and a service gets only the stores it needs, so that
// a function's binary links the storage of its capabilities and no other.

// storeSlots are the table's stores.
type storeSlots struct {
	kernel       slot[*dynamo.Store]
	orgs         slot[*orgsdb.Store]
	account      slot[*accountdb.Store]
	members      slot[*membersdb.Store]
	invites      slot[*invitesdb.Store]
	roles        slot[*rolesdb.Store]
	events       slot[*eventsdb.Store]
	licensing    slot[*licensingdb.Store]
	tickets      slot[*ticketsdb.Store]
	webhooks     slot[*webhooksdb.Store]
	tokens       slot[*tokensdb.Store]
	scim         slot[*scimdb.Store]
	provisioning slot[*provisioningdb.Store]
	outbox       slot[*outboxdb.Store]
}

// Store returns the table's kernel store.
func (e *Env) Store() *dynamo.Store {
	return get(&e.stores.kernel, func() *dynamo.Store { return dynamo.New(e.DynamoDB(), e.Config.TableName) })
}

// OrgsStore returns the store of orgs (their settings, handles, deletion and purge).
func (e *Env) OrgsStore() *orgsdb.Store {
	return get(&e.stores.orgs, func() *orgsdb.Store { return orgsdb.New(e.Store()) })
}

// AccountStore returns the store of accounts (profile, email change, deletion).
func (e *Env) AccountStore() *accountdb.Store {
	return get(&e.stores.account, func() *accountdb.Store { return accountdb.New(e.Store()) })
}

// MembersStore returns the store of memberships.
func (e *Env) MembersStore() *membersdb.Store {
	return get(&e.stores.members, func() *membersdb.Store { return membersdb.New(e.Store()) })
}

// InvitesStore returns the store of invites.
func (e *Env) InvitesStore() *invitesdb.Store {
	return get(&e.stores.invites, func() *invitesdb.Store { return invitesdb.New(e.Store()) })
}

// RolesStore returns the store of custom roles.
func (e *Env) RolesStore() *rolesdb.Store {
	return get(&e.stores.roles, func() *rolesdb.Store { return rolesdb.New(e.Store()) })
}

// EventsStore returns the store of org event logs.
func (e *Env) EventsStore() *eventsdb.Store {
	return get(&e.stores.events, func() *eventsdb.Store { return eventsdb.New(e.Store()) })
}

// LicensingStore returns the store of products, licenses, seats and trials.
func (e *Env) LicensingStore() *licensingdb.Store {
	return get(&e.stores.licensing, func() *licensingdb.Store { return licensingdb.New(e.Store()) })
}

// TicketsStore returns the store of support tickets.
func (e *Env) TicketsStore() *ticketsdb.Store {
	return get(&e.stores.tickets, func() *ticketsdb.Store { return ticketsdb.New(e.Store()) })
}

// WebhooksStore returns the store of webhook endpoints and deliveries.
func (e *Env) WebhooksStore() *webhooksdb.Store {
	return get(&e.stores.webhooks, func() *webhooksdb.Store { return webhooksdb.New(e.Store()) })
}

// TokensStore returns the store of org tokens, personal tokens, device grants and
// entitlements.
func (e *Env) TokensStore() *tokensdb.Store {
	return get(&e.stores.tokens, func() *tokensdb.Store { return tokensdb.New(e.Store()) })
}

// SCIMStore returns the store of SCIM tokens and SCIM's member reads and writes.
func (e *Env) SCIMStore() *scimdb.Store {
	return get(&e.stores.scim, func() *scimdb.Store { return scimdb.New(e.Store()) })
}

// ProvisioningStore returns the store of provisioning (users, domains, imports).
func (e *Env) ProvisioningStore() *provisioningdb.Store {
	return get(&e.stores.provisioning, func() *provisioningdb.Store { return provisioningdb.New(e.Store()) })
}

// OutboxStore returns the store of the outbox.
func (e *Env) OutboxStore() *outboxdb.Store {
	return get(&e.stores.outbox, func() *outboxdb.Store { return outboxdb.New(e.Store()) })
}

// The domain Store interfaces that span two capabilities' stores get a composite of exactly
// those two.

// The stores a composite embeds, by the names it embeds them by.
type (
	orgsDB    = orgsdb.Store
	accountDB = accountdb.Store
	membersDB = membersdb.Store
	scimDB    = scimdb.Store
	tokensDB  = tokensdb.Store
)

// orgsStore is orgs.Store: orgs (with the authorization step) and accounts.
type orgsStore struct {
	*orgsDB
	*accountDB
}

var _ orgs.Store = orgsStore{}

func (e *Env) orgsStore() orgs.Store {
	return orgsStore{e.OrgsStore(), e.AccountStore()}
}

// scimStore is scim.Store: SCIM's own items and the member use cases it shares with the API.
type scimStore struct {
	*scimDB
	*membersDB
}

var _ scim.Store = scimStore{}

// signInStore is tokens.SignInStore: the account read and the events written.
type signInStore struct {
	*accountDB
	*tokensDB
}

var _ tokens.SignInStore = signInStore{}
