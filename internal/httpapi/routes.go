package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"slices"

	"github.com/vendorportal/orgs/internal/roles"
)

// IAM actions on the table, named once so that routes list what they do.
const (
	ddbGet        = "dynamodb:GetItem"
	ddbBatchGet   = "dynamodb:BatchGetItem"
	ddbQuery      = "dynamodb:Query"
	ddbPut        = "dynamodb:PutItem"
	ddbUpdate     = "dynamodb:UpdateItem"
	ddbDelete     = "dynamodb:DeleteItem"
	ddbCheck      = "dynamodb:ConditionCheckItem"
	ddbBatchWrite = "dynamodb:BatchWriteItem"

	cognitoUpdateAttributes = "cognito-idp:AdminUpdateUserAttributes"
	cognitoDeleteUser       = "cognito-idp:AdminDeleteUser"
)

// accountActions are what reading the caller's account (orgs.Service.Account) may need: the
// Query of it; on first sight the transaction that puts its items on condition that no
// tombstone of a deleted account is there (a ConditionCheck); and when the identity
// provider's address changed, the transaction that catches the profile and its copies on
// the memberships up (updates, and a put and a delete of the email guards).
var accountActions = []string{ddbQuery, ddbBatchGet, ddbPut, ddbCheck, ddbUpdate, ddbDelete}

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
		ReadsAccount: true,
		Summary:      "The caller's profile and orgs; the first call creates the personal account",
		Build:        buildGetMe,
	}
	CreateOrg = &Route{
		Name: "create-org", Method: "POST", Path: "/v1/orgs", Auth: JWT,
		// The account's items on first sight, else an update of the profile's joins, on
		// which the account's deletion is conditioned.
		ReadsAccount: true,
		Summary:      "Create a shared organization; the caller becomes its admin",
		Build:        buildCreateOrg,
		Replay:       replayCreateOrg,
	}
	ListOrgs = &Route{
		Name: "list-orgs", Method: "GET", Path: "/v1/orgs", Auth: JWT,
		ReadsAccount: true,
		Keys:         []string{app.KeyCursors},
		List:         Paged,
		Summary:      "The caller's organizations, personal first",
		Build:        buildListOrgs,
	}
	GetOrg = &Route{
		Name: "get-org", Method: "GET", Path: "/v1/orgs/{orgId}", Auth: JWT, Permission: roles.OrgRead,
		Actions: []string{ddbBatchGet},
		Summary: "One organization, with the caller's role",
		Build:   buildGetOrg,
	}
	UpdateOrg = &Route{
		Name: "update-org", Method: "PATCH", Path: "/v1/orgs/{orgId}", Auth: JWT,
		Permission: roles.SettingsManage, OrPermission: roles.BillingManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck},
		Summary: "Change the organization's settings (billing admins: billing contacts only)",
		Build:   buildUpdateOrg,
	}
	ChangeHandle = &Route{
		Name: "change-handle", Method: "PUT", Path: "/v1/orgs/{orgId}/handle", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbDelete, ddbCheck},
		Summary: "Give the organization a new handle; the old one is free again",
		Build:   buildChangeHandle,
	}
	DeleteOrg = &Route{
		Name: "delete-org", Method: "DELETE", Path: "/v1/orgs/{orgId}", Auth: JWT, Permission: roles.OrgDelete,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbDelete, ddbCheck},
		Summary: "Delete the organization (?confirm=<handle>)",
		Build:   buildDeleteOrg,
	}
	UpdateMe = &Route{
		Name: "update-me", Method: "PATCH", Path: "/v1/me", Auth: JWT,
		ReadsAccount: true,
		Summary:      "Change the caller's name and phone",
		Build:        buildUpdateMe,
	}
	RequestEmailChange = &Route{
		Name: "request-email-change", Method: "POST", Path: "/v1/me/email", Auth: JWT,
		ReadsAccount: true,
		Summary:      "Start a change of the caller's email: a confirmation link goes to the new address",
		Build:        buildRequestEmailChange,
	}
	ConfirmEmailChange = &Route{
		Name: "confirm-email-change", Method: "POST", Path: "/v1/me/email/confirm", Auth: JWT,
		ReadsAccount: true, Actions: []string{cognitoUpdateAttributes},
		Summary: "Complete the email change with the token from the link",
		Build:   buildConfirmEmailChange,
	}
	DeleteMe = &Route{
		Name: "delete-me", Method: "DELETE", Path: "/v1/me", Auth: JWT,
		ReadsAccount: true, Actions: []string{ddbBatchWrite, cognitoDeleteUser},
		Summary: "Delete the caller's account: identity, profile, personal account, memberships",
		Build:   buildDeleteMe,
	}
	ListEvents = &Route{
		Name: "list-events", Method: "GET", Path: "/v1/orgs/{orgId}/events", Auth: JWT, Permission: roles.EventsRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
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

// The member and invite routes. A route acting on a member or an invite reads it in the
// authorization step's round trip (orgs.Subject), so that its write follows at once.
var (
	ListMembers = &Route{
		Name: "list-members", Method: "GET", Path: "/v1/orgs/{orgId}/members", Auth: JWT, Permission: roles.MembersRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The org's members, filtered by role and by a prefix of the email or name",
		Build:   buildListMembers,
	}
	UpdateMember = &Route{
		Name: "update-member", Method: "PATCH", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: JWT, Permission: roles.MembersManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Change a member's role or properties",
		Build:   buildUpdateMember,
	}
	RemoveMember = &Route{
		Name: "remove-member", Method: "DELETE", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: JWT, Permission: roles.MembersManage,
		SelfAllowed: true,
		Actions:     []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbCheck, ddbPut},
		Summary:     "Remove a member, or leave the org (any member may remove themself)",
		Build:       buildRemoveMember,
	}
	ListInvites = &Route{
		Name: "list-invites", Method: "GET", Path: "/v1/orgs/{orgId}/invites", Auth: JWT, Permission: roles.InvitesRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The org's invites by status (pending by default)",
		Build:   buildListInvites,
	}
	CreateInvite = &Route{
		Name: "create-invite", Method: "POST", Path: "/v1/orgs/{orgId}/invites", Auth: JWT, Permission: roles.InvitesCreate,
		Actions: []string{ddbBatchGet, ddbPut, ddbCheck, ddbUpdate},
		Summary: "Invite someone by email; the email (through the outbox) carries the accept link",
		Build:   buildCreateInvite,
		Replay:  replayCreateInvite,
	}
	CreateInvitesBulk = &Route{
		Name: "create-invites-bulk", Method: "POST", Path: "/v1/orgs/{orgId}/invites/bulk", Auth: JWT, Permission: roles.InvitesCreate,
		Actions: []string{ddbBatchGet, ddbGet, ddbPut, ddbCheck, ddbUpdate},
		Summary: "Invite up to 100 people; one result per invite, in order; the emails leave through the outbox",
		Build:   buildCreateInvitesBulk,
		Replay:  replayBulk,
	}
	ResendInvite = &Route{
		Name: "resend-invite", Method: "POST", Path: "/v1/orgs/{orgId}/invites/{inviteId}/resend", Auth: JWT, Permission: roles.InvitesManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbDelete, ddbPut, ddbCheck},
		Summary: "Send a pending invite again with a new link; its 7 days start again",
		Reads:   readInvite,
		Build:   buildResendInvite,
	}
	RevokeInvite = &Route{
		Name: "revoke-invite", Method: "DELETE", Path: "/v1/orgs/{orgId}/invites/{inviteId}", Auth: JWT, Permission: roles.InvitesManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbDelete, ddbCheck, ddbPut},
		Summary: "Revoke a pending invite",
		Reads:   readInvite,
		Build:   buildRevokeInvite,
	}
	PreviewInvite = &Route{
		Name: "preview-invite", Method: "GET", Path: "/v1/invites/{token}", Auth: Public,
		Actions: []string{ddbGet, ddbBatchGet},
		Summary: "What an invite link is for: org, role, inviter, expiry and status",
		Build:   buildPreviewInvite,
	}
	AcceptInvite = &Route{
		Name: "accept-invite", Method: "POST", Path: "/v1/invites/accept", Auth: JWT,
		// The caller's account comes with the membership on first sight, or is caught up
		// with the identity provider's address first (accountActions).
		ReadsAccount: true,
		Summary:      "Accept an invite as the signed-in user whose verified email it was sent to",
		Build:        buildAcceptInvite,
	}
)

// Routes returns the route table: the core routes, then each capability's list. It is a
// function, not a package-level slice, so that no function's binary links it: a slice built
// at init would reach every route's Build, and with them every handler, domain package and
// client of the service, into each function (package size and cold start, see
// infra/coldstart). A function's main names its own route only.
func Routes() []*Route {
	return slices.Concat(coreRoutes,
		ticketRoutes,
		oidcRoutes,
		scimRoutes,
		licensingRoutes,
		webhookRoutes,
		tokenRoutes,
		rolesRoutes,
	)
}

var coreRoutes = []*Route{
	GetConfig, GetMe, CreateOrg, ListOrgs, GetOrg,
	UpdateOrg, ChangeHandle, DeleteOrg,
	UpdateMe, RequestEmailChange, ConfirmEmailChange, DeleteMe,
	ListEvents, GetEvent, ExportEvents,
	ListMembers, UpdateMember, RemoveMember,
	ListInvites, CreateInvite, CreateInvitesBulk, ResendInvite, RevokeInvite, PreviewInvite, AcceptInvite,
	GetUserProperties, PutUserProperties, ListDomains, AddDomain, VerifyDomain, UpdateDomain, RemoveDomain, SuggestedOrgs, JoinOrg, CreateMember, CreateMembersBulk, ResetMemberPassword, ListLegacyUsers, MigrateLegacyUsers, ImportMembers, GetImport, ImportTemplate,
}
