package app

import (
	"context"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Authorizer is the authorization step of an org route (orgs.Service.AuthorizeFor): the
// caller's membership and role in the org, and the subject the route acts on, in one round
// trip.
type Authorizer func(ctx context.Context, c orgs.Caller, orgID string, subj orgs.Subject, anyOf ...roles.Permission) (orgs.Access, error)

// UseAuthorizer makes e authorize with what build returns (orgauthz.Install), built when first
// asked for (by httpapi.Bind, at the cold start). Call it before anything asks for it.
func (e *Env) UseAuthorizer(build func() Authorizer) { use(&e.authorizer, build) }

// Authorizer returns what orgauthz.Install installed: the generated main of an org route
// (httpapi.Route.OrgScoped) calls it, so that the step, which reads every kind of subject, is
// linked into those functions only, not into every function whose glue has the branch.
func (e *Env) Authorizer() Authorizer {
	return getInstalled(&e.authorizer, "app: no org authorization installed: an org route (Route.OrgScoped) has a main that calls orgauthz.Install")
}
