package scim

import (
	"context"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// groupIDs lists the org's roles as group ids: the built-in ones, most powerful first, then
// the custom ones.
func groupIDs(o orgs.Org) []string {
	defs := o.Roles()
	ids := make([]string, 0, len(defs))
	for _, d := range defs {
		ids = append(ids, string(d.ID))
	}
	return ids
}

func (s *Service) group(o orgs.Org, id string, members []orgs.Member) Group {
	// A role keeps no times of its own: a group is as old as its org.
	g := Group{Schemas: []string{SchemaGroup}, ID: id, DisplayName: roleName(o)(id),
		Meta: Meta{ResourceType: resourceTypeGroup, Created: stamp(o.CreatedAt), LastModified: stamp(o.CreatedAt), Location: s.BaseURL + "/Groups/" + id}}
	for _, m := range members {
		g.Members = append(g.Members, MultiValue{Value: m.UserID, Display: m.Email})
	}
	return g
}

// The bounds of a group read. A group's members are one multi-valued attribute, which SCIM
// can't page (RFC 7644 pages resources, not values), so one answer carries them all; like
// the directories that serve SCIM (Oracle's refuses a group read past 10,000 members), a read
// that would carry more than DefaultGroupMemberLimit members is refused whole with tooMany,
// rather than cut short: a client told "these are the members" must get all of them.
// Identity providers don't ask for them (Okta and Entra send excludedAttributes=members),
// and a read without members reads no member. Members are read DefaultGroupMemberPage a
// Query (a page also ends at DynamoDB's 1 MB).
const (
	DefaultGroupMemberLimit = 10_000
	DefaultGroupMemberPage  = 1_000
)

func (s *Service) groupMemberLimit() int {
	if s.GroupMemberLimit > 0 {
		return s.GroupMemberLimit
	}
	return DefaultGroupMemberLimit
}

func (s *Service) groupMemberPage() int {
	if s.GroupMemberPage > 0 {
		return s.GroupMemberPage
	}
	return DefaultGroupMemberPage
}

// ListGroups answers GET /Groups: one group per role, displayName eq "…" filtering, each with
// its members (the role's holders) unless the projection leaves them out. With members it
// reads the org's members once, in one pass of pages grouped by role (one Query of the
// role's partition when the filter names one group): 1 + ⌊n/page⌋ + 1 calls for n members,
// 2 for an org of fewer than a page; none without members.
func (s *Service) ListGroups(ctx context.Context, ses Session, displayName string, p Projection) (ListResponse[Projected[Group]], error) {
	var ids []string
	for _, id := range groupIDs(ses.Org) {
		// displayName is not case-exact (RFC 7643 §4.2); a role's id still finds its group.
		if displayName == "" || strings.EqualFold(roleName(ses.Org)(id), displayName) || id == displayName {
			ids = append(ids, id)
		}
	}
	held := map[roles.Role][]orgs.Member{}
	switch {
	case !p.Members() || len(ids) == 0:
	case len(ids) == 1:
		hs, err := s.holders(ctx, ses.Org.ID, roles.Role(ids[0]))
		if err != nil {
			return ListResponse[Projected[Group]]{}, err
		}
		held[roles.Role(ids[0])] = hs
	default:
		if ses.Org.MemberCount > s.groupMemberLimit() {
			// Known from the org item: refused before any member is read.
			return ListResponse[Projected[Group]]{}, s.tooMany(allGroups)
		}
		all, err := s.members(ctx, ses.Org.ID, members.Filter{}, allGroups)
		if err != nil {
			return ListResponse[Projected[Group]]{}, err
		}
		for _, m := range all {
			held[m.Role] = append(held[m.Role], m)
		}
	}
	out := make([]Projected[Group], 0, len(ids))
	for _, id := range ids {
		out = append(out, Projected[Group]{Resource: s.group(ses.Org, id, held[roles.Role(id)]), Projection: p})
	}
	return NewList(out, 1, len(out)), nil
}

// GetGroup answers GET /Groups/{id} with the role's holders, one Query of the role's partition
// a page; with a projection that leaves the members out (Entra's check that a group exists),
// no Query.
func (s *Service) GetGroup(ctx context.Context, ses Session, id string, p Projection) (Projected[Group], error) {
	if !slices.Contains(groupIDs(ses.Org), id) {
		return Projected[Group]{}, Errorf(apperr.NotFound, "", "no group %s in this organization", id)
	}
	var holders []orgs.Member
	if p.Members() {
		var err error
		if holders, err = s.holders(ctx, ses.Org.ID, roles.Role(id)); err != nil {
			return Projected[Group]{}, err
		}
	}
	return Projected[Group]{Resource: s.group(ses.Org, id, holders), Projection: p}, nil
}

func (s *Service) holders(ctx context.Context, orgID string, role roles.Role) ([]orgs.Member, error) {
	return s.members(ctx, orgID, members.Filter{Role: role}, "the group "+string(role))
}

// members reads every member f selects, page by page, up to the group member limit: past it,
// tooMany (what names what was asked for).
func (s *Service) members(ctx context.Context, orgID string, f members.Filter, what string) ([]orgs.Member, error) {
	var out []orgs.Member
	p := paging.Request{Limit: s.groupMemberPage()}
	for {
		page, err := s.Store.Members(ctx, orgID, f, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Members...)
		if len(out) > s.groupMemberLimit() {
			return nil, s.tooMany(what)
		}
		if page.Next == "" {
			return out, nil
		}
		p.After = page.Next
	}
}

func (s *Service) tooMany(what string) error {
	hint := "ask with excludedAttributes=members (as Okta and Entra do)"
	if what == allGroups {
		hint += ", or for one group at a time"
	}
	return Errorf(apperr.Invalid, "tooMany", "%s would list more than %d members, more than one answer carries: %s", what, s.groupMemberLimit(), hint)
}

const allGroups = "the organization's groups"

// PatchGroup changes the holders of a role: members added get it, members removed become
// users; the last admin stays (409). Each member changed is one transaction.
//
// The answer is the group as GET /Groups/{id} with the projection p gives it; a group too
// large for one answer is answered with no body (nil: 204, as RFC 7644 §3.5.2 allows), the
// change being made.
func (s *Service) PatchGroup(ctx context.Context, ses Session, id string, ch GroupChange, p Projection) (*Projected[Group], error) {
	if !slices.Contains(groupIDs(ses.Org), id) {
		return nil, Errorf(apperr.NotFound, "", "no group %s in this organization", id)
	}
	role := roles.Role(id)
	if ch.DisplayName != nil && *ch.DisplayName != roleName(ses.Org)(id) {
		return nil, Errorf(apperr.Invalid, "mutability", "groups are the organization's roles: rename a custom role in the portal")
	}
	add, remove := ch.Add, ch.Remove
	if ch.Replace {
		holders, err := s.holders(ctx, ses.Org.ID, role)
		if err != nil {
			return nil, err
		}
		add = ch.Set
		for _, h := range holders {
			if !slices.Contains(ch.Set, h.UserID) {
				remove = append(remove, h.UserID)
				ses.Members[h.UserID] = h
			}
		}
	}
	for _, uid := range add {
		if _, ok := ses.Members[uid]; !ok {
			return nil, Errorf(apperr.Invalid, "invalidValue", "member %s is not a user of this organization", uid)
		}
	}
	// Each member's role after the change: members added get the role, members removed from
	// it become users; a member named twice is changed once (the second write would find the
	// role it read changed by the first), an addition winning over a removal.
	var order []string
	next := map[string]roles.Role{}
	for _, uid := range add {
		if _, seen := next[uid]; !seen {
			next[uid] = role
			order = append(order, uid)
		}
	}
	for _, uid := range remove {
		m, ok := ses.Members[uid]
		if _, seen := next[uid]; seen || !ok || m.Role != role || role == roles.User {
			continue
		}
		next[uid] = roles.User
		order = append(order, uid)
	}
	// The last-admin rule holds for the whole change, before anything is written: the change
	// is one transaction per member, so a refusal halfway would leave half of it done. The
	// count is the org's, of the admins who can act (orgs.Member.CountsAsAdmin): a suspended
	// member made admin adds none, a suspended admin demoted takes none away.
	admins := ses.Org.AdminCount
	for uid, r := range next {
		before := ses.Members[uid]
		after := before
		after.Role = r
		admins += boolInt(after.CountsAsAdmin()) - boolInt(before.CountsAsAdmin())
	}
	if admins < 1 && admins < ses.Org.AdminCount {
		return nil, Errorf(apperr.Conflict, "", "the organization must keep at least one active admin: add another admin to the admin group first")
	}
	for _, uid := range order {
		if err := s.SetRole(ctx, ses, ses.Members[uid], next[uid]); err != nil {
			return nil, err
		}
	}
	g, err := s.GetGroup(ctx, ses, id, p)
	if TypeOf(err) == "tooMany" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// MemberIDs lists the user ids a group PATCH names, so that they are read with the token.
func (ch GroupChange) MemberIDs() []string {
	return slices.Concat(ch.Add, ch.Remove, ch.Set)
}

// CheckSize refuses a change naming more than MaxGroupPatchMembers members (counted once
// each). It reads nothing; the handler authenticates first, reading none of the members of a
// change it refuses, so that a forged token still gets its 401.
func (ch GroupChange) CheckSize() error {
	ids := ch.MemberIDs()
	if len(ids) <= MaxGroupPatchMembers {
		return nil
	}
	distinct := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		distinct[id] = struct{}{}
	}
	if len(distinct) <= MaxGroupPatchMembers {
		return nil
	}
	return Errorf(apperr.Invalid, "tooMany", "a group PATCH names at most %d members; this one names %d: send the change in several requests", MaxGroupPatchMembers, len(distinct))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
