package app

import (
	"context"

	"github.com/vendorportal/orgs/internal/tokens"
)

// ToolSignIn signs a tool in with a member's email and the org's access token
// (tokens.Service.SignIn): the authentication of the routes whose Auth is httpapi.Token.
type ToolSignIn func(ctx context.Context, email, token string) (tokens.Entitlements, error)

// UseToolSignIn makes e sign tools in with what build returns (toolauth.Install), built when
// first asked for (by httpapi.Bind, at the cold start). Call it before anything asks for it.
func (e *Env) UseToolSignIn(build func() ToolSignIn) { use(&e.toolSignIn, build) }

// ToolSignIn returns what toolauth.Install installed: the generated main of a route whose
// Auth is httpapi.Token calls it, so that the sign-in (and the token keys it needs) is linked
// into those functions only, not into every function whose glue has the Token case.
func (e *Env) ToolSignIn() ToolSignIn {
	return getInstalled(&e.toolSignIn, "app: no tool sign-in installed: a route whose Auth is Token has a main that calls toolauth.Install")
}
