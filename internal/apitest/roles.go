package apitest

import (
	"context"

	"github.com/vendorportal/orgs/internal/customroles"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// CustomRole has admin define a custom role in the org and returns its id.
func (a *API) CustomRole(admin orgs.Caller, orgID, name string, perms ...roles.Permission) string {
	a.T.Helper()
	access, err := a.Env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.T.Fatal(err)
	}
	r, err := a.Env.CustomRoles().Create(context.Background(), access, customroles.Input{Name: name, Permissions: append([]roles.Permission{}, perms...)})
	if err != nil {
		a.T.Fatal(err)
	}
	return string(r.ID)
}
