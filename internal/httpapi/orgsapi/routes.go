// Package orgsapi is the HTTP edge of the orgs: the frontend's configuration, creating, listing
// and reading orgs, their settings, handle and deletion: its routes (each a package-level Route
// that its function's main names), their handlers and replays, over the kernel of package
// httpapi.
package orgsapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The org routes: the frontend's configuration, creating and listing orgs, one org, its
// settings, its handle and its deletion. Each route is a package-level value so that a
// function's main can name its own route and link nothing else; routes.All lists them all
// for the CDK stack, the local gateway and tests.
var (
	GetConfig = &httpapi.Route{
		Name: "get-config", Method: "GET", Path: "/v1/config", Auth: httpapi.Public,
		Summary: "What a frontend needs to sign users in",
		Build:   buildGetConfig,
	}
	CreateOrg = &httpapi.Route{
		Name: "create-org", Method: "POST", Path: "/v1/orgs", Auth: httpapi.JWT,
		// The account's items on first sight, else an update of the profile's joins, on
		// which the account's deletion is conditioned.
		ReadsAccount: true,
		Summary:      "Create a shared organization; the caller becomes its admin",
		Build:        buildCreateOrg,
		Replay:       replayCreateOrg,
	}
	ListOrgs = &httpapi.Route{
		Name: "list-orgs", Method: "GET", Path: "/v1/orgs", Auth: httpapi.JWT,
		ReadsAccount: true,
		Keys:         []string{app.KeyCursors},
		List:         httpapi.Paged,
		Summary:      "The caller's organizations, personal first",
		Build:        buildListOrgs,
	}
	GetOrg = &httpapi.Route{
		Name: "get-org", Method: "GET", Path: "/v1/orgs/{orgId}", Auth: httpapi.JWT, Permission: roles.OrgRead,
		Actions: []string{httpapi.DDBBatchGet},
		Summary: "One organization, with the caller's role",
		Build:   buildGetOrg,
	}
	UpdateOrg = &httpapi.Route{
		Name: "update-org", Method: "PATCH", Path: "/v1/orgs/{orgId}", Auth: httpapi.JWT,
		Permission: roles.SettingsManage, OrPermission: roles.BillingManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck},
		Summary: "Change the organization's settings (billing admins: billing contacts only)",
		Build:   buildUpdateOrg,
	}
	ChangeHandle = &httpapi.Route{
		Name: "change-handle", Method: "PUT", Path: "/v1/orgs/{orgId}/handle", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBDelete, httpapi.DDBCheck},
		Summary: "Give the organization a new handle; the old one is free again",
		Build:   buildChangeHandle,
	}
	DeleteOrg = &httpapi.Route{
		Name: "delete-org", Method: "DELETE", Path: "/v1/orgs/{orgId}", Auth: httpapi.JWT, Permission: roles.OrgDelete,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBDelete, httpapi.DDBCheck},
		Summary: "Delete the organization (?confirm=<handle>)",
		Build:   buildDeleteOrg,
	}
)
