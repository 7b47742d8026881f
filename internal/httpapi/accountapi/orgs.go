package accountapi

import (
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
)

func buildGetMe(env *app.Env) httpapi.Handler {
	type orgRefJSON struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Role   string `json:"role"`
	}
	type meJSON struct {
		User          userJSON     `json:"user"`
		PersonalOrgID string       `json:"personalOrgId"`
		Orgs          []orgRefJSON `json:"orgs"`
	}
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		me, err := svc.Me(ctx, req.Caller)
		if err != nil {
			return nil, err
		}
		p := me.Profile
		out := meJSON{
			User:          userOut(p),
			PersonalOrgID: p.PersonalOrgID,
			Orgs:          make([]orgRefJSON, len(me.Orgs)),
		}
		for i, o := range me.Orgs {
			out.Orgs[i] = orgRefJSON{o.ID, o.Handle, o.Name, string(o.Kind), string(o.Role)}
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}
