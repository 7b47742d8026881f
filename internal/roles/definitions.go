package roles

import (
	"slices"
	"strings"
	"time"
)

// Roles as data. A role is an id, a name and a set of permissions: the five built-ins have
// fixed ids and the sets of the matrix; an org may define custom roles (ids issued by the
// server, CustomPrefix + a ULID) holding any subset of the Assignable permissions. Whatever
// the kind, what a member may do is the set of their role (see orgs.Access), and no one
// grants a set that is not a subset of their own (Covers).

// CustomPrefix starts every custom role id, so that a custom id can never be a built-in one
// and a path id of the wrong shape is refused without a read.
const CustomPrefix = "role_"

// MaxCustom is how many custom roles one org may define.
const MaxCustom = 20

// Definition is a role as an org sees it: built-in or custom.
type Definition struct {
	ID          Role
	Name        string
	Description string
	// Permissions is the role's own set, in the order of Assignable.
	Permissions []Permission
	BuiltIn     bool
	// TokensSince is when a custom role last lost products.access (zero: never): its
	// holders' personal tool tokens made before it no longer sign in, so that giving the
	// permission back does not bring them back to life (package tokens). Built-ins never
	// change, so theirs is zero.
	TokensSince time.Time
}

// Has reports whether the role carries p. A role with invites.manage may create invites.
func (d Definition) Has(p Permission) bool {
	return slices.Contains(d.Permissions, p) || p == InvitesCreate && slices.Contains(d.Permissions, InvitesManage)
}

// Covers reports whether d carries every permission of other: whether a holder of d may give
// other to someone (no one grants a role with more permissions than their own).
func (d Definition) Covers(other Definition) bool {
	for _, p := range other.Permissions {
		if !d.Has(p) {
			return false
		}
	}
	return true
}

// Gained lists the permissions after holds and before does not: what a change of a role's
// permissions adds.
func Gained(before, after []Permission) []Permission {
	var out []Permission
	for _, p := range after {
		if !slices.Contains(before, p) {
			out = append(out, p)
		}
	}
	return out
}

// Assignable lists the permissions of the contract, in the matrix's order: the ones a custom
// role may hold. (InvitesCreate is not one: it comes with invites.manage.)
var Assignable = []Permission{
	OrgRead, ProductsAccess, TokenView, SupportAccess,
	MembersRead, InvitesRead, EventsRead, SettingsRead,
	LicensesRead, UsageRead, BillingRead, BillingManage,
	MembersManage, InvitesManage, SettingsManage, LicensesManage, TokenRegenerate, AuthReset, OrgDelete,
}

// Canonical returns perms without duplicates in the order of Assignable, and the first one
// that is not assignable ("" when all are).
func Canonical(perms []Permission) ([]Permission, Permission) {
	for _, p := range perms {
		if !slices.Contains(Assignable, p) {
			return nil, p
		}
	}
	out := []Permission{}
	for _, p := range Assignable {
		if slices.Contains(perms, p) {
			out = append(out, p)
		}
	}
	return out, ""
}

// builtInNames are the display names of the built-ins.
var builtInNames = map[Role]string{
	Admin: "Admin", ViewerAdmin: "Viewer admin", BillingAdmin: "Billing admin", User: "User", SupportOnly: "Support only",
}

var builtInDescriptions = map[Role]string{
	Admin:        "Everything, including members, settings, licenses, the access token and deleting the organization",
	ViewerAdmin:  "Reads everything an admin sees, changes nothing",
	BillingAdmin: "Licenses, usage and billing, and the billing contacts",
	User:         "Products, the access token and support",
	SupportOnly:  "Support only",
}

// BuiltIn returns the definition of a built-in role; false for any other id.
func BuiltIn(r Role) (Definition, bool) {
	if !r.Valid() {
		return Definition{}, false
	}
	perms := []Permission{}
	for _, p := range Assignable {
		if r.Has(p) {
			perms = append(perms, p)
		}
	}
	return Definition{ID: r, Name: builtInNames[r], Description: builtInDescriptions[r], Permissions: perms, BuiltIn: true}, true
}

// BuiltIns returns the built-in definitions, most powerful first.
func BuiltIns() []Definition {
	out := make([]Definition, len(All))
	for i, r := range All {
		out[i], _ = BuiltIn(r)
	}
	return out
}

// NamedLikeBuiltIn reports whether name is, case-insensitively, a built-in role's id or name:
// a custom role may not take one.
func NamedLikeBuiltIn(name string) bool {
	for _, r := range All {
		if strings.EqualFold(name, string(r)) || strings.EqualFold(name, builtInNames[r]) {
			return true
		}
	}
	return false
}

// IsCustomID reports whether s has the shape of a custom role id: CustomPrefix and a
// lower-cased ULID.
func IsCustomID(s string) bool {
	rest, ok := strings.CutPrefix(s, CustomPrefix)
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}

// Custom reports whether r is a custom role id (by shape: it may name no role of an org).
func (r Role) Custom() bool { return IsCustomID(string(r)) }
