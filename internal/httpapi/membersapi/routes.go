package membersapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

var ListMembers = &httpapi.Route{
	Name: "list-members", Method: "GET", Path: "/v1/orgs/{orgId}/members", Auth: httpapi.JWT, Permission: roles.MembersRead,
	Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
	Keys:    []string{app.KeyCursors},
	List:    httpapi.Paged,
	Summary: "The org's members, filtered by role and by a prefix of the email or name",
	Build:   buildListMembers,
}

var UpdateMember = &httpapi.Route{
	Name: "update-member", Method: "PATCH", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
	Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
	Summary: "Change a member's role or properties",
	Build:   buildUpdateMember,
}

var RemoveMember = &httpapi.Route{
	Name: "remove-member", Method: "DELETE", Path: "/v1/orgs/{orgId}/members/{userId}", Auth: httpapi.JWT, Permission: roles.MembersManage,
	SelfAllowed: true,
	Actions:     []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
	Summary:     "Remove a member, or leave the org (any member may remove themself)",
	Build:       buildRemoveMember,
}
