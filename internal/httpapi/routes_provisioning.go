package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// The Cognito actions of creating users directly.
const (
	cognitoCreateUser  = "cognito-idp:AdminCreateUser"
	cognitoGetUser     = "cognito-idp:AdminGetUser"
	cognitoSetPassword = "cognito-idp:AdminSetUserPassword"
)

// provisionActions are what creating a user (account, membership, outbox) needs.
// A user it made for a write that was refused is deleted again.
var provisionActions = []string{ddbBatchGet, ddbGet, ddbPut, ddbUpdate, ddbCheck, cognitoCreateUser, cognitoGetUser, cognitoSetPassword, cognitoDeleteUser}

// The provisioning routes: user properties, domains and auto-join, users created directly,
// password resets and legacy support users. The org's property definitions and domains are
// on the org item, which the authorization step reads: a route acting on them needs no
// other read.
var (
	GetUserProperties = &Route{
		Name: "get-user-properties", Method: "GET", Path: "/v1/orgs/{orgId}/user-properties", Auth: JWT, Permission: roles.MembersRead,
		Actions: []string{ddbBatchGet},
		Summary: "The org's user property definitions",
		Build:   buildGetUserProperties,
	}
	PutUserProperties = &Route{
		Name: "put-user-properties", Method: "PUT", Path: "/v1/orgs/{orgId}/user-properties", Auth: JWT, Permission: roles.MembersManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Replace the org's user property definitions",
		Build:   buildPutUserProperties,
	}
	ListDomains = &Route{
		Name: "list-domains", Method: "GET", Path: "/v1/orgs/{orgId}/domains", Auth: JWT, Permission: roles.MembersRead,
		Actions: []string{ddbBatchGet},
		List:    Whole,
		Summary: "The org's email domains",
		Build:   buildListDomains,
	}
	AddDomain = &Route{
		Name: "add-domain", Method: "POST", Path: "/v1/orgs/{orgId}/domains", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Add a domain, pending, with the DNS TXT record that proves it",
		Build:   buildAddDomain,
	}
	VerifyDomain = &Route{
		Name: "verify-domain", Method: "POST", Path: "/v1/orgs/{orgId}/domains/{domain}/verify", Auth: JWT, Permission: roles.SettingsManage,
		// A DNS verification of a domain held by email code elsewhere reads its guard (Get)
		// and the holder's org (BatchGet) before taking it.
		Actions: []string{ddbBatchGet, ddbGet, ddbUpdate, ddbCheck, ddbPut},
		Keys:    []string{app.KeySealing},
		Summary: "Verify a domain by its DNS TXT record, or by a code mailed to an address at it",
		Build:   buildVerifyDomain,
	}
	UpdateDomain = &Route{
		Name: "update-domain", Method: "PATCH", Path: "/v1/orgs/{orgId}/domains/{domain}", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Make a verified domain the primary one",
		Build:   buildUpdateDomain,
	}
	RemoveDomain = &Route{
		Name: "remove-domain", Method: "DELETE", Path: "/v1/orgs/{orgId}/domains/{domain}", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut, ddbDelete},
		Summary: "Remove a domain; members stay",
		Build:   buildRemoveDomain,
	}
	SuggestedOrgs = &Route{
		Name: "suggested-orgs", Method: "GET", Path: "/v1/me/suggested-orgs", Auth: JWT,
		Actions: []string{ddbGet, ddbBatchGet},
		List:    Whole,
		Summary: "Orgs the caller may join by their verified email's domain",
		Build:   buildSuggestedOrgs,
	}
	JoinOrg = &Route{
		Name: "join-org", Method: "POST", Path: "/v1/orgs/{orgId}/join", Auth: JWT, NotMember: true,
		Actions: []string{ddbGet, ddbBatchGet, ddbPut, ddbUpdate, ddbCheck},
		Summary: "Join an org whose verified domain is the caller's and whose autoJoin is join",
		Build:   buildJoinOrg,
	}
	CreateMember = &Route{
		Name: "create-member", Method: "POST", Path: "/v1/orgs/{orgId}/members", Auth: JWT, Permission: roles.MembersManage,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Create a user directly and add them to the org",
		Build:      buildCreateMember,
		Replay:     replayCreateMember,
	}
	CreateMembersBulk = &Route{
		Name: "create-members-bulk", Method: "POST", Path: "/v1/orgs/{orgId}/members/bulk", Auth: JWT, Permission: roles.MembersManage,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Create up to 100 users; one result per user, in order",
		Build:      buildCreateMembersBulk,
		Replay:     replayBulk,
	}
	ResetMemberPassword = &Route{
		Name: "reset-member-password", Method: "POST", Path: "/v1/orgs/{orgId}/members/{userId}/password-reset", Auth: JWT, Permission: roles.MembersManage,
		// The stream processor sets the password when it mails it (provisioning.ResetPassword).
		Actions: []string{ddbBatchGet, ddbCheck, ddbPut, ddbUpdate},
		Keys:    []string{app.KeySealing},
		Summary: "Mail a provisioned member a new temporary password",
		Build:   buildResetMemberPassword,
	}
	ListLegacyUsers = &Route{
		Name: "list-legacy-users", Method: "GET", Path: "/v1/orgs/{orgId}/legacy-support-users", Auth: JWT, Permission: roles.MembersRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The members migrated from the legacy support system",
		Build:   buildListLegacyUsers,
	}
	MigrateLegacyUsers = &Route{
		Name: "migrate-legacy-users", Method: "POST", Path: "/v1/operator/orgs/{orgId}/legacy-support-users", Auth: Operator,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Migrate up to 100 support-only users from the legacy system",
		Build:      buildMigrateLegacyUsers,
	}
	ImportMembers = &Route{
		Name: "import-members", Method: "POST", Path: "/v1/orgs/{orgId}/members/import", Auth: JWT, Permission: roles.MembersManage,
		// The check reads the org's email guards (never the directory: the dry run tells
		// nothing of accounts outside the org); the commit counts the rows' emails in the
		// org's budget. A repeated commit (Idempotency-Key) reads the first one's job (Query).
		Actions:      []string{ddbBatchGet, ddbPut, ddbCheck, ddbUpdate, ddbQuery},
		Spreadsheets: true, MaxBody: provisioning.MaxImportBytes,
		Summary: "Import members from a CSV or XLSX file: a dry run checks every row, a commit starts an import job",
		Build:   buildImportMembers,
		Replay:  replayImportMembers,
	}
	GetImport = &Route{
		Name: "get-import", Method: "GET", Path: "/v1/orgs/{orgId}/members/imports/{importId}", Auth: JWT, Permission: roles.MembersManage,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "An import job's progress and, when done, every row's result",
		Build:   buildGetImport,
	}
	ImportTemplate = &Route{
		Name: "import-template", Method: "GET", Path: "/v1/orgs/{orgId}/members/import/template", Auth: JWT, Permission: roles.MembersManage,
		Actions:      []string{ddbBatchGet},
		Spreadsheets: true,
		Summary:      "The import's template (?format=csv|xlsx) with the org's property keys",
		Build:        buildImportTemplate,
	}
)
