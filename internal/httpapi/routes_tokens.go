package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"time"

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

func readTokenState(*Request, time.Time) []orgs.Read { return []orgs.Read{tokens.StateRead{}} }

func readUsage(_ *Request, now time.Time) []orgs.Read {
	return []orgs.Read{tokens.UsageRead{Days: tokens.UsageDays(now)}}
}

var tokenRoutes = []*Route{GetToken, RegenerateToken, ResetAuth, GetUsage, GetEntitlements}
