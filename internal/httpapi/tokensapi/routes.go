// Package tokensapi is the HTTP edge of tokens: the org token, personal tool tokens, the CLI's
// device sign-in, usage and the tools' entitlements: its routes (each a package-level Route
// that its function's main names), their handlers and replays, over the kernel of package
// httpapi.
package tokensapi

import (
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The org access token, the tools' sign-in, the authentication reset and the usage figures.
// The token routes read the token's state in the authorization step's round trip (Reads).
var (
	GetToken = &httpapi.Route{
		Name: "get-token", Method: "GET", Path: "/v1/orgs/{orgId}/token", Auth: httpapi.JWT, Permission: roles.TokenView,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBCheck, httpapi.DDBPut},
		Keys:    []string{app.KeyTokens},
		Summary: "The org's access token, its creation and last use; each view is logged",
		Reads:   readTokenState,
		Build:   buildGetToken,
	}
	RegenerateToken = &httpapi.Route{
		Name: "regenerate-token", Method: "POST", Path: "/v1/orgs/{orgId}/token/regenerate", Auth: httpapi.JWT, Permission: roles.TokenRegenerate,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBCheck, httpapi.DDBPut},
		Keys:    []string{app.KeyTokens},
		Summary: "Give the org a new access token; the old one stops working at once",
		Reads:   readTokenState,
		Build:   buildRegenerateToken,
	}
	ResetAuth = &httpapi.Route{
		Name: "reset-auth", Method: "POST", Path: "/v1/orgs/{orgId}/auth/reset", Auth: httpapi.JWT, Permission: roles.AuthReset,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBDelete},
		Keys:    []string{app.KeyTokens},
		Summary: "Reset the org's authentication: earlier sign-ins stop working for it, the token is regenerated, members are signed out",
		Reads:   readTokenState,
		Build:   buildResetAuth,
	}
	GetUsage = &httpapi.Route{
		Name: "get-usage", Method: "GET", Path: "/v1/orgs/{orgId}/usage", Auth: httpapi.JWT, Permission: roles.UsageRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "Members, pending invites, active licenses, node limit and tool sign-ins per day for 30 days",
		Reads:   readUsage,
		Build:   buildGetUsage,
	}
	GetEntitlements = &httpapi.Route{
		Name: "get-entitlements", Method: "GET", Path: "/v1/entitlements", Auth: httpapi.Token,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Keys:    []string{app.KeyTokens},
		Summary: "For tools (HTTP Basic: a member's email and the org's access token): the products that member may download",
		Build:   buildGetEntitlements,
	}
)

// The personal tool tokens: a member's own, and the admins' view of everyone's. The owner's
// routes read the owner's index with the authorization step (tokens.MineRead), an admin's
// revocation the token (tokens.PersonalRead).
var (
	ListMyTokens = &httpapi.Route{
		Name: "list-my-tokens", Method: "GET", Path: "/v1/orgs/{orgId}/me/tokens", Auth: httpapi.JWT, Permission: roles.ProductsAccess,
		Actions: []string{httpapi.DDBBatchGet},
		List:    httpapi.Whole,
		Summary: "The caller's personal tool tokens in the org (no secrets)",
		Reads:   readMine,
		Build:   buildListMyTokens,
	}
	CreateMyToken = &httpapi.Route{
		Name: "create-my-token", Method: "POST", Path: "/v1/orgs/{orgId}/me/tokens", Auth: httpapi.JWT, Permission: roles.ProductsAccess,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck},
		Keys:    []string{app.KeyTokens},
		Summary: "Make a personal tool token; its text is shown only in this answer",
		Reads:   readMine,
		Build:   buildCreateMyToken,
		Replay:  replayCreateMyToken,
	}
	RevokeMyToken = &httpapi.Route{
		Name: "revoke-my-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/me/tokens/{tokenId}", Auth: httpapi.JWT, Permission: roles.OrgRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Revoke one of the caller's personal tool tokens; it stops working at once",
		Reads:   readMine,
		Build:   buildRevokeMyToken,
	}
	ListOrgTokens = &httpapi.Route{
		Name: "list-org-tokens", Method: "GET", Path: "/v1/orgs/{orgId}/tokens", Auth: httpapi.JWT, Permission: roles.TokenView, AndPermission: roles.MembersRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "Every member's live personal tool tokens (no secrets), with their owners; needs token.view and members.read",
		Build:   buildListOrgTokens,
	}
	RevokeOrgToken = &httpapi.Route{
		Name: "revoke-org-token", Method: "DELETE", Path: "/v1/orgs/{orgId}/tokens/{tokenId}", Auth: httpapi.JWT, Permission: roles.TokenRegenerate,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Revoke any member's personal tool token; it stops working at once",
		Reads:   readPersonal,
		Build:   buildRevokeOrgToken,
	}
)

// The CLI's sign-in (RFC 8628): the tool's two public routes and the signed-in approval.
var (
	StartDevice = &httpapi.Route{
		Name: "start-device", Method: "POST", Path: "/v1/device/code", Auth: httpapi.Public,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBUpdate},
		Summary: "A CLI's first step of the device sign-in (RFC 8628 §3.1–3.2): a device code and a user code for an org",
		Build:   buildStartDevice,
	}
	PollDevice = &httpapi.Route{
		Name: "poll-device", Method: "POST", Path: "/v1/device/token", Auth: httpapi.Public,
		Actions: []string{httpapi.DDBGet, httpapi.DDBUpdate},
		Keys:    []string{app.KeyTokens},
		Summary: "The CLI's poll (RFC 8628 §3.4–3.5): once approved, a personal tool token, handed out exactly once",
		Build:   buildPollDevice,
	}
	GetDevice = &httpapi.Route{
		Name: "get-device", Method: "GET", Path: "/v1/device/{userCode}", Auth: httpapi.JWT,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBGet, httpapi.DDBUpdate},
		Summary: "What the approval page shows of a user code",
		Build:   buildGetDevice,
	}
	ApproveDevice = &httpapi.Route{
		Name: "approve-device", Method: "POST", Path: "/v1/device/{userCode}/approve", Auth: httpapi.JWT,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBDelete},
		Summary: "Approve a CLI's sign-in: a personal tool token is made for the caller",
		Build:   buildApproveDevice,
	}
	DenyDevice = &httpapi.Route{
		Name: "deny-device", Method: "POST", Path: "/v1/device/{userCode}/deny", Auth: httpapi.JWT,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBDelete},
		Summary: "Decline a CLI's sign-in",
		Build:   buildDenyDevice,
	}
)

func readMine(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{tokens.MineRead{OwnerID: req.Caller.ID}}
}

func readPersonal(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{tokens.PersonalRead{ID: req.Path("tokenId")}}
}

func readTokenState(*httpapi.Request, time.Time) []orgs.Read { return []orgs.Read{tokens.StateRead{}} }

func readUsage(_ *httpapi.Request, now time.Time) []orgs.Read {
	return []orgs.Read{tokens.UsageRead{Days: tokens.UsageDays(now)}}
}
