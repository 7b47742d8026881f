// Package invitesapi is the HTTP edge of invites: creating (one or in bulk), listing,
// resending, revoking, previewing and accepting them: its routes (each a package-level Route
// that its function's main names), their handlers and replays, over the kernel of package
// httpapi.
package invitesapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The invite routes. A route acting on an invite reads it in the authorization step's round
// trip (orgs.Subject), so that its write follows at once.
var (
	ListInvites = &httpapi.Route{
		Name: "list-invites", Method: "GET", Path: "/v1/orgs/{orgId}/invites", Auth: httpapi.JWT, Permission: roles.InvitesRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The org's invites by status (pending by default)",
		Build:   buildListInvites,
	}
	CreateInvite = &httpapi.Route{
		Name: "create-invite", Method: "POST", Path: "/v1/orgs/{orgId}/invites", Auth: httpapi.JWT, Permission: roles.InvitesCreate,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBUpdate},
		Summary: "Invite someone by email; the email (through the outbox) carries the accept link",
		Build:   buildCreateInvite,
		Replay:  replayCreateInvite,
	}
	CreateInvitesBulk = &httpapi.Route{
		Name: "create-invites-bulk", Method: "POST", Path: "/v1/orgs/{orgId}/invites/bulk", Auth: httpapi.JWT, Permission: roles.InvitesCreate,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBGet, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBUpdate},
		Summary: "Invite up to 100 people; one result per invite, in order; the emails leave through the outbox",
		Build:   buildCreateInvitesBulk,
		Replay:  httpapi.ReplayBulk,
	}
	ResendInvite = &httpapi.Route{
		Name: "resend-invite", Method: "POST", Path: "/v1/orgs/{orgId}/invites/{inviteId}/resend", Auth: httpapi.JWT, Permission: roles.InvitesManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBDelete, httpapi.DDBPut, httpapi.DDBCheck},
		Summary: "Send a pending invite again with a new link; its 7 days start again",
		Reads:   readInvite,
		Build:   buildResendInvite,
	}
	RevokeInvite = &httpapi.Route{
		Name: "revoke-invite", Method: "DELETE", Path: "/v1/orgs/{orgId}/invites/{inviteId}", Auth: httpapi.JWT, Permission: roles.InvitesManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBDelete, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Revoke a pending invite",
		Reads:   readInvite,
		Build:   buildRevokeInvite,
	}
	PreviewInvite = &httpapi.Route{
		Name: "preview-invite", Method: "GET", Path: "/v1/invites/{token}", Auth: httpapi.Public,
		Actions: []string{httpapi.DDBGet, httpapi.DDBBatchGet},
		Summary: "What an invite link is for: org, role, inviter, expiry and status",
		Build:   buildPreviewInvite,
	}
	AcceptInvite = &httpapi.Route{
		Name: "accept-invite", Method: "POST", Path: "/v1/invites/accept", Auth: httpapi.JWT,
		// The caller's account comes with the membership on first sight, or is caught up
		// with the identity provider's address first (accountActions).
		ReadsAccount: true,
		Summary:      "Accept an invite as the signed-in user whose verified email it was sent to",
		Build:        buildAcceptInvite,
	}
)
