// Package roles holds the built-in roles of an organization and the permissions behind each.
// The matrix lives here and nowhere else: routes name a permission, and this package decides.
package roles

import "slices"

// OperatorsGroup is the Cognito group of the vendor's operators: the JWT's cognito:groups
// claim names it, the user pool defines it, operator routes require it.
const OperatorsGroup = "operators"

// Role is one of the built-in role ids. The ids never change.
type Role string

// The built-in roles.
const (
	Admin        Role = "admin"
	User         Role = "user"
	SupportOnly  Role = "support_only"
	ViewerAdmin  Role = "viewer_admin"
	BillingAdmin Role = "billing_admin"
)

// All lists the built-in roles, most powerful first.
var All = []Role{Admin, ViewerAdmin, BillingAdmin, User, SupportOnly}

// Permission is one thing a member may do in an org.
type Permission string

// The permissions of the contract.
const (
	OrgRead         Permission = "org.read"
	ProductsAccess  Permission = "products.access"
	TokenView       Permission = "token.view"
	SupportAccess   Permission = "support.access"
	MembersRead     Permission = "members.read"
	InvitesRead     Permission = "invites.read"
	EventsRead      Permission = "events.read"
	SettingsRead    Permission = "settings.read"
	LicensesRead    Permission = "licenses.read"
	UsageRead       Permission = "usage.read"
	BillingRead     Permission = "billing.read"
	BillingManage   Permission = "billing.manage"
	MembersManage   Permission = "members.manage"
	InvitesManage   Permission = "invites.manage"
	SettingsManage  Permission = "settings.manage"
	LicensesManage  Permission = "licenses.manage"
	TokenRegenerate Permission = "token.regenerate"
	AuthReset       Permission = "auth.reset"
	OrgDelete       Permission = "org.delete"
	// InvitesCreate is creating invites (not resending or revoking them). It comes with
	// invites.manage; the org setting membersCanInvite extends it to the role user (see
	// orgs.Access.Allows, the one place where settings widen the matrix).
	InvitesCreate Permission = "invites.create"
)

var (
	everyone  = []Permission{OrgRead, SupportAccess}
	readAdmin = []Permission{MembersRead, InvitesRead, EventsRead, SettingsRead}
	billRead  = []Permission{LicensesRead, UsageRead, BillingRead}
	adminOnly = []Permission{MembersManage, InvitesManage, InvitesCreate, SettingsManage, LicensesManage, TokenRegenerate, AuthReset, OrgDelete}
	permsOf   = map[Role][]Permission{
		Admin:        concat(everyone, []Permission{ProductsAccess, TokenView, BillingManage}, readAdmin, billRead, adminOnly),
		ViewerAdmin:  concat(everyone, []Permission{ProductsAccess, TokenView}, readAdmin, billRead),
		BillingAdmin: concat(everyone, []Permission{ProductsAccess, BillingManage}, billRead),
		User:         concat(everyone, []Permission{ProductsAccess, TokenView}),
		SupportOnly:  concat(everyone),
	}
)

func concat(groups ...[]Permission) []Permission {
	var out []Permission
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Valid reports whether r is a built-in role id.
func (r Role) Valid() bool {
	_, ok := permsOf[r]
	return ok
}

// Has reports whether role r carries permission p. Unknown roles carry nothing.
func (r Role) Has(p Permission) bool {
	return slices.Contains(permsOf[r], p)
}

// Permissions returns the permissions of r.
func (r Role) Permissions() []Permission {
	return slices.Clone(permsOf[r])
}
