package provisioning

import (
	"context"
	"fmt"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// MaxUserProperties bounds an org's property definitions.
const MaxUserProperties = 50

// PutProperties replaces the org's user property definitions whole. Values of a removed
// definition stay on the members but are hidden (orgs.VisibleProperties).
func (s *Service) PutProperties(ctx context.Context, a orgs.Access, defs []orgs.UserProperty) ([]orgs.UserProperty, error) {
	if len(defs) > MaxUserProperties {
		return nil, apperr.New(apperr.Invalid, "at most %d user properties are allowed; you sent %d", MaxUserProperties, len(defs))
	}
	seen := map[string]bool{}
	out := make([]orgs.UserProperty, 0, len(defs))
	for i, d := range defs {
		if !orgs.ValidPropertyKey(d.Key) {
			return nil, apperr.New(apperr.Invalid, "items[%d].key must start with a lower-case letter followed by up to 39 letters, digits or _", i)
		}
		if seen[d.Key] {
			return nil, apperr.New(apperr.Invalid, "items[%d].key %q is given twice", i, d.Key)
		}
		seen[d.Key] = true
		if reservedColumns[d.Key] {
			return nil, apperr.New(apperr.Invalid, "items[%d].key %q is a column of the import already; choose another", i, d.Key)
		}
		label, err := orgs.CleanText(fmt.Sprintf("items[%d].label", i), d.Label, 100, true)
		if err != nil {
			return nil, err
		}
		switch d.Type {
		case orgs.PropertyString, orgs.PropertyNumber, orgs.PropertyBoolean:
		default:
			return nil, apperr.New(apperr.Invalid, "items[%d].type must be \"string\", \"number\" or \"boolean\"", i)
		}
		out = append(out, orgs.UserProperty{Key: d.Key, Label: label, Type: d.Type, Required: d.Required})
	}
	after := a.Org
	after.UserProperties = out
	keys := make([]string, len(out))
	for i, d := range out {
		keys[i] = d.Key
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "user_properties.updated",
		audit.Target{Type: "org", ID: a.Org.ID, Label: a.Org.Name},
		fmt.Sprintf("%s set the user properties of %s (%d)", a.Member.Email, a.Org.Name, len(out)),
		map[string]any{"keys": keys})
	if err := s.Store.SaveOrg(ctx, OrgWrite{Before: a.Org, After: after, Actor: a.Member, Event: &ev}); err != nil {
		return nil, err
	}
	return out, nil
}
