package membersapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func buildListMembers(env *app.Env) httpapi.Handler {
	svc := env.Members()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		role, q, source := req.Query("role"), req.Query("q"), req.Query("source")
		query := "role=" + role + "\x00q=" + orgs.NormalizeQuery(q) + "\x00source=" + source
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(ctx, req.Access, role, q, source, p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[httpapi.MemberJSON]{Items: make([]httpapi.MemberJSON, len(page.Members)), NextCursor: req.Cursor(query, page.Next)}
		for i, m := range page.Members {
			out.Items[i] = httpapi.MemberOut(req.Access.Org, m)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildUpdateMember(env *app.Env) httpapi.Handler {
	svc := env.Members()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Role       *string                  `json:"role"`
			Name       httpapi.Optional[string] `json:"name"`
			Phone      httpapi.Optional[string] `json:"phone"`
			Properties json.RawMessage          `json:"properties"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		upd := members.Update{Name: in.Name.Ptr(), Phone: in.Phone.Ptr()}
		if in.Role != nil {
			r := roles.Role(*in.Role)
			upd.Role = &r
		}
		if len(in.Properties) > 0 {
			if !bytes.HasPrefix(bytes.TrimSpace(in.Properties), []byte("{")) || json.Unmarshal(in.Properties, &upd.Properties) != nil {
				return nil, apperr.New(apperr.Invalid, "properties must be an object of strings, numbers and booleans")
			}
			upd.SetProperties = true
		}
		m, err := svc.Update(ctx, req.Access, upd)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, httpapi.MemberOut(req.Access.Org, m)), nil
	}
}

func buildRemoveMember(env *app.Env) httpapi.Handler {
	svc := env.Members()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Remove(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
