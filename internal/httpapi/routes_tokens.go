package httpapi

import (
	"time"

	"github.com/vendorportal/orgs/internal/app"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The org access token, the tools' sign-in, the authentication reset and the usage figures.
// The token routes read the token's state in the authorization step's round trip (Reads).
var (
	GetToken = &Route{
		Name: "get-token", Method: "GET", Path: "/v1/orgs/{orgId}/token", Auth: JWT, Permission: roles.TokenView,
		Actions: []string{ddbBatchGet, ddbCheck, ddbPut},
		Keys:    []string{app.KeyTokens},
		Summary: "The org's access token, its creation and last use; each view is logged",
		Reads:   readTokenState,
		Build:   buildGetToken,
	}
	RegenerateToken = &Route{
		Name: "regenerate-token", Method: "POST", Path: "/v1/orgs/{orgId}/token/regenerate", Auth: JWT, Permission: roles.TokenRegenerate,
		Actions: []string{ddbBatchGet, ddbCheck, ddbPut},
		Keys:    []string{app.KeyTokens},
		Summary: "Give the org a new access token; the old one stops working at once",
		Reads:   readTokenState,
		Build:   buildRegenerateToken,
	}
	ResetAuth = &Route{
		Name: "reset-auth", Method: "POST", Path: "/v1/orgs/{orgId}/auth/reset", Auth: JWT, Permission: roles.AuthReset,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck, ddbDelete},
		Keys:    []string{app.KeyTokens},
		Summary: "Reset the org's authentication: earlier sign-ins stop working for it, the token is regenerated, members are signed out",
		Reads:   readTokenState,
		Build:   buildResetAuth,
	}
	GetUsage = &Route{
		Name: "get-usage", Method: "GET", Path: "/v1/orgs/{orgId}/usage", Auth: JWT, Permission: roles.UsageRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "Members, pending invites, active licenses, node limit and tool sign-ins per day for 30 days",
		Reads:   readUsage,
		Build:   buildGetUsage,
	}
	GetEntitlements = &Route{
		Name: "get-entitlements", Method: "GET", Path: "/v1/entitlements", Auth: Token,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbCheck, ddbPut},
		Keys:    []string{app.KeyTokens},
		Summary: "For tools (HTTP Basic: a member's email and the org's access token): the products that member may download",
		Build:   buildGetEntitlements,
	}
)

// The personal tool tokens: a member's own, and the admins' view of everyone's. The owner's
// routes read the owner's index with the authorization step (tokens.MineRead), an admin's
// revocation the token (tokens.PersonalRead).
var (
	ListMyTokens = &Route{
		Name: "list-my-tokens", Method: "GET", Path: "/v1/orgs/{orgId}/me/tokens", Auth: JWT, Permission: roles.ProductsAccess,
		Actions: []string{ddbBatchGet},
		List:    Whole,
		Summary: "The caller's personal tool tokens in the org (no secrets)",
		Reads:   readMine,
		Build:   buildListMyTokens,
	}
	CreateMyToken = &Route{
		Name: "create-my-token", Method: "POST", Path: "/v1/orgs/{orgId}/me/tokens", Auth: JWT, Permission: roles.ProductsAccess,
		Actions: []string{ddbBatchGet, ddbPut, ddbCheck},
		Keys:    []string{app.KeyTokens},
		Summary: "Make a personal tool token; its text is shown only in this answer",
		Reads:   readMine,
		Build:   buildCreateMyToken,
		Replay:  replayCreateMyToken,
	}
	RevokeMyToken = &Route{
		Name: "revoke-my-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/me/tokens/{tokenId}", Auth: JWT, Permission: roles.OrgRead,
		Actions: []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Revoke one of the caller's personal tool tokens; it stops working at once",
		Reads:   readMine,
		Build:   buildRevokeMyToken,
	}
	ListOrgTokens = &Route{
		Name: "list-org-tokens", Method: "GET", Path: "/v1/orgs/{orgId}/tokens", Auth: JWT, Permission: roles.TokenView, AndPermission: roles.MembersRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "Every member's live personal tool tokens (no secrets), with their owners; needs token.view and members.read",
		Build:   buildListOrgTokens,
	}
	RevokeOrgToken = &Route{
		Name: "revoke-org-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/tokens/{tokenId}", Auth: JWT, Permission: roles.TokenRegenerate,
		Actions: []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Revoke any member's personal tool token; it stops working at once",
		Reads:   readPersonal,
		Build:   buildRevokeOrgToken,
	}
)

// The CLI's sign-in (RFC 8628): the tool's two public routes and the signed-in approval.
var (
	StartDevice = &Route{
		Name: "start-device", Method: "POST", Path: "/v1/device/code", Auth: Public,
		Actions: []string{ddbBatchGet, ddbPut, ddbUpdate},
		Summary: "A CLI's first step of the device sign-in (RFC 8628 §3.1–3.2): a device code and a user code for an org",
		Build:   buildStartDevice,
	}
	PollDevice = &Route{
		Name: "poll-device", Method: "POST", Path: "/v1/device/token", Auth: Public,
		Actions: []string{ddbGet, ddbUpdate},
		Keys:    []string{app.KeyTokens},
		Summary: "The CLI's poll (RFC 8628 §3.4–3.5): once approved, a personal tool token, handed out exactly once",
		Build:   buildPollDevice,
	}
	GetDevice = &Route{
		Name: "get-device", Method: "GET", Path: "/v1/device/{userCode}", Auth: JWT,
		Actions: []string{ddbBatchGet, ddbGet, ddbUpdate},
		Summary: "What the approval page shows of a user code",
		Build:   buildGetDevice,
	}
	ApproveDevice = &Route{
		Name: "approve-device", Method: "POST", Path: "/v1/device/{userCode}/approve", Auth: JWT,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck, ddbDelete},
		Summary: "Approve a CLI's sign-in: a personal tool token is made for the caller",
		Build:   buildApproveDevice,
	}
	DenyDevice = &Route{
		Name: "deny-device", Method: "POST", Path: "/v1/device/{userCode}/deny", Auth: JWT,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck, ddbDelete},
		Summary: "Decline a CLI's sign-in",
		Build:   buildDenyDevice,
	}
)

func readMine(req *Request, _ time.Time) []orgs.Read {
	return []orgs.Read{tokens.MineRead{OwnerID: req.Caller.ID}}
}

func readPersonal(req *Request, _ time.Time) []orgs.Read {
	return []orgs.Read{tokens.PersonalRead{ID: req.Path("tokenId")}}
}

func readTokenState(*Request, time.Time) []orgs.Read { return []orgs.Read{tokens.StateRead{}} }

func readUsage(_ *Request, now time.Time) []orgs.Read {
	return []orgs.Read{tokens.UsageRead{Days: tokens.UsageDays(now)}}
}

var tokenRoutes = []*Route{GetToken, RegenerateToken, ResetAuth, GetUsage, GetEntitlements,
	ListMyTokens, CreateMyToken, RevokeMyToken, ListOrgTokens, RevokeOrgToken,
	StartDevice, PollDevice, GetDevice, ApproveDevice, DenyDevice}
