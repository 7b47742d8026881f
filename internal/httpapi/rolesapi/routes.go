// Package rolesapi is the HTTP edge of custom roles: its routes (each a package-level Route
// that its function's main names), their handlers and replays, over the kernel of package
// httpapi.
package rolesapi

import (
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The custom role routes. The roles live on the org item, which the authorization step reads:
// the list costs that one read, and each change one transaction on top.
var (
	ListRoles = &httpapi.Route{
		Name: "list-roles", Method: "GET", Path: "/v1/orgs/{orgId}/roles", Auth: httpapi.JWT, Permission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet},
		List:    httpapi.Whole,
		Summary: "The org's roles: the built-ins first, then the custom ones, each with its member count",
		Build:   buildListRoles,
	}
	CreateRole = &httpapi.Route{
		Name: "create-role", Method: "POST", Path: "/v1/orgs/{orgId}/roles", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Define a custom role holding a subset of the caller's own permissions",
		Build:   buildCreateRole,
		Replay:  replayCreateRole,
	}
	UpdateRole = &httpapi.Route{
		Name: "update-role", Method: "PATCH", Path: "/v1/orgs/{orgId}/roles/{roleId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Change a custom role's name, description or permissions; its holders get the change on their next request",
		Build:   buildUpdateRole,
	}
	DeleteRole = &httpapi.Route{
		Name: "delete-role", Method: "DELETE", Path: "/v1/orgs/{orgId}/roles/{roleId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Delete a custom role that no member or pending invite holds",
		Build:   buildDeleteRole,
	}
)
