package scim

import (
	"context"
	"slices"

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
	g := Group{Schemas: []string{SchemaGroup}, ID: id, DisplayName: roleName(o)(id),
		Meta: Meta{ResourceType: resourceTypeGroup, Location: s.BaseURL + "/Groups/" + id}}
	for _, m := range members {
		g.Members = append(g.Members, MultiValue{Value: m.UserID, Display: m.Email})
	}
	return g
}

// ListGroups answers GET /Groups: one group per role, without their members (ask for one
// group to see its members); displayName eq "…" filters.
func (s *Service) ListGroups(ses Session, displayName string) ListResponse[Group] {
	var out []Group
	for _, id := range groupIDs(ses.Org) {
		g := s.group(ses.Org, id, nil)
		if displayName == "" || g.DisplayName == displayName {
			out = append(out, g)
		}
	}
	return NewList(out, 1, len(out))
}

// GetGroup answers GET /Groups/{id} with the role's holders: one Query of the role index.
func (s *Service) GetGroup(ctx context.Context, ses Session, id string) (Group, error) {
	if !slices.Contains(groupIDs(ses.Org), id) {
		return Group{}, Errorf(404, "", "no group %s in this organization", id)
	}
	holders, err := s.holders(ctx, ses.Org.ID, roles.Role(id))
	if err != nil {
		return Group{}, err
	}
	return s.group(ses.Org, id, holders), nil
}

func (s *Service) holders(ctx context.Context, orgID string, role roles.Role) ([]orgs.Member, error) {
	var out []orgs.Member
	p := paging.Request{Limit: paging.MaxLimit}
	for {
		page, err := s.Store.Members(ctx, orgID, orgs.MemberFilter{Role: role}, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Members...)
		if page.Next == "" {
			return out, nil
		}
		p.After = page.Next
	}
}

// PatchGroup changes the holders of a role: members added get it, members removed become
// users; the last admin stays (409). Each member changed is one transaction.
func (s *Service) PatchGroup(ctx context.Context, ses Session, id string, ch GroupChange) (Group, error) {
	if !slices.Contains(groupIDs(ses.Org), id) {
		return Group{}, Errorf(404, "", "no group %s in this organization", id)
	}
	role := roles.Role(id)
	if ch.DisplayName != nil && *ch.DisplayName != roleName(ses.Org)(id) {
		return Group{}, Errorf(400, "mutability", "groups are the organization's roles: rename a custom role in the portal")
	}
	add, remove := ch.Add, ch.Remove
	if ch.Replace {
		holders, err := s.holders(ctx, ses.Org.ID, role)
		if err != nil {
			return Group{}, err
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
			return Group{}, Errorf(400, "invalidValue", "member %s is not a user of this organization", uid)
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
		return Group{}, Errorf(409, "", "the organization must keep at least one active admin: add another admin to the admin group first")
	}
	// Every write holds only while the token's maker keeps their role: a change to the
	// maker's own role goes last, so that it can't stop the rest halfway.
	slices.SortStableFunc(order, func(a, b string) int {
		return boolInt(ses.Maker != nil && a == ses.Maker.UserID) - boolInt(ses.Maker != nil && b == ses.Maker.UserID)
	})
	for _, uid := range order {
		if err := s.SetRole(ctx, ses, ses.Members[uid], next[uid]); err != nil {
			return Group{}, err
		}
	}
	return s.GetGroup(ctx, ses, id)
}

// MemberIDs lists the user ids a group PATCH names, so that they are read with the token.
func (ch GroupChange) MemberIDs() []string {
	return slices.Concat(ch.Add, ch.Remove, ch.Set)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
