// Package routes is the route table: every route of the HTTP API, each declared in the edge
// package of its capability (internal/httpapi/<cap>api). The function generator, the CDK stack,
// local mode, the local gateway and the tests read it; no function's binary imports it.
package routes

import (
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/oidcapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/httpapi/ticketsapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/httpapi/webhooksapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/mainsrc"
	"github.com/vendorportal/orgs/internal/triggers"
)

// module is the import path of the module's internal/ folder.
const module = "github.com/vendorportal/orgs/internal/"

// Package is the import path, below internal/, of the edge package that declares r (such as
// "httpapi/orgsapi"): the package of its Build, which lives beside the route.
func Package(r *httpapi.Route) string {
	name := runtime.FuncForPC(reflect.ValueOf(r.Build).Pointer()).Name()
	dir, fn := path.Split(name)
	pkg, _, _ := strings.Cut(fn, ".")
	return strings.TrimPrefix(dir+pkg, module)
}

// Of returns the routes of the edge package pkg (as Package names it), in the table's order.
func Of(pkg string) []*httpapi.Route {
	var out []*httpapi.Route
	for _, r := range All() {
		if Package(r) == pkg {
			out = append(out, r)
		}
	}
	return out
}

// MainSource is the source of functions/<r.Name>/main.go (mainsrc.MainSource): it starts the
// route's variable of its edge package.
func MainSource(r *httpapi.Route) string { return mainsrc.MainSource(Package(r), r) }

// All returns the route table: the core routes, then each capability's list. It is a
// function, not a package-level slice, and it builds its lists when called: a slice built at
// init (as a package-level one naming other packages' variables is) would reach every
// route's Build, and with them every handler, domain package and client of the service, into
// each binary importing this package (package size and cold start, see infra/coldstart). A
// function's main names its own route only, in its edge package.
func All() []*httpapi.Route {
	coreRoutes := []*httpapi.Route{
		orgsapi.GetConfig, accountapi.GetMe, orgsapi.CreateOrg, orgsapi.ListOrgs, orgsapi.GetOrg,
		orgsapi.UpdateOrg, orgsapi.ChangeHandle, orgsapi.DeleteOrg,
		accountapi.UpdateMe, accountapi.RequestEmailChange, accountapi.ConfirmEmailChange, accountapi.DeleteMe,
		eventsapi.ListEvents, eventsapi.GetEvent, eventsapi.ExportEvents,
		membersapi.ListMembers, membersapi.UpdateMember, membersapi.RemoveMember,
		invitesapi.ListInvites, invitesapi.CreateInvite, invitesapi.CreateInvitesBulk, invitesapi.ResendInvite, invitesapi.RevokeInvite, invitesapi.PreviewInvite, invitesapi.AcceptInvite,
		provisioningapi.GetUserProperties, provisioningapi.PutUserProperties, provisioningapi.ListDomains, provisioningapi.AddDomain, provisioningapi.VerifyDomain, provisioningapi.UpdateDomain, provisioningapi.RemoveDomain, provisioningapi.SuggestedOrgs, provisioningapi.JoinOrg, provisioningapi.CreateMember, provisioningapi.CreateMembersBulk, provisioningapi.ResetMemberPassword, provisioningapi.ListLegacyUsers, provisioningapi.MigrateLegacyUsers, provisioningapi.ImportMembers, provisioningapi.GetImport, provisioningapi.ImportTemplate,
	}
	ticketRoutes := []*httpapi.Route{
		ticketsapi.ListTickets, ticketsapi.CreateTicket, ticketsapi.GetTicket, ticketsapi.CommentTicket, ticketsapi.UpdateTicket,
		ticketsapi.OperatorTicketQueue, ticketsapi.OperatorGetTicket, ticketsapi.OperatorCommentTicket, ticketsapi.OperatorUpdateTicket,
	}
	oidcRoutes := []*httpapi.Route{oidcapi.GitHubOIDCDiscovery, oidcapi.GitHubOIDCJWKS, oidcapi.GitHubOIDCAuthorize, oidcapi.GitHubOIDCCallback, oidcapi.GitHubOIDCToken, oidcapi.GitHubOIDCUserinfo}
	scimRoutes := []*httpapi.Route{
		scimapi.CreateSCIMToken, scimapi.RevokeSCIMToken,
		scimapi.SCIMServiceProviderConfig, scimapi.SCIMResourceTypes, scimapi.SCIMSchemas, scimapi.SCIMResourceType, scimapi.SCIMSchema,
		scimapi.SCIMListUsers, scimapi.SCIMCreateUser, scimapi.SCIMGetUser, scimapi.SCIMReplaceUser, scimapi.SCIMPatchUser, scimapi.SCIMDeleteUser,
		scimapi.SCIMListGroups, scimapi.SCIMGetGroup, scimapi.SCIMPatchGroup,
		scimapi.SCIMNotFound,
	}
	licensingRoutes := []*httpapi.Route{
		licensingapi.ListCatalogProducts, licensingapi.GetCatalogProduct, licensingapi.PutProduct,
		licensingapi.ListLicenses, licensingapi.StartTrial, licensingapi.ListSeats, licensingapi.AssignSeat, licensingapi.ReleaseSeat,
		licensingapi.OperatorFindOrgs, licensingapi.OperatorListLicenses, licensingapi.OperatorGrantLicense, licensingapi.OperatorUpdateLicense,
	}
	webhookRoutes := []*httpapi.Route{webhooksapi.ListWebhooks, webhooksapi.CreateWebhook, webhooksapi.UpdateWebhook, webhooksapi.DeleteWebhook, webhooksapi.RotateWebhookSecret, webhooksapi.ListWebhookDeliveries, webhooksapi.RedeliverWebhook}
	tokenRoutes := []*httpapi.Route{tokensapi.GetToken, tokensapi.RegenerateToken, tokensapi.ResetAuth, tokensapi.GetUsage, tokensapi.GetEntitlements,
		tokensapi.ListMyTokens, tokensapi.CreateMyToken, tokensapi.RevokeMyToken, tokensapi.ListOrgTokens, tokensapi.RevokeOrgToken,
		tokensapi.StartDevice, tokensapi.PollDevice, tokensapi.GetDevice, tokensapi.ApproveDevice, tokensapi.DenyDevice}
	rolesRoutes := []*httpapi.Route{rolesapi.ListRoles, rolesapi.CreateRole, rolesapi.UpdateRole, rolesapi.DeleteRole}
	return slices.Concat(coreRoutes, ticketRoutes, oidcRoutes, scimRoutes, licensingRoutes, webhookRoutes, tokenRoutes, rolesRoutes)
}

// Grants are the grants of every function: the route table's and the non-HTTP functions'
// (triggers.Functions).
func Grants() []iam.Grant {
	var gs []iam.Grant
	for _, r := range All() {
		gs = append(gs, r.Grant())
	}
	for _, f := range triggers.Functions {
		gs = append(gs, f.Grant())
	}
	return gs
}
