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
	// The last-admin rule holds for the whole change, before anything is written: the change
	// is one transaction per member, so a refusal halfway would leave half of it done. Adding
	// admins to another group takes admin from them too.
	admins := ses.Org.AdminCount
	counted := map[string]bool{}
	for _, uid := range add {
		m, ok := ses.Members[uid]
		if !ok || counted[uid] {
			continue
		}
		counted[uid] = true
		switch {
		case role == roles.Admin && m.Role != roles.Admin:
			admins++
		case role != roles.Admin && m.Role == roles.Admin:
			admins--
		}
	}
	for _, uid := range remove {
		if m, ok := ses.Members[uid]; ok && role == roles.Admin && m.Role == roles.Admin && !counted[uid] {
			counted[uid] = true
			admins--
		}
	}
	if admins < 1 && admins < ses.Org.AdminCount {
		return Group{}, Errorf(409, "", "the organization must keep at least one admin: add another admin to the admin group first")
	}
	for _, uid := range add {
		if _, ok := ses.Members[uid]; !ok {
			return Group{}, Errorf(400, "invalidValue", "member %s is not a user of this organization", uid)
		}
	}
	done := map[string]bool{}
	for _, uid := range add {
		// A member named twice is changed once: the second write would find the role it read
		// changed by the first.
		if done[uid] {
			continue
		}
		done[uid] = true
		if err := s.SetRole(ctx, ses, ses.Members[uid], role); err != nil {
			return Group{}, err
		}
	}
	for _, uid := range remove {
		m, ok := ses.Members[uid]
		if !ok || done[uid] || m.Role != role || role == roles.User {
			continue
		}
		done[uid] = true
		if err := s.SetRole(ctx, ses, m, roles.User); err != nil {
			return Group{}, err
		}
	}
	return s.GetGroup(ctx, ses, id)
}

// MemberIDs lists the user ids a group PATCH names, so that they are read with the token.
func (ch GroupChange) MemberIDs() []string {
	return slices.Concat(ch.Add, ch.Remove, ch.Set)
}
