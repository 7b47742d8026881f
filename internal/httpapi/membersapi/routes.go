// Package membersapi is the HTTP edge of an org's members: the list, changes of role and
// properties, removal: its routes (each a package-level Route that its function's main names),
// their handlers and replays, over the kernel of package httpapi.
package membersapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The member routes. A route acting on a member reads it in the authorization step's round
// trip (orgs.Subject), so that its write follows at once.
var (
	ListMembers = &httpapi.Route{
		Name: "list-members", Method: "GET", Path: "/v1/orgs/{orgId}/members", Auth: httpapi.JWT, Permission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The org's members, filtered by role and by a prefix of the email or name",
		Build:   buildListMembers,
	}
	UpdateMember = &httpapi.Route{
		Name: "update-member", Method: "PATCH", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Change a member's role or properties",
		Build:   buildUpdateMember,
	}
	RemoveMember = &httpapi.Route{
		Name: "remove-member", Method: "DELETE", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
		SelfAllowed: true,
		Actions:     []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary:     "Remove a member, or leave the org (any member may remove themself)",
		Build:       buildRemoveMember,
	}
)
