package tokensapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/tokens"
)

type tokenJSON struct {
	Token      string              `json:"token"`
	CreatedAt  httpapi.Timestamp   `json:"createdAt"`
	CreatedBy  *httpapi.PersonJSON `json:"createdBy"`
	LastUsedAt httpapi.Timestamp   `json:"lastUsedAt"`
	LastUsedIP *string             `json:"lastUsedIp"`
}

func tokenOut(v tokens.View) tokenJSON {
	out := tokenJSON{Token: v.Token, CreatedAt: httpapi.Timestamp(v.State.CreatedAt), LastUsedAt: httpapi.Timestamp(v.State.LastUsedAt), LastUsedIP: httpapi.Nullable(v.State.LastUsedIP)}
	if v.State.CreatedBy.ID != "" {
		out.CreatedBy = &httpapi.PersonJSON{ID: v.State.CreatedBy.ID, Email: v.State.CreatedBy.Email}
	}
	return out
}

// noBody accepts an action's empty body or {}: any field is one the route does not take.
func noBody(req *httpapi.Request) error {
	if len(bytes.TrimSpace(req.Body())) == 0 {
		return nil
	}
	var none struct{}
	return req.Decode(&none)
}

func buildGetToken(env *app.Env) httpapi.Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		v, err := svc.View(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, tokenOut(v)), nil
	}
}

func buildRegenerateToken(env *app.Env) httpapi.Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := noBody(req); err != nil {
			return nil, err
		}
		v, err := svc.Regenerate(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, tokenOut(v)), nil
	}
}

func buildResetAuth(env *app.Env) httpapi.Handler {
	svc := env.Tokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := noBody(req); err != nil {
			return nil, err
		}
		if err := svc.Reset(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

type dayCountJSON struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

func buildGetUsage(env *app.Env) httpapi.Handler {
	svc := env.TokenUsage()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		u, err := svc.Usage(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		days := make([]dayCountJSON, len(u.TokenUses))
		for i, d := range u.TokenUses {
			days[i] = dayCountJSON(d)
		}
		return httpapi.JSON(http.StatusOK, map[string]any{
			"members": u.Members, "pendingInvites": u.PendingInvites, "activeLicenses": u.ActiveLicenses,
			"nodeLimit": u.NodeLimit, "tokenUses": days,
		}), nil
	}
}

type entitlementJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	LicenseType string            `json:"licenseType"`
	EndsAt      httpapi.Timestamp `json:"endsAt"`
	NodeLimit   *int              `json:"nodeLimit"`
}

// buildGetEntitlements answers what the glue's sign-in (Auth Token) found.
func buildGetEntitlements(*app.Env) httpapi.Handler {
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		e := req.Tool
		products := make([]entitlementJSON, len(e.Products))
		for i, p := range e.Products {
			products[i] = entitlementJSON{ID: p.ProductID, Name: p.Name, LicenseType: p.LicenseType, EndsAt: httpapi.Timestamp(p.EndsAt), NodeLimit: p.NodeLimit}
		}
		return httpapi.JSON(http.StatusOK, map[string]any{
			"org":      map[string]string{"id": e.OrgID, "handle": e.OrgHandle},
			"user":     map[string]string{"id": e.User.ID, "email": e.User.Email},
			"products": products,
		}), nil
	}
}

type personalTokenJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	CreatedAt  httpapi.Timestamp `json:"createdAt"`
	ExpiresAt  httpapi.Timestamp `json:"expiresAt"`
	LastUsedAt httpapi.Timestamp `json:"lastUsedAt"`
	LastUsedIP *string           `json:"lastUsedIp"`
}

func personalOut(t tokens.PersonalToken) personalTokenJSON {
	return personalTokenJSON{ID: t.ID, Name: t.Name, CreatedAt: httpapi.Timestamp(t.CreatedAt), ExpiresAt: httpapi.Timestamp(t.ExpiresAt),
		LastUsedAt: httpapi.Timestamp(t.LastUsedAt), LastUsedIP: httpapi.Nullable(t.LastUsedIP)}
}

type personalWithTokenJSON struct {
	personalTokenJSON
	Token string `json:"token"`
}

type personalWithOwnerJSON struct {
	personalTokenJSON
	Owner httpapi.PersonJSON `json:"owner"`
}

func buildListMyTokens(env *app.Env) httpapi.Handler {
	svc := env.PersonalTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		ts, err := svc.Mine(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[personalTokenJSON]{Items: make([]personalTokenJSON, len(ts))}
		for i, t := range ts {
			out.Items[i] = personalOut(t)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildCreateMyToken(env *app.Env) httpapi.Handler {
	svc := env.PersonalTokenMinting()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name          string `json:"name"`
			ExpiresInDays *int   `json:"expiresInDays"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		n := tokens.NewPersonal{Name: in.Name}
		if in.ExpiresInDays != nil {
			if *in.ExpiresInDays == 0 {
				return nil, apperr.New(apperr.Invalid, "expiresInDays must be from 1 to %d", tokens.MaxPersonalDays)
			}
			n.Days = *in.ExpiresInDays
		}
		c, err := svc.Create(ctx, req.Access, n)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, personalWithTokenJSON{personalOut(c.PersonalToken), c.Token}), nil
	}
}

// replayCreateMyToken answers a repeated creation with the same token: its text is made again
// from its id under the server's key, never kept.
func replayCreateMyToken(env *app.Env) httpapi.Replayer {
	orgSvc, svc := env.Orgs(), env.PersonalTokenMinting()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := orgSvc.AuthorizeFor(ctx, req.Caller, req.Path("orgId"), orgs.Subject{Reads: []orgs.Read{tokens.PersonalRead{ID: created.ID}}})
		if err != nil {
			return nil, err
		}
		c, err := svc.Again(a)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, personalWithTokenJSON{personalOut(c.PersonalToken), c.Token}), nil
	}
}

func buildRevokeMyToken(env *app.Env) httpapi.Handler {
	svc := env.PersonalTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.RevokeMine(ctx, req.Access, req.Path("tokenId")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

func buildListOrgTokens(env *app.Env) httpapi.Handler {
	svc := env.PersonalTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		const query = "personal-tokens"
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.OrgTokens(ctx, req.Access, p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[personalWithOwnerJSON]{Items: make([]personalWithOwnerJSON, len(page.Tokens)), NextCursor: req.Cursor(query, page.Next)}
		for i, t := range page.Tokens {
			out.Items[i] = personalWithOwnerJSON{personalOut(t), httpapi.PersonJSON{ID: t.Owner.ID, Email: t.Owner.Email}}
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildRevokeOrgToken(env *app.Env) httpapi.Handler {
	svc := env.PersonalTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Revoke(ctx, req.Access, req.Path("tokenId")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
