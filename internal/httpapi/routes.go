package httpapi

import "github.com/vendorportal/orgs/internal/roles"

// IAM actions on the table, named once so that routes list what they do.
const (
	ddbGet      = "dynamodb:GetItem"
	ddbBatchGet = "dynamodb:BatchGetItem"
	ddbQuery    = "dynamodb:Query"
	ddbPut      = "dynamodb:PutItem"
	ddbUpdate   = "dynamodb:UpdateItem"
	ddbDelete   = "dynamodb:DeleteItem"
	ddbCheck    = "dynamodb:ConditionCheckItem"
)

// accountActions are what creating a user's account on first sight needs.
var accountActions = []string{ddbQuery, ddbBatchGet, ddbPut}

// The routes. Each is a package-level value so that a function's main can name its own route
// and link nothing else; Routes lists them all for the CDK stack, the local gateway and tests.
var (
	GetConfig = &Route{
		Name: "get-config", Method: "GET", Path: "/v1/config", Auth: Public,
		Summary: "What a frontend needs to sign users in",
		Build:   buildGetConfig,
	}
	GetMe = &Route{
		Name: "get-me", Method: "GET", Path: "/v1/me", Auth: JWT,
		Actions: accountActions,
		Summary: "The caller's profile and orgs; the first call creates the personal account",
		Build:   buildGetMe,
	}
	CreateOrg = &Route{
		Name: "create-org", Method: "POST", Path: "/v1/orgs", Auth: JWT,
		Actions: accountActions,
		Summary: "Create a shared organization; the caller becomes its admin",
		Build:   buildCreateOrg,
	}
	ListOrgs = &Route{
		Name: "list-orgs", Method: "GET", Path: "/v1/orgs", Auth: JWT,
		Actions: accountActions,
		Summary: "The caller's organizations, personal first",
		Build:   buildListOrgs,
	}
	GetOrg = &Route{
		Name: "get-org", Method: "GET", Path: "/v1/orgs/{orgId}", Auth: JWT, Permission: roles.OrgRead,
		Actions: []string{ddbBatchGet},
		Summary: "One organization, with the caller's role",
		Build:   buildGetOrg,
	}
	ListEvents = &Route{
		Name: "list-events", Method: "GET", Path: "/v1/orgs/{orgId}/events", Auth: JWT, Permission: roles.EventsRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "The org's event log, newest first, filtered by category, time and text",
		Build:   buildListEvents,
	}
	GetEvent = &Route{
		Name: "get-event", Method: "GET", Path: "/v1/orgs/{orgId}/events/{eventId}", Auth: JWT, Permission: roles.EventsRead,
		Actions: []string{ddbBatchGet, ddbGet},
		Summary: "One event of the org's log, with its details",
		Build:   buildGetEvent,
	}
	ExportEvents = &Route{
		Name: "export-events", Method: "GET", Path: "/v1/orgs/{orgId}/events/export", Auth: JWT, Permission: roles.EventsRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "The org's event log as CSV, with the list's filters",
		Build:   buildExportEvents,
	}
)

// Routes is the route table.
var Routes = []*Route{GetConfig, GetMe, CreateOrg, ListOrgs, GetOrg, ListEvents, GetEvent, ExportEvents}
