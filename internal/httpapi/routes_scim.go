package httpapi

import (
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/roles"
)

// The SCIM routes: the org's SCIM token, managed in the portal, and the SCIM 2.0 API that an
// identity provider calls with it.
var (
	CreateScimToken = &Route{
		Name: "create-scim-token", Method: "POST", Path: "/v1/orgs/{orgId}/scim/token", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbPut, ddbCheck},
		Summary: "Make the org's SCIM token (shown once); the previous one stops working",
		Build:   buildCreateSCIMToken,
	}
	RevokeScimToken = &Route{
		Name: "revoke-scim-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/scim/token", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbDelete, ddbPut, ddbCheck},
		Summary: "Revoke the org's SCIM token",
		Build:   buildRevokeSCIMToken,
	}
	ScimServiceProviderConfig = &Route{
		Name: "scim-service-provider-config", Method: "GET", Path: "/v1/scim/v2/ServiceProviderConfig", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Summary: "SCIM: what this service provider supports",
		Build:   buildSCIMServiceProviderConfig,
	}
	ScimResourceTypes = &Route{
		Name: "scim-resource-types", Method: "GET", Path: "/v1/scim/v2/ResourceTypes", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Summary: "SCIM: the resource types (User, Group)",
		Build:   buildSCIMResourceTypes,
	}
	ScimSchemas = &Route{
		Name: "scim-schemas", Method: "GET", Path: "/v1/scim/v2/Schemas", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Summary: "SCIM: the User and Group schemas",
		Build:   buildSCIMSchemas,
	}
	ScimResourceType = &Route{
		Name: "scim-resource-type", Method: "GET", Path: "/v1/scim/v2/ResourceTypes/{name}", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Params:  []NamedParam{{Name: "name", Param: Param{Kind: "SCIM resource type", Valid: isSCIMDiscoveryID}}},
		Summary: "SCIM: one resource type (User or Group), where the list's meta.location points",
		Build:   buildSCIMResourceType,
	}
	ScimSchema = &Route{
		Name: "scim-schema", Method: "GET", Path: "/v1/scim/v2/Schemas/{uri}", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Params:  []NamedParam{{Name: "uri", Param: Param{Kind: "SCIM schema URI", Valid: isSCIMDiscoveryID}}},
		Summary: "SCIM: one schema by its URI, where the list's meta.location points",
		Build:   buildSCIMSchema,
	}
	ScimListUsers = &Route{
		Name: "scim-list-users", Method: "GET", Path: "/v1/scim/v2/Users", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbQuery, ddbGet},
		Summary: "SCIM: the org's members as users, filtered by userName, externalId or email",
		Build:   buildSCIMListUsers,
	}
	ScimCreateUser = &Route{
		Name: "scim-create-user", Method: "POST", Path: "/v1/scim/v2/Users", Auth: SCIM,
		Provisions: true,
		// The credentials email is sealed with the server's secret.
		Keys:    []string{app.KeySealing},
		Summary: "SCIM: create a member, as a direct creation does (source scim)",
		Build:   buildScimCreateUser,
	}
	ScimGetUser = &Route{
		Name: "scim-get-user", Method: "GET", Path: "/v1/scim/v2/Users/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet},
		Summary: "SCIM: one user",
		Build:   buildSCIMGetUser,
	}
	ScimReplaceUser = &Route{
		Name: "scim-replace-user", Method: "PUT", Path: "/v1/scim/v2/Users/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbDelete, ddbCheck},
		Summary: "SCIM: replace a user's attributes (active: false suspends)",
		Build:   buildSCIMReplaceUser,
	}
	ScimPatchUser = &Route{
		Name: "scim-patch-user", Method: "PATCH", Path: "/v1/scim/v2/Users/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbDelete, ddbCheck},
		Summary: "SCIM: patch a user (active: false suspends, true reactivates)",
		Build:   buildSCIMPatchUser,
	}
	ScimDeleteUser = &Route{
		Name: "scim-delete-user", Method: "DELETE", Path: "/v1/scim/v2/Users/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbCheck, ddbPut},
		Summary: "SCIM: remove the member from the org",
		Build:   buildSCIMDeleteUser,
	}
	ScimListGroups = &Route{
		Name: "scim-list-groups", Method: "GET", Path: "/v1/scim/v2/Groups", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "SCIM: one group per role of the org, with its members",
		Build:   buildSCIMListGroups,
	}
	ScimGetGroup = &Route{
		Name: "scim-get-group", Method: "GET", Path: "/v1/scim/v2/Groups/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "SCIM: one role as a group, with its holders",
		Build:   buildSCIMGetGroup,
	}
	ScimPatchGroup = &Route{
		Name: "scim-patch-group", Method: "PATCH", Path: "/v1/scim/v2/Groups/{id}", Auth: SCIM,
		Actions: []string{ddbBatchGet, ddbQuery, ddbUpdate, ddbCheck, ddbPut},
		Summary: "SCIM: add members to a role's group (they get the role) or remove them (they become users)",
		Build:   buildSCIMPatchGroup,
	}
	// ScimNotFound answers every other path under the base, with any method, in SCIM's error
	// shape: API Gateway's own {"message":"Not Found"} is no SCIM answer, and clients and
	// conformance checkers parse what they get. It reads nothing, not even the token (there is
	// nothing to protect), and is throttled as a public route.
	ScimNotFound = &Route{
		Name: "scim-not-found", Method: AnyMethod, Path: "/v1/scim/v2/{proxy+}", Auth: SCIM,
		ReadOnly: true,
		// Secret: whatever a client put there (a token pasted into the path) is logged
		// redacted.
		Params:   []NamedParam{{Name: "proxy", Param: Param{Kind: "SCIM path", Valid: isSCIMPath, Secret: true}}},
		Throttle: Throttle{Rate: 10, Burst: 20},
		Summary:  "SCIM: any other path under the base answers SCIM's 404 error",
		Build:    buildSCIMNotFound,
	}
)

var scimRoutes = []*Route{
	CreateScimToken, RevokeScimToken,
	ScimServiceProviderConfig, ScimResourceTypes, ScimSchemas, ScimResourceType, ScimSchema,
	ScimListUsers, ScimCreateUser, ScimGetUser, ScimReplaceUser, ScimPatchUser, ScimDeleteUser,
	ScimListGroups, ScimGetGroup, ScimPatchGroup,
	ScimNotFound,
}

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
	return len(s) >= 1 && len(s) <= 128 && isAlnum(rune(s[0])) && !strings.ContainsFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":._-", c))
	})
}
