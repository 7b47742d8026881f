package app

import "github.com/vendorportal/orgs/internal/licensing"

// Licensing returns the licensing service: catalog, licenses, trials, seats and the
// scheduled job's license task.
func (e *Env) Licensing() *licensing.Service {
	return get(&e.licensing, func() *licensing.Service {
		return &licensing.Service{Store: e.LicensingStore(), Now: e.Now, NewID: e.NewID, AppURL: e.Config.AppURL}
	})
}
