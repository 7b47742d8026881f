package rolesapi

import (
	"context"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

type roleJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Permissions []string `json:"permissions"`
	BuiltIn     bool     `json:"builtIn"`
	MemberCount int      `json:"memberCount"`
}

func roleOut(r customroles.Role) roleJSON {
	perms := make([]string, len(r.Permissions))
	for i, p := range r.Permissions {
		perms[i] = string(p)
	}
	return roleJSON{
		ID: string(r.ID), Name: r.Name, Description: httpapi.Nullable(r.Description), Permissions: perms,
		BuiltIn: r.BuiltIn, MemberCount: r.MemberCount,
	}
}

func permissionsIn(ps []string) []roles.Permission {
	if ps == nil {
		return nil
	}
	out := make([]roles.Permission, len(ps))
	for i, p := range ps {
		out[i] = roles.Permission(p)
	}
	return out
}

func buildListRoles(env *app.Env) httpapi.Handler {
	svc := env.CustomRoles()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		all := svc.List(req.Access)
		out := httpapi.ListJSON[roleJSON]{Items: make([]roleJSON, len(all))}
		for i, r := range all {
			out.Items[i] = roleOut(r)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildCreateRole(env *app.Env) httpapi.Handler {
	svc := env.CustomRoles()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name        string   `json:"name"`
			Description *string  `json:"description"`
			Permissions []string `json:"permissions"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		desc := ""
		if in.Description != nil {
			desc = *in.Description
		}
		r, err := svc.Create(ctx, req.Access, customroles.Input{Name: in.Name, Description: desc, Permissions: permissionsIn(in.Permissions)})
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, roleOut(r)), nil
	}
}

// replayCreateRole answers a repeated role creation with the role the first request
// created, as it is now: read with the caller's membership in one round trip.
func replayCreateRole(env *app.Env) httpapi.Replayer {
	authz, svc := env.Orgs(), env.CustomRoles()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := authz.Authorize(ctx, req.Caller, req.Path("orgId"), roles.MembersManage)
		if err != nil {
			return nil, err
		}
		r, err := svc.Get(a, created.ID)
		if err != nil {
			return nil, apperr.New(apperr.NotFound, "the role this key created is gone")
		}
		return httpapi.JSON(http.StatusCreated, roleOut(r)), nil
	}
}

func buildUpdateRole(env *app.Env) httpapi.Handler {
	svc := env.CustomRoles()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name        httpapi.Optional[string]   `json:"name"`
			Description httpapi.Optional[string]   `json:"description"`
			Permissions httpapi.Optional[[]string] `json:"permissions"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Name.Null || in.Permissions.Null {
			return nil, apperr.New(apperr.Invalid, "name and permissions can't be null")
		}
		if !in.Name.Set && !in.Description.Set && !in.Permissions.Set {
			return nil, apperr.New(apperr.Invalid, "give name, description and/or permissions")
		}
		p := customroles.Patch{Name: in.Name.Ptr(), Description: in.Description.Ptr()}
		if in.Permissions.Set {
			perms := permissionsIn(in.Permissions.Value)
			if perms == nil {
				perms = []roles.Permission{}
			}
			p.Permissions = &perms
		}
		r, err := svc.Update(ctx, req.Access, roleID(req), p)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, roleOut(r)), nil
	}
}

func buildDeleteRole(env *app.Env) httpapi.Handler {
	svc := env.CustomRoles()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Delete(ctx, req.Access, roleID(req)); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

// roleID is the path's role id; one of the wrong shape names no role (404 unless it is a
// built-in's id: built-ins never change, 409).
func roleID(req *httpapi.Request) string { return req.Path("roleId") }
