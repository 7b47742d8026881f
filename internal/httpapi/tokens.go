package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/tokens"
)

type tokenJSON struct {
	Token      string      `json:"token"`
	CreatedAt  timestamp   `json:"createdAt"`
	CreatedBy  *personJSON `json:"createdBy"`
	LastUsedAt timestamp   `json:"lastUsedAt"`
	LastUsedIP *string     `json:"lastUsedIp"`
}

func tokenOut(v tokens.View) tokenJSON {
	out := tokenJSON{Token: v.Token, CreatedAt: timestamp(v.State.CreatedAt), LastUsedAt: timestamp(v.State.LastUsedAt), LastUsedIP: nullable(v.State.LastUsedIP)}
	if v.State.CreatedBy.ID != "" {
		out.CreatedBy = &personJSON{ID: v.State.CreatedBy.ID, Email: v.State.CreatedBy.Email}
	}
	return out
}

// noBody accepts an action's empty body or {}: any field is one the route does not take.
func noBody(req *Request) error {
	if len(bytes.TrimSpace(req.body)) == 0 {
		return nil
	}
	var none struct{}
	return req.Decode(&none)
}

func buildGetToken(env *app.Env) Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *Request) (*Response, error) {
		v, err := svc.View(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return JSON(http.StatusOK, tokenOut(v)), nil
	}
}

func buildRegenerateToken(env *app.Env) Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *Request) (*Response, error) {
		if err := noBody(req); err != nil {
			return nil, err
		}
		v, err := svc.Regenerate(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return JSON(http.StatusOK, tokenOut(v)), nil
	}
}

func buildResetAuth(env *app.Env) Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *Request) (*Response, error) {
		if err := noBody(req); err != nil {
			return nil, err
		}
		if err := svc.Reset(ctx, req.Access); err != nil {
			return nil, err
		}
		return NoContent(), nil
	}
}

type dayCountJSON struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

func buildGetUsage(env *app.Env) Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *Request) (*Response, error) {
		u, err := svc.Usage(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		days := make([]dayCountJSON, len(u.TokenUses))
		for i, d := range u.TokenUses {
			days[i] = dayCountJSON(d)
		}
		return JSON(http.StatusOK, map[string]any{
			"members": u.Members, "pendingInvites": u.PendingInvites, "activeLicenses": u.ActiveLicenses,
			"nodeLimit": u.NodeLimit, "tokenUses": days,
		}), nil
	}
}

type entitlementJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	LicenseType string    `json:"licenseType"`
	EndsAt      timestamp `json:"endsAt"`
	NodeLimit   *int      `json:"nodeLimit"`
}

// buildGetEntitlements answers what the glue's sign-in (Auth Token) found.
func buildGetEntitlements(*app.Env) Handler {
	return func(_ context.Context, req *Request) (*Response, error) {
		e := req.Tool
		products := make([]entitlementJSON, len(e.Products))
		for i, p := range e.Products {
			products[i] = entitlementJSON{ID: p.ProductID, Name: p.Name, LicenseType: p.LicenseType, EndsAt: timestamp(p.EndsAt), NodeLimit: p.NodeLimit}
		}
		return JSON(http.StatusOK, map[string]any{
			"org":      map[string]string{"id": e.OrgID, "handle": e.OrgHandle},
			"user":     map[string]string{"id": e.User.ID, "email": e.User.Email},
			"products": products,
		}), nil
	}
}
