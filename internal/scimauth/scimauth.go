// Package scimauth installs the SCIM sign-in, the org's SCIM bearer token, into a function's
// Env. The generated main of a route whose Auth is httpapi.SCIM calls Install
// (mainsrc.RouteInstalls); the other functions, whose glue never takes that branch, do not
// link the sign-in or the SCIM service.
package scimauth

import "github.com/vendorportal/orgs/internal/app"

// Install makes env sign identity providers in with its SCIM service (app.Env.SCIM), built
// when the glue first asks for the sign-in.
func Install(env *app.Env) {
	env.UseSCIMSignIn(func() app.SCIMSignIn { return env.SCIM().SignIn })
}
