package orgs

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/roles"
)

// SettingsInput is a change to an org's settings: a nil field stays as it is; for the
// optional text fields an empty string clears the value.
type SettingsInput struct {
	Name                    *string
	DisplayName             *string
	AvatarURL               *string
	ContactName             *string
	ContactEmail            *string
	CompanyName             *string
	SupportTicketVisibility *string
	MembersCanInvite        *bool
	BillingContacts         *[]Contact
	AutoJoin                *string
}

// MaxBillingContacts bounds an org's billing contacts.
const MaxBillingContacts = 5

// UpdateSettings changes an org's settings. Billing contacts need billing.manage, everything
// else settings.manage. The event's details say what changed from what to what; a change
// that changes nothing writes nothing.
func (s *Service) UpdateSettings(ctx context.Context, c Caller, a Access, in SettingsInput) (OrgView, error) {
	if err := checkSettingsPermissions(a, in); err != nil {
		return OrgView{}, err
	}
	before := a.Org
	after, err := applySettings(before, in)
	if err != nil {
		return OrgView{}, err
	}
	changes := settingsChanges(before, after)
	if len(changes) == 0 {
		return OrgView{Org: before, Role: a.Member.Role}, nil
	}
	fields := slices.Sorted(func(yield func(string) bool) {
		for k := range changes {
			if !yield(k) {
				return
			}
		}
	})
	ev := s.OrgEvent(ctx, a, "org.updated", fmt.Sprintf("%s changed %s of %s", a.Member.Email, strings.Join(fields, ", "), after.Name), changes)
	if err := s.Store.UpdateOrg(ctx, a.Member, before, after, ev); err != nil {
		return OrgView{}, err
	}
	return OrgView{Org: after, Role: a.Member.Role}, nil
}

func checkSettingsPermissions(a Access, in SettingsInput) error {
	others := in.Name != nil || in.DisplayName != nil || in.AvatarURL != nil || in.ContactName != nil ||
		in.ContactEmail != nil || in.CompanyName != nil || in.SupportTicketVisibility != nil || in.MembersCanInvite != nil || in.AutoJoin != nil
	r := a.RoleName()
	if others && !a.Allows(roles.SettingsManage) {
		if in.BillingContacts != nil && a.Allows(roles.BillingManage) {
			return apperr.New(apperr.Forbidden, "your role (%s) may change billingContacts only", r)
		}
		return apperr.New(apperr.Forbidden, "your role (%s) may not change the organization's settings", r)
	}
	if in.BillingContacts != nil && !a.Allows(roles.BillingManage) {
		return apperr.New(apperr.Forbidden, "your role (%s) may not change billingContacts", r)
	}
	// A setting that adds people needs the permission of adding them: autoJoin (suggest or
	// join) lets anyone at the org's domains in, so it takes members.manage too.
	if in.AutoJoin != nil && AutoJoin(*in.AutoJoin) != AutoJoinOff && !a.Allows(roles.MembersManage) {
		return apperr.New(apperr.Forbidden, "your role (%s) may not turn autoJoin on: it adds members, which needs members.manage besides settings.manage", r)
	}
	return nil
}

func applySettings(o Org, in SettingsInput) (Org, error) {
	var err error
	text := func(field string, v *string, dst *string, max int) {
		if v != nil && err == nil {
			*dst, err = cleanText(field, *v, max, false)
		}
	}
	if in.Name != nil {
		if o.Name, err = cleanText("name", *in.Name, 100, true); err != nil {
			return o, err
		}
	}
	text("displayName", in.DisplayName, &o.DisplayName, 100)
	text("contactName", in.ContactName, &o.ContactName, 100)
	text("companyName", in.CompanyName, &o.CompanyName, 100)
	if err != nil {
		return o, err
	}
	if in.AvatarURL != nil {
		if o.AvatarURL, err = validAvatarURL(*in.AvatarURL); err != nil {
			return o, err
		}
	}
	if in.ContactEmail != nil {
		o.ContactEmail = ""
		if strings.TrimSpace(*in.ContactEmail) != "" {
			if o.ContactEmail, err = NormalizeEmail("contactEmail", *in.ContactEmail); err != nil {
				return o, err
			}
		}
	}
	if in.SupportTicketVisibility != nil {
		if *in.SupportTicketVisibility == "" {
			return o, apperr.New(apperr.Invalid, "supportTicketVisibility must be %q or %q", VisibilityOwn, VisibilityAll)
		}
		if o.SupportTicketVisibility, err = validVisibility(Visibility(*in.SupportTicketVisibility)); err != nil {
			return o, err
		}
	}
	if in.MembersCanInvite != nil {
		if *in.MembersCanInvite && o.Kind == Personal {
			return o, apperr.New(apperr.Conflict, "a personal account takes no invites, so membersCanInvite can't be turned on")
		}
		o.MembersCanInvite = *in.MembersCanInvite
	}
	if in.BillingContacts != nil {
		if o.BillingContacts, err = validBillingContacts(*in.BillingContacts); err != nil {
			return o, err
		}
	}
	if in.AutoJoin != nil {
		switch a := AutoJoin(*in.AutoJoin); a {
		case AutoJoinOff, AutoJoinSuggest, AutoJoinJoin:
			if a != AutoJoinOff && o.Kind == Personal {
				return o, apperr.New(apperr.Conflict, "a personal account takes no new members, so autoJoin stays off")
			}
			o.AutoJoin = a
		default:
			return o, apperr.New(apperr.Invalid, "autoJoin must be %q, %q or %q", AutoJoinOff, AutoJoinSuggest, AutoJoinJoin)
		}
	}
	return o, nil
}

func validAvatarURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s) > 2048 {
		return "", apperr.New(apperr.Invalid, "avatarUrl must be an https:// URL of at most 2048 characters")
	}
	return s, nil
}

func validBillingContacts(in []Contact) ([]Contact, error) {
	if len(in) > MaxBillingContacts {
		return nil, apperr.New(apperr.Invalid, "at most %d billingContacts are allowed; you sent %d", MaxBillingContacts, len(in))
	}
	out := make([]Contact, 0, len(in))
	seen := map[string]bool{}
	for i, c := range in {
		name, err := cleanText(fmt.Sprintf("billingContacts[%d].name", i), c.Name, 100, true)
		if err != nil {
			return nil, err
		}
		email, err := NormalizeEmail(fmt.Sprintf("billingContacts[%d].email", i), c.Email)
		if err != nil {
			return nil, err
		}
		if seen[email] {
			return nil, apperr.New(apperr.Invalid, "billingContacts lists %s twice", email)
		}
		seen[email] = true
		out = append(out, Contact{Name: name, Email: email})
	}
	return out, nil
}

// settingsChanges describes, per field that differs, what it changed from and to.
func settingsChanges(a, b Org) map[string]any {
	out := map[string]any{}
	diff := func(field string, from, to any) {
		if !equalValues(from, to) {
			out[field] = map[string]any{"from": from, "to": to}
		}
	}
	diff("name", a.Name, b.Name)
	diff("displayName", orNil(a.DisplayName), orNil(b.DisplayName))
	diff("avatarUrl", orNil(a.AvatarURL), orNil(b.AvatarURL))
	diff("contactName", orNil(a.ContactName), orNil(b.ContactName))
	diff("contactEmail", orNil(a.ContactEmail), orNil(b.ContactEmail))
	diff("companyName", orNil(a.CompanyName), orNil(b.CompanyName))
	diff("supportTicketVisibility", string(a.SupportTicketVisibility), string(b.SupportTicketVisibility))
	diff("membersCanInvite", a.MembersCanInvite, b.MembersCanInvite)
	diff("billingContacts", contactsDetail(a.BillingContacts), contactsDetail(b.BillingContacts))
	diff("autoJoin", string(a.AutoJoin.Or()), string(b.AutoJoin.Or()))
	return out
}

func equalValues(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func contactsDetail(cs []Contact) []map[string]string {
	out := make([]map[string]string, len(cs))
	for i, c := range cs {
		out[i] = map[string]string{"name": c.Name, "email": c.Email}
	}
	return out
}

// OrgEvent is an event of the organization category about org a.Org, by the member of a,
// stamped.
func (s *Service) OrgEvent(ctx context.Context, a Access, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: a.Org.ID, Category: audit.Organization, Action: action,
		Actor:   audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email},
		Target:  audit.Target{Type: "org", ID: a.Org.ID, Label: a.Org.Name},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	return ev
}

// ChangeHandle gives the org a new handle: the new guard is claimed and the old one released
// in one transaction, so two orgs racing for a handle end with one winner.
func (s *Service) ChangeHandle(ctx context.Context, c Caller, a Access, handle string) (OrgView, error) {
	if err := ValidateHandle(handle); err != nil {
		return OrgView{}, err
	}
	before := a.Org
	if handle == before.Handle {
		return OrgView{Org: before, Role: a.Member.Role}, nil
	}
	after := before
	after.Handle = handle
	ev := s.OrgEvent(ctx, a, "org.handle_changed", fmt.Sprintf("%s changed the handle of %s from @%s to @%s", a.Member.Email, before.Name, before.Handle, handle),
		map[string]any{"handle": map[string]any{"from": before.Handle, "to": handle}})
	if err := s.Store.ChangeHandle(ctx, a.Member, before, after, ev); err != nil {
		return OrgView{}, err
	}
	return OrgView{Org: after, Role: a.Member.Role}, nil
}

// Delete deletes a shared org once the caller has confirmed it by typing its handle. From
// that moment the org is absent to all its members, its handle is free, and the scheduled job
// may purge its data.
func (s *Service) Delete(ctx context.Context, c Caller, a Access, confirm string) error {
	o := a.Org
	if o.Kind == Personal {
		return apperr.New(apperr.Conflict, "a personal account can't be deleted on its own; delete your account instead")
	}
	if confirm != o.Handle {
		return apperr.New(apperr.Invalid, "to delete %s, pass ?confirm= with its handle (%s)", o.Name, o.Handle)
	}
	now := s.Now()
	ev := s.OrgEvent(ctx, a, "org.deleted", fmt.Sprintf("%s deleted the organization %s (@%s)", a.Member.Email, o.Name, o.Handle),
		map[string]any{"handle": o.Handle, "name": o.Name, "members": o.MemberCount})
	return s.Store.DeleteOrg(ctx, a.Member, o, now, ev)
}
