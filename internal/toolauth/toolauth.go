// Package toolauth installs the tools' sign-in, HTTP Basic with a member's email and the org's
// access token, into a function's Env. The generated main of a route whose Auth is
// httpapi.Token calls Install (mainsrc.RouteInstalls); the other functions, whose glue never
// takes that branch, do not link the sign-in or the token keys.
package toolauth

import "github.com/vendorportal/orgs/internal/app"

// Install makes env sign tools in with its token service (app.Env.Tokens), built when the
// glue first asks for the sign-in.
func Install(env *app.Env) {
	env.UseToolSignIn(func() app.ToolSignIn { return env.Tokens().SignIn })
}
