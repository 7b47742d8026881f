// Package scimapi is the HTTP edge of SCIM 2.0 provisioning by an identity provider, and the
// org's SCIM token: its routes (each a package-level Route that its function's main names),
// their handlers and replays, over the kernel of package httpapi.
package scimapi

import (
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The SCIM routes: the org's SCIM token, managed in the portal, and the SCIM 2.0 API that an
// identity provider calls with it.
var (
	CreateSCIMToken = &httpapi.Route{
		Name: "create-scim-token", Method: "POST", Path: "/v1/orgs/{orgId}/scim/token", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck},
		Summary: "Make the org's SCIM token (shown once); the previous one stops working",
		Build:   buildCreateSCIMToken,
	}
	RevokeSCIMToken = &httpapi.Route{
		Name: "revoke-scim-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/scim/token", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBPut, httpapi.DDBCheck},
		Summary: "Revoke the org's SCIM token",
		Build:   buildRevokeSCIMToken,
	}
	SCIMServiceProviderConfig = &httpapi.Route{
		Name: "scim-service-provider-config", Method: "GET", Path: "/v1/scim/v2/ServiceProviderConfig", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "SCIM: what this service provider supports",
		Build:   buildSCIMServiceProviderConfig,
	}
	SCIMResourceTypes = &httpapi.Route{
		Name: "scim-resource-types", Method: "GET", Path: "/v1/scim/v2/ResourceTypes", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "SCIM: the resource types (User, Group)",
		Build:   buildSCIMResourceTypes,
	}
	SCIMSchemas = &httpapi.Route{
		Name: "scim-schemas", Method: "GET", Path: "/v1/scim/v2/Schemas", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "SCIM: the User and Group schemas",
		Build:   buildSCIMSchemas,
	}
	SCIMResourceType = &httpapi.Route{
		Name: "scim-resource-type", Method: "GET", Path: "/v1/scim/v2/ResourceTypes/{name}", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet},
		Params:  []httpapi.NamedParam{{Name: "name", Param: httpapi.Param{Kind: "SCIM resource type", Valid: isSCIMDiscoveryID}}},
		Summary: "SCIM: one resource type (User or Group), where the list's meta.location points",
		Build:   buildSCIMResourceType,
	}
	SCIMSchema = &httpapi.Route{
		Name: "scim-schema", Method: "GET", Path: "/v1/scim/v2/Schemas/{uri}", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet},
		Params:  []httpapi.NamedParam{{Name: "uri", Param: httpapi.Param{Kind: "SCIM schema URI", Valid: isSCIMDiscoveryID}}},
		Summary: "SCIM: one schema by its URI, where the list's meta.location points",
		Build:   buildSCIMSchema,
	}
	SCIMListUsers = &httpapi.Route{
		Name: "scim-list-users", Method: "GET", Path: "/v1/scim/v2/Users", Auth: httpapi.SCIM,
		Reads:   readFilterUser,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "SCIM: the org's members as users, filtered by userName, externalId or email",
		Build:   buildSCIMListUsers,
	}
	SCIMCreateUser = &httpapi.Route{
		Name: "scim-create-user", Method: "POST", Path: "/v1/scim/v2/Users", Auth: httpapi.SCIM,
		Provisions: true,
		// The credentials email is sealed with the server's secret.
		Keys:    []string{app.KeySealing},
		Summary: "SCIM: create a member, as a direct creation does (source scim)",
		Build:   buildScimCreateUser,
	}
	SCIMGetUser = &httpapi.Route{
		Name: "scim-get-user", Method: "GET", Path: "/v1/scim/v2/Users/{id}", Auth: httpapi.SCIM,
		Reads:   readPathUser,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "SCIM: one user",
		Build:   buildSCIMGetUser,
	}
	SCIMReplaceUser = &httpapi.Route{
		Name: "scim-replace-user", Method: "PUT", Path: "/v1/scim/v2/Users/{id}", Auth: httpapi.SCIM,
		Reads:   readPathUser,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBDelete, httpapi.DDBCheck},
		Summary: "SCIM: replace a user's attributes (active: false suspends)",
		Build:   buildSCIMReplaceUser,
	}
	SCIMPatchUser = &httpapi.Route{
		Name: "scim-patch-user", Method: "PATCH", Path: "/v1/scim/v2/Users/{id}", Auth: httpapi.SCIM,
		Reads:   readPathUser,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBDelete, httpapi.DDBCheck},
		Summary: "SCIM: patch a user (active: false suspends, true reactivates)",
		Build:   buildSCIMPatchUser,
	}
	SCIMDeleteUser = &httpapi.Route{
		Name: "scim-delete-user", Method: "DELETE", Path: "/v1/scim/v2/Users/{id}", Auth: httpapi.SCIM,
		Reads:   readPathUser,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "SCIM: remove the member from the org",
		Build:   buildSCIMDeleteUser,
	}
	SCIMListGroups = &httpapi.Route{
		Name: "scim-list-groups", Method: "GET", Path: "/v1/scim/v2/Groups", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "SCIM: one group per role of the org, with its members",
		Build:   buildSCIMListGroups,
	}
	SCIMGetGroup = &httpapi.Route{
		Name: "scim-get-group", Method: "GET", Path: "/v1/scim/v2/Groups/{id}", Auth: httpapi.SCIM,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "SCIM: one role as a group, with its holders",
		Build:   buildSCIMGetGroup,
	}
	SCIMPatchGroup = &httpapi.Route{
		Name: "scim-patch-group", Method: "PATCH", Path: "/v1/scim/v2/Groups/{id}", Auth: httpapi.SCIM,
		Reads:   readGroupPatchMembers,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "SCIM: add members to a role's group (they get the role) or remove them (they become users)",
		Build:   buildSCIMPatchGroup,
	}
	// SCIMNotFound answers every other path under the base, with any method, in SCIM's error
	// shape: API Gateway's own {"message":"Not Found"} is no SCIM answer, and clients and
	// conformance checkers parse what they get. It reads nothing, not even the token (AnyToken:
	// there is nothing to protect), and is throttled as a public route.
	SCIMNotFound = &httpapi.Route{
		Name: "scim-not-found", Method: httpapi.AnyMethod, Path: "/v1/scim/v2/{proxy+}", Auth: httpapi.SCIM, AnyToken: true,
		ReadOnly: true,
		// Secret: whatever a client put there (a token pasted into the path) is logged
		// redacted.
		Params:   []httpapi.NamedParam{{Name: "proxy", Param: httpapi.Param{Kind: "SCIM path", Valid: isSCIMPath, Secret: true}}},
		Throttle: httpapi.Throttle{Rate: 10, Burst: 20},
		Summary:  "SCIM: any other path under the base answers SCIM's 404 error",
		Build:    buildSCIMNotFound,
	}
)

// isSCIMPath reports whether s could be a path under the SCIM base, for the request log: what
// is not (a secret pasted in the wrong place, say) is logged as [invalid] and answered 404 all
// the same.
func isSCIMPath(s string) bool {
	return len(s) >= 1 && len(s) <= 512 && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-_.:@", c))
	})
}

// isSCIMDiscoveryID reports whether s could name a discovery resource: a resource type's name
// or a schema's URN (urn:ietf:params:scim:schemas:core:2.0:User).
func isSCIMDiscoveryID(s string) bool {
	// It starts with a letter or digit: never "." or "..", which a path could resolve.
	return len(s) >= 1 && len(s) <= 128 && httpapi.IsAlnum(rune(s[0])) && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":._-", c))
	})
}
