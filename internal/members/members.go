// Package members is the members of an org as its admins manage them: listing them (by role,
// source, a prefix of the email or name), changing a member's role, properties and, for a
// provisioned member, name and phone, and removing a member or leaving. The member itself,
// the authorization step and the rules on who may act on whom are package orgs'.
package members

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// Filter narrows a member list: by role, and by a prefix of the email or of the name
// (Query, lower-cased).
type Filter struct {
	Role  roles.Role
	Query string
	// Source keeps only the members that came this way (the legacy support users' tab).
	Source orgs.Source
}

// Page is one page of a member list; Next is the store's position after it, "" on the
// last page.
type Page struct {
	Members []orgs.Member
	Next    string
}

// Write is one change to a membership, with what the store needs to make it
// conditional on the state the decision was made on.
type Write struct {
	OrgID string
	// Actor is the caller's membership as the authorization step read it; the write holds
	// only while the caller still has that role (unless Actor is the member itself).
	Actor orgs.Member
	// Before is the member as read; the write holds only while the member still has that
	// role. After is the member as it will be (ignored for a removal).
	Before orgs.Member
	After  orgs.Member
	// Roles ties the write to the org's custom roles as read (see orgs.RolesCheck).
	Roles orgs.RolesCheck
	// Provisioned makes the write hold only while the member's account records OrgID as
	// the org that created it (Profile.CreatedByOrg): ErrNotProvisioned otherwise. Set by
	// every write that acts on a member's sign-in or details (name, phone).
	Provisioned bool
	Event       audit.Event
}

// Store is the persistence the member use cases need.
type Store interface {
	// Members returns one page of the org's members matching f, ordered by the sort key of
	// the index that serves f (email, or email and name merged when f.Query is set).
	Members(ctx context.Context, orgID string, f Filter, p paging.Request) (Page, error)
	// ChangeMember rewrites both sides of a membership and its index entries, adjusts the
	// org's admin count when an admin comes or goes (never below one: ErrLastAdmin) and the
	// holder counts of both roles, and writes the event, all or nothing. ErrMemberChanged
	// when the member no longer has Before's role, ErrActorChanged when the actor no longer
	// has theirs, ErrRolesChanged when w.Roles fails, ErrNotProvisioned when w.Provisioned
	// and the member's account does not record the org as its creator.
	ChangeMember(ctx context.Context, w Write) error
	// RemoveMember deletes both sides of a membership, its index entries and its email
	// guard, frees the license seats Before.Seats names, decrements the org's counters, the
	// role's holders included (ErrLastAdmin when the last admin would go; ErrRolesChanged
	// when w.Roles fails), and writes the event, all or nothing. Before must be the member as
	// stored (its Seats included, as the authorization step or the account's memberships read
	// them): ErrMemberChanged when the member's seats differ.
	RemoveMember(ctx context.Context, w Write) error
}

// Service runs the member use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	NewID func() string
}

// List returns one page of the org's members with role, matching q, and come to the org
// as source (each ignored when empty; an unknown role or source is invalid).
func (s *Service) List(ctx context.Context, a orgs.Access, role, q, source string, p paging.Request) (Page, error) {
	var f Filter
	if role != "" {
		if f.Role = roles.Role(role); !isRole(a.Org, f.Role) {
			return Page{}, orgs.UnknownRole()
		}
	}
	if source != "" {
		if f.Source = orgs.Source(source); !slices.Contains(orgs.Sources, f.Source) {
			return Page{}, apperr.New(apperr.Invalid, "source must be one of %v", orgs.Sources)
		}
	}
	q = orgs.NormalizeQuery(q)
	if utf8.RuneCountInString(q) > 254 || strings.ContainsFunc(q, orgs.Hidden) {
		return Page{}, apperr.New(apperr.Invalid, "q must be at most 254 characters without control characters")
	}
	f.Query = q
	return s.Store.Members(ctx, a.Org.ID, f, p)
}

// ListBySource returns one page of the org's members that came to it as source.
func (s *Service) ListBySource(ctx context.Context, a orgs.Access, source orgs.Source, p paging.Request) (Page, error) {
	return s.Store.Members(ctx, a.Org.ID, Filter{Source: source}, p)
}

// Update is what PATCH may change; nil fields stay as they are.
type Update struct {
	Role       *roles.Role
	Properties map[string]any
	// SetProperties tells an absent properties field from an empty object.
	SetProperties bool
	// Name and Phone may be changed for provisioned members only (orgs.Org.MayBeProvisioned and
	// Write.Provisioned); "" clears one.
	Name  *string
	Phone *string
}

// Update changes the role and/or the properties of a.Target. Only someone who may grant the
// new role may give it; a personal account's member keeps its role; the last admin stays.
func (s *Service) Update(ctx context.Context, a orgs.Access, in Update) (orgs.Member, error) {
	if a.Target == nil {
		return orgs.Member{}, apperr.New(apperr.NotFound, "member not found")
	}
	before := *a.Target
	after := before
	after.Properties = maps.Clone(before.Properties)
	if in.Role == nil && !in.SetProperties && in.Name == nil && in.Phone == nil {
		return orgs.Member{}, apperr.New(apperr.Invalid, "give role, name, phone and/or properties")
	}
	if in.Name != nil || in.Phone != nil {
		if !a.Org.MayBeProvisioned(before) {
			return orgs.Member{}, orgs.NotProvisioned(before.Email)
		}
		if err := a.MayActOn(before, "change the name or phone of"); err != nil {
			return orgs.Member{}, err
		}
		var err error
		if in.Name != nil {
			if after.Name, err = orgs.CleanText("name", *in.Name, orgs.MaxPersonName, false); err != nil {
				return orgs.Member{}, err
			}
		}
		if in.Phone != nil {
			if after.Phone, err = orgs.ValidPhone(*in.Phone); err != nil {
				return orgs.Member{}, err
			}
		}
	}
	if in.Role != nil {
		d, err := a.AssignableRole(string(*in.Role))
		if err != nil {
			return orgs.Member{}, err
		}
		r := d.ID
		if r != before.Role {
			if err := a.MayActOn(before, "change the role of"); err != nil {
				return orgs.Member{}, err
			}
		}
		if r != before.Role && a.Org.Kind == orgs.Personal {
			return orgs.Member{}, apperr.New(apperr.Conflict, "the member of a personal account keeps the admin role")
		}
		after.Role = r
	}
	if in.SetProperties {
		// A PATCH merges: the keys given are set, a null clears one, the others stay.
		set, err := orgs.ValidateProperties(a.Org.UserProperties, in.Properties, false)
		if err != nil {
			return orgs.Member{}, err
		}
		if after.Properties == nil {
			after.Properties = map[string]any{}
		}
		for k, v := range in.Properties {
			if v == nil {
				delete(after.Properties, k)
			} else {
				after.Properties[k] = set[k]
			}
		}
	}
	roleChanged := after.Role != before.Role
	propsChanged := !sameProperties(after.Properties, before.Properties)
	identityChanged := after.Name != before.Name || after.Phone != before.Phone
	if !roleChanged && !propsChanged && !identityChanged {
		return before, nil
	}
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization,
		Actor:  audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target: audit.Target{Type: "member", ID: before.UserID, Label: before.Email},
	}
	if roleChanged {
		ev.Action = "member.role_changed"
		ev.Summary = fmt.Sprintf("%s changed %s's role from %s to %s", a.Member.Email, before.Email, before.Role, after.Role)
		ev.Details = map[string]any{"from": string(before.Role), "to": string(after.Role)}
		if propsChanged {
			ev.Details["properties"] = propertyDetails(after.Properties)
		}
	} else {
		ev.Action = "member.updated"
		ev.Summary = fmt.Sprintf("%s updated %s's details", a.Member.Email, before.Email)
		ev.Details = map[string]any{"properties": propertyDetails(after.Properties)}
	}
	if identityChanged {
		ev.Details["name"] = after.Name
		ev.Details["phone"] = after.Phone
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	err := s.Store.ChangeMember(ctx, Write{OrgID: a.Org.ID, Actor: a.Member, Before: before, After: after, Roles: a.ActOnCheck(before, after.Role),
		Provisioned: in.Name != nil || in.Phone != nil, Event: ev})
	if err != nil {
		return orgs.Member{}, err
	}
	return after, nil
}

// Remove takes a.Target out of the org: removed by someone who manages members, or leaving
// when the target is the caller. A personal account's member can't go; the last admin stays.
func (s *Service) Remove(ctx context.Context, a orgs.Access) error {
	if a.Target == nil {
		return apperr.New(apperr.NotFound, "member not found")
	}
	m := *a.Target
	if a.Org.Kind == orgs.Personal {
		return apperr.New(apperr.Conflict, "a personal account's member can't be removed")
	}
	leaving := m.UserID == a.Member.UserID
	if err := a.MayActOn(m, "remove"); err != nil {
		return err
	}
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "member", ID: m.UserID, Label: m.Email},
		Details: map[string]any{"role": string(m.Role)},
	}
	if leaving {
		ev.Action = "member.left"
		ev.Summary = fmt.Sprintf("%s left the organization", m.Email)
	} else {
		ev.Action = "member.removed"
		ev.Summary = fmt.Sprintf("%s removed %s (%s) from the organization", a.Member.Email, m.Email, m.Role)
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	w := Write{OrgID: a.Org.ID, Actor: a.Member, Before: m, Event: ev}
	if !leaving {
		w.Roles = a.ActOnCheck(m)
	}
	return s.Store.RemoveMember(ctx, w)
}

// isRole reports whether r is one of the org's roles.
func isRole(o orgs.Org, r roles.Role) bool {
	_, ok := o.Role(r)
	return ok
}

func sameProperties(a, b map[string]any) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

func propertyDetails(p map[string]any) map[string]any {
	if p == nil {
		return map[string]any{}
	}
	return p
}
