package accountapi

import (
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/account"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

type userJSON struct {
	ID        string            `json:"id"`
	Email     string            `json:"email"`
	Name      *string           `json:"name"`
	Phone     *string           `json:"phone"`
	CreatedAt httpapi.Timestamp `json:"createdAt"`
}

func userOut(p orgs.Profile) userJSON {
	return userJSON{p.ID, p.Email, httpapi.Nullable(p.Name), httpapi.Nullable(p.Phone), httpapi.Timestamp(p.CreatedAt)}
}

func buildUpdateMe(env *app.Env) httpapi.Handler {
	svc := env.Profiles()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name  httpapi.Optional[string] `json:"name"`
			Phone httpapi.Optional[string] `json:"phone"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		p, err := svc.UpdateProfile(ctx, req.Caller, account.ProfileInput{Name: in.Name.Ptr(), Phone: in.Phone.Ptr()})
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, userOut(p)), nil
	}
}

func buildRequestEmailChange(env *app.Env) httpapi.Handler {
	svc := env.SelfService()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Email string `json:"email"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		ch, err := svc.RequestEmailChange(ctx, req.Caller, in.Email)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusAccepted, struct {
			Email     string            `json:"email"`
			ExpiresAt httpapi.Timestamp `json:"expiresAt"`
		}{ch.NewEmail, httpapi.Timestamp(ch.ExpiresAt)}), nil
	}
}

func buildConfirmEmailChange(env *app.Env) httpapi.Handler {
	svc := env.SelfServiceWithDirectory()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Token string `json:"token"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Token == "" {
			return nil, apperr.New(apperr.Invalid, "token is required: the one of the confirmation link")
		}
		p, err := svc.ConfirmEmailChange(ctx, req.Caller, in.Token)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, userOut(p)), nil
	}
}

func buildDeleteMe(env *app.Env) httpapi.Handler {
	svc := env.AccountDeletion()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.DeleteAccount(ctx, req.Caller); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
