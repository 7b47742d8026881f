package scim

import (
	"encoding/json"
	"strings"
)

// Projection is what a client asked a read to return: the attributes and excludedAttributes
// parameters (RFC 7644 §3.4.2.5). Identity providers use it to keep reads cheap: Okta and
// Entra ask for groups with excludedAttributes=members, and here a group's members are what
// costs reads, so a projection without them reads none.
type Projection struct {
	only    map[string]bool
	without map[string]bool
}

// ParseProjection reads the two parameters, each a comma-separated list of attribute names
// (case-insensitive, optionally prefixed by the resource's schema URN, sub-attributes naming
// their attribute: members.value is members). Given both, attributes wins.
func ParseProjection(attributes, excludedAttributes string) Projection {
	return Projection{only: attributeSet(attributes), without: attributeSet(excludedAttributes)}
}

func attributeSet(list string) map[string]bool {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	out := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		for _, urn := range []string{SchemaGroup, SchemaUser} {
			if rest, ok := strings.CutPrefix(name, strings.ToLower(urn)+":"); ok {
				name = rest
			}
		}
		name, _, _ = strings.Cut(name, ".")
		if name != "" {
			out[name] = true
		}
	}
	return out
}

// alwaysReturned are the attributes a response carries whatever is asked (RFC 7643 §7:
// returned "always"; schemas is the resource's own).
var alwaysReturned = map[string]bool{"id": true, "schemas": true}

// Wants reports whether the response carries the top-level attribute name (lower case).
func (p Projection) Wants(name string) bool {
	switch {
	case alwaysReturned[name]:
		return true
	case p.only != nil:
		return p.only[name]
	}
	return !p.without[name]
}

// Members reports whether a group's members are to be returned (and so read).
func (p Projection) Members() bool { return p.Wants("members") }

// all is the projection of a request that asks for nothing in particular.
func (p Projection) all() bool { return p.only == nil && p.without == nil }

// Projected is a resource cut down to a projection, as it is written out.
type Projected[T any] struct {
	Resource   T
	Projection Projection
}

// MarshalJSON implements json.Marshaler: the resource's attributes that the projection wants.
func (r Projected[T]) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(r.Resource)
	if err != nil || r.Projection.all() {
		return b, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	for name := range fields {
		if !r.Projection.Wants(strings.ToLower(name)) {
			delete(fields, name)
		}
	}
	return json.Marshal(fields)
}
