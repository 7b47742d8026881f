package app

import (
	"context"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/scim"
)

// SCIMSignIn authenticates an identity provider by the org's SCIM bearer token, reading the
// org it names and what the route acts on (scim.UserRead, scim.ExternalIDRead) in the same
// round trip (scim.Service.SignIn): the authentication of the routes whose Auth is
// httpapi.SCIM.
type SCIMSignIn func(ctx context.Context, token string, reads []orgs.Read) (scim.Session, error)

// UseSCIMSignIn makes e sign identity providers in with what build returns (scimauth.Install),
// built when first asked for (by httpapi.Bind, at the cold start). Call it before anything
// asks for it.
func (e *Env) UseSCIMSignIn(build func() SCIMSignIn) { use(&e.scimSignIn, build) }

// SCIMSignIn returns what scimauth.Install installed: the generated main of a route whose Auth
// is httpapi.SCIM calls it, so that the sign-in (and the SCIM service it reaches) is linked
// into those functions only, not into every function whose glue has the SCIM case.
func (e *Env) SCIMSignIn() SCIMSignIn {
	return getInstalled(&e.scimSignIn, "app: no SCIM sign-in installed: a route whose Auth is SCIM has a main that calls scimauth.Install")
}
