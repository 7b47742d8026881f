// Package customroles is the capability of an org's own roles: an org-defined name,
// description and subset of the permissions, next to the five built-ins. The definitions
// live with the org (orgs.Org.CustomRoles), so that the authorization step that reads the org
// knows every member's permissions; this package creates, changes and deletes them, with the
// rule that no one defines a role holding a permission they lack themselves.
package customroles

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// ErrRoleInUse: a member or a pending invite holds the role.
var ErrRoleInUse = apperr.New(apperr.Conflict, "a member or a pending invite holds this role: give them another role (or revoke the invites) first")

// Write is one change of an org's custom roles: the whole set as it will be.
type Write struct {
	OrgID string
	// Version is the org's RolesVersion as read; the write makes it Version+1.
	Version int
	After   []roles.Definition
	// Deleted, when set, is the role the change removes: no member or pending invite may
	// hold it.
	Deleted roles.Role
	// Actor is the caller's membership as read: the write holds only while it still has
	// that role.
	Actor orgs.Member
	Event audit.Event
}

// Store is the persistence custom roles need.
type Store interface {
	// WriteRoles replaces the org's custom roles with w.After and bumps their version, with
	// the event, all or nothing: orgs.ErrRolesChanged unless the version is still w.Version
	// (so two concurrent changes never both count against the limit or both take one name),
	// orgs.ErrOrgGone when the org is gone, orgs.ErrActorChanged when the actor's role
	// changed, ErrRoleInUse when w.Deleted is still held by a member or a pending invite.
	WriteRoles(ctx context.Context, w Write) error
}

// Service runs the custom role use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	NewID func() string
}

// Role is a role of an org as GET .../roles shows it.
type Role struct {
	roles.Definition
	// MemberCount is how many members hold the role (pending invites not included).
	MemberCount int
}

// Input is a role to create.
type Input struct {
	Name        string
	Description string
	// Permissions is required (it may be empty).
	Permissions []roles.Permission
}

// Patch is a change of a role; nil fields stay as they are.
type Patch struct {
	Name        *string
	Description *string
	Permissions *[]roles.Permission
}

// Text bounds.
const (
	maxName        = 100
	maxDescription = 500
)

// List returns every role of the org, the built-ins first, with their holders: read with the
// org by the authorization step, so it costs no further call.
func (s *Service) List(a orgs.Access) []Role {
	defs := a.Org.Roles()
	out := make([]Role, len(defs))
	for i, d := range defs {
		out[i] = view(a.Org, d)
	}
	return out
}

// Get returns one of the org's roles.
func (s *Service) Get(a orgs.Access, id string) (Role, error) {
	d, ok := a.Org.Role(roles.Role(id))
	if !ok {
		return Role{}, errNotFound
	}
	return view(a.Org, d), nil
}

func view(o orgs.Org, d roles.Definition) Role {
	return Role{Definition: d, MemberCount: max(o.RoleMembers[d.ID], 0)}
}

var errNotFound = apperr.New(apperr.NotFound, "role not found")

// Create defines a new custom role. The caller must hold every permission it gives (403);
// at most roles.MaxCustom per org (409); its name is the org's alone, case-insensitively,
// and not a built-in's (409).
func (s *Service) Create(ctx context.Context, a orgs.Access, in Input) (Role, error) {
	if err := shared(a); err != nil {
		return Role{}, err
	}
	d := roles.Definition{ID: roles.Role(roles.CustomPrefix + s.NewID())}
	var err error
	if d.Name, err = s.name(a, in.Name, ""); err != nil {
		return Role{}, err
	}
	if d.Description, err = orgs.CleanText("description", in.Description, maxDescription, false); err != nil {
		return Role{}, err
	}
	if in.Permissions == nil {
		return Role{}, apperr.New(apperr.Invalid, "permissions is required: a list of permissions (it may be empty)")
	}
	if d.Permissions, err = permissions(in.Permissions); err != nil {
		return Role{}, err
	}
	if !a.CanDefine(d.Permissions) {
		return Role{}, forbidden(a, d.Permissions)
	}
	if len(a.Org.CustomRoles) >= roles.MaxCustom {
		return Role{}, apperr.New(apperr.Conflict, "an organization may define at most %d custom roles; delete one first", roles.MaxCustom)
	}
	ev := s.event(ctx, a, "role.created", d, fmt.Sprintf("%s created the role %s", a.Member.Email, d.Name),
		map[string]any{"name": d.Name, "description": d.Description, "permissions": strs(d.Permissions)})
	after := append(slices.Clone(a.Org.CustomRoles), d)
	if err := s.Store.WriteRoles(ctx, Write{OrgID: a.Org.ID, Version: a.Org.RolesVersion, After: after, Actor: a.Member, Event: ev}); err != nil {
		return Role{}, err
	}
	return Role{Definition: d}, nil
}

// Update changes a custom role's name, description or permissions; it applies to its holders
// from their next request on. A change that adds permissions needs the caller to hold each
// one (403); one that only takes permissions away is always allowed. Built-in roles never
// change (409). A change that takes products.access away records its time on the role
// (TokensSince): the personal tool tokens its holders made before it are dead for good.
func (s *Service) Update(ctx context.Context, a orgs.Access, id string, in Patch) (Role, error) {
	before, i, err := custom(a, id)
	if err != nil {
		return Role{}, err
	}
	after := before
	if in.Name != nil {
		if after.Name, err = s.name(a, *in.Name, before.ID); err != nil {
			return Role{}, err
		}
	}
	if in.Description != nil {
		if after.Description, err = orgs.CleanText("description", *in.Description, maxDescription, false); err != nil {
			return Role{}, err
		}
	}
	if in.Permissions != nil {
		if *in.Permissions == nil {
			return Role{}, apperr.New(apperr.Invalid, "permissions must be a list (it may be empty)")
		}
		if after.Permissions, err = permissions(*in.Permissions); err != nil {
			return Role{}, err
		}
		if gained := roles.Gained(before.Permissions, after.Permissions); !a.CanDefine(gained) {
			return Role{}, forbidden(a, gained)
		}
	}
	changes := map[string]any{}
	if after.Name != before.Name {
		changes["name"] = map[string]any{"from": before.Name, "to": after.Name}
	}
	if after.Description != before.Description {
		changes["description"] = map[string]any{"from": before.Description, "to": after.Description}
	}
	if !slices.Equal(after.Permissions, before.Permissions) {
		changes["permissions"] = map[string]any{
			"from": strs(before.Permissions), "to": strs(after.Permissions),
			"added": strs(roles.Gained(before.Permissions, after.Permissions)), "removed": strs(roles.Gained(after.Permissions, before.Permissions)),
		}
	}
	if len(changes) == 0 {
		return view(a.Org, before), nil
	}
	if before.Has(roles.ProductsAccess) && !after.Has(roles.ProductsAccess) {
		// The holders' personal tool tokens die now, in this write, and stay dead when the
		// permission comes back (tokens.PersonalToken.AliveFor): no holder's item is touched.
		after.TokensSince = s.Now().UTC()
	}
	ev := s.event(ctx, a, "role.updated", after, fmt.Sprintf("%s changed the role %s", a.Member.Email, after.Name), changes)
	defs := slices.Clone(a.Org.CustomRoles)
	defs[i] = after
	if err := s.Store.WriteRoles(ctx, Write{OrgID: a.Org.ID, Version: a.Org.RolesVersion, After: defs, Actor: a.Member, Event: ev}); err != nil {
		return Role{}, err
	}
	return view(a.Org, after), nil
}

// Delete removes a custom role that no member and no pending invite holds (409 otherwise).
func (s *Service) Delete(ctx context.Context, a orgs.Access, id string) error {
	d, i, err := custom(a, id)
	if err != nil {
		return err
	}
	if a.Org.RoleMembers[d.ID] > 0 || a.Org.RoleInvites[d.ID] > 0 {
		return apperr.New(apperr.Conflict, "%d members and %d pending invites hold the role %s: give them another role (or revoke the invites) first",
			max(a.Org.RoleMembers[d.ID], 0), max(a.Org.RoleInvites[d.ID], 0), d.Name)
	}
	ev := s.event(ctx, a, "role.deleted", d, fmt.Sprintf("%s deleted the role %s", a.Member.Email, d.Name),
		map[string]any{"name": d.Name, "permissions": strs(d.Permissions)})
	defs := slices.Delete(slices.Clone(a.Org.CustomRoles), i, i+1)
	return s.Store.WriteRoles(ctx, Write{OrgID: a.Org.ID, Version: a.Org.RolesVersion, After: defs, Deleted: d.ID, Actor: a.Member, Event: ev})
}

// custom finds the custom role id names: a built-in's id is a conflict (they never change),
// anything else that is not one of the org's custom roles is not found.
func custom(a orgs.Access, id string) (roles.Definition, int, error) {
	if roles.Role(id).Valid() {
		return roles.Definition{}, 0, apperr.New(apperr.Conflict, "%s is a built-in role: built-in roles can't be changed or deleted", id)
	}
	for i, d := range a.Org.CustomRoles {
		if string(d.ID) == id {
			return d, i, nil
		}
	}
	return roles.Definition{}, 0, errNotFound
}

// shared refuses custom roles in personal accounts: they have one member, an admin.
func shared(a orgs.Access) error {
	if a.Org.Kind != orgs.Shared {
		return apperr.New(apperr.Conflict, "a personal account has no custom roles")
	}
	return nil
}

// name validates a role's name: unique in the org case-insensitively (but for the role self
// itself), and not a built-in's id or name.
func (s *Service) name(a orgs.Access, name string, self roles.Role) (string, error) {
	n, err := orgs.CleanText("name", name, maxName, true)
	if err != nil {
		return "", err
	}
	if roles.NamedLikeBuiltIn(n) {
		return "", apperr.New(apperr.Conflict, "%q is the name of a built-in role; choose another", n)
	}
	for _, d := range a.Org.CustomRoles {
		if d.ID != self && strings.EqualFold(d.Name, n) {
			return "", apperr.New(apperr.Conflict, "the organization has a role named %q already; choose another name", d.Name)
		}
	}
	return n, nil
}

func permissions(in []roles.Permission) ([]roles.Permission, error) {
	out, bad := roles.Canonical(in)
	if bad != "" {
		names := strs(roles.Assignable)
		return nil, apperr.New(apperr.Invalid, "%q is not a permission; permissions are %s", truncate(string(bad), 64), strings.Join(names, ", "))
	}
	return out, nil
}

func forbidden(a orgs.Access, wanted []roles.Permission) error {
	var lacking []string
	for _, p := range wanted {
		if !a.CanDefine([]roles.Permission{p}) {
			lacking = append(lacking, string(p))
		}
	}
	return apperr.New(apperr.Forbidden, "your role (%s) lacks %s: no one gives a role a permission they don't hold", a.RoleName(), strings.Join(lacking, ", "))
}

func (s *Service) event(ctx context.Context, a orgs.Access, action string, d roles.Definition, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "role", ID: string(d.ID), Label: d.Name},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

func strs(ps []roles.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
