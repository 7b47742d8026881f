// Package provisioningapi is the HTTP edge of provisioning: user properties, domains and auto-
// join, members created directly or imported from a spreadsheet, password resets and legacy
// support users: its routes (each a package-level Route that its function's main names), their
// handlers and replays, over the kernel of package httpapi.
package provisioningapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// The provisioning routes: user properties, domains and auto-join, users created directly,
// password resets and legacy support users. The org's property definitions and domains are
// on the org item, which the authorization step reads: a route acting on them needs no
// other read.
var (
	GetUserProperties = &httpapi.Route{
		Name: "get-user-properties", Method: "GET", Path: "/v1/orgs/{orgId}/user-properties", Auth: httpapi.JWT, Permission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "The org's user property definitions",
		Build:   buildGetUserProperties,
	}
	PutUserProperties = &httpapi.Route{
		Name: "put-user-properties", Method: "PUT", Path: "/v1/orgs/{orgId}/user-properties", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Replace the org's user property definitions",
		Build:   buildPutUserProperties,
	}
	ListDomains = &httpapi.Route{
		Name: "list-domains", Method: "GET", Path: "/v1/orgs/{orgId}/domains", Auth: httpapi.JWT, Permission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet},
		List:    httpapi.Whole,
		Summary: "The org's email domains",
		Build:   buildListDomains,
	}
	AddDomain = &httpapi.Route{
		Name: "add-domain", Method: "POST", Path: "/v1/orgs/{orgId}/domains", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions:     []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		MailDomains: true,
		Summary:     "Add a domain, pending, with the DNS TXT record that proves it",
		Build:       buildAddDomain,
	}
	VerifyDomain = &httpapi.Route{
		Name: "verify-domain", Method: "POST", Path: "/v1/orgs/{orgId}/domains/{domain}/verify", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		// A DNS verification of a domain held by email code elsewhere reads its guard (Get)
		// and the holder's org (BatchGet) before taking it.
		Actions:     []string{httpapi.DDBBatchGet, httpapi.DDBGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Keys:        []string{app.KeySealing},
		MailDomains: true,
		Summary:     "Verify a domain by its DNS TXT record, or by a code mailed to an address at it",
		Build:       buildVerifyDomain,
	}
	UpdateDomain = &httpapi.Route{
		Name: "update-domain", Method: "PATCH", Path: "/v1/orgs/{orgId}/domains/{domain}", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Make a verified domain the primary one",
		Build:   buildUpdateDomain,
	}
	RemoveDomain = &httpapi.Route{
		Name: "remove-domain", Method: "DELETE", Path: "/v1/orgs/{orgId}/domains/{domain}", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut, httpapi.DDBDelete},
		Summary: "Remove a domain; members stay",
		Build:   buildRemoveDomain,
	}
	SuggestedOrgs = &httpapi.Route{
		Name: "suggested-orgs", Method: "GET", Path: "/v1/me/suggested-orgs", Auth: httpapi.JWT,
		Actions: []string{httpapi.DDBGet, httpapi.DDBBatchGet},
		List:    httpapi.Whole,
		Summary: "Orgs the caller may join by their verified email's domain",
		Build:   buildSuggestedOrgs,
	}
	JoinOrg = &httpapi.Route{
		Name: "join-org", Method: "POST", Path: "/v1/orgs/{orgId}/join", Auth: httpapi.JWT, NotMember: true,
		Actions: []string{httpapi.DDBGet, httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBUpdate, httpapi.DDBCheck},
		Summary: "Join an org whose verified domain is the caller's and whose autoJoin is join",
		Build:   buildJoinOrg,
	}
	CreateMember = &httpapi.Route{
		Name: "create-member", Method: "POST", Path: "/v1/orgs/{orgId}/members", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Create a user directly and add them to the org",
		Build:      buildCreateMember,
		Replay:     replayCreateMember,
	}
	CreateMembersBulk = &httpapi.Route{
		Name: "create-members-bulk", Method: "POST", Path: "/v1/orgs/{orgId}/members/bulk", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Create up to 100 users; one result per user, in order",
		Build:      buildCreateMembersBulk,
		Replay:     httpapi.ReplayBulk,
	}
	ResetMemberPassword = &httpapi.Route{
		Name: "reset-member-password", Method: "POST", Path: "/v1/orgs/{orgId}/members/{userId}/password-reset", Auth: httpapi.JWT, Permission: roles.MembersManage,
		// The stream processor sets the password when it mails it (provisioning.ResetPassword).
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBCheck, httpapi.DDBPut, httpapi.DDBUpdate},
		Keys:    []string{app.KeySealing},
		Summary: "Mail a provisioned member a new temporary password",
		Build:   buildResetMemberPassword,
	}
	ListLegacyUsers = &httpapi.Route{
		Name: "list-legacy-users", Method: "GET", Path: "/v1/orgs/{orgId}/legacy-support-users", Auth: httpapi.JWT, Permission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The members migrated from the legacy support system",
		Build:   buildListLegacyUsers,
	}
	MigrateLegacyUsers = &httpapi.Route{
		Name: "migrate-legacy-users", Method: "POST", Path: "/v1/operator/orgs/{orgId}/legacy-support-users", Auth: httpapi.Operator,
		Provisions: true,
		Keys:       []string{app.KeySealing},
		Summary:    "Migrate up to 100 support-only users from the legacy system",
		Build:      buildMigrateLegacyUsers,
	}
	ImportMembers = &httpapi.Route{
		Name: "import-members", Method: "POST", Path: "/v1/orgs/{orgId}/members/import", Auth: httpapi.JWT, Permission: roles.MembersManage,
		// The check reads the org's email guards (never the directory: the dry run tells
		// nothing of accounts outside the org); the commit counts the rows' emails in the
		// org's budget. A repeated commit (Idempotency-Key) reads the first one's job (Query).
		Actions:      []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBUpdate, httpapi.DDBQuery},
		Spreadsheets: true, MaxBody: provisioning.MaxImportBytes,
		Summary: "Import members from a CSV or XLSX file: a dry run checks every row, a commit starts an import job",
		Build:   buildImportMembers,
		Replay:  replayImportMembers,
	}
	GetImport = &httpapi.Route{
		Name: "get-import", Method: "GET", Path: "/v1/orgs/{orgId}/members/imports/{importId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "An import job's progress and, when done, every row's result",
		Build:   buildGetImport,
	}
	ImportTemplate = &httpapi.Route{
		Name: "import-template", Method: "GET", Path: "/v1/orgs/{orgId}/members/import/template", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions:      []string{httpapi.DDBBatchGet},
		Spreadsheets: true,
		Summary:      "The import's template (?format=csv|xlsx) with the org's property keys",
		Build:        buildImportTemplate,
	}
)
