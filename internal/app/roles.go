package app

import "github.com/vendorportal/orgs/internal/customroles"

// CustomRoles returns the service of the org-defined roles.
func (e *Env) CustomRoles() *customroles.Service {
	return get(&e.customRoles, func() *customroles.Service {
		return &customroles.Service{Store: e.RolesStore(), Now: e.Now, NewID: e.NewID}
	})
}
