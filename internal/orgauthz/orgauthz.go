// Package orgauthz installs the authorization step of the org routes (orgs.Service.AuthorizeFor)
// into a function's Env. The generated main of a route acting inside one org as one of its
// members (httpapi.Route.OrgScoped) calls Install (mainsrc.RouteInstalls); the other
// functions, whose glue never takes that branch, do not link the step.
package orgauthz

import "github.com/vendorportal/orgs/internal/app"

// Install makes env authorize with its org service (app.Env.Orgs), built when the glue first
// asks for the step.
func Install(env *app.Env) {
	env.UseAuthorizer(func() app.Authorizer { return env.Orgs().AuthorizeFor })
}
