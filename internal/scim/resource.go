// Package scim is SCIM 2.0 provisioning (RFC 7643, RFC 7644): a customer's identity provider
// (Okta, Microsoft Entra ID, any SCIM client) keeps an org's members in step with its
// directory. Users are the org's members (a SCIM user's id is the member's user id); groups are
// the org's roles, built-in and custom, and a group's members are the role's holders.
//
// The package speaks SCIM's shapes and rules: filters (parsed by
// github.com/scim2/filter-parser), PATCH operations as Okta and Entra really send them
// (operation names in any case, with or without a path, booleans as "True"/"False"), errors
// with a scimType. Changes to members go through the same store writes as the portal's, so the
// last-admin rule, the counters and the events are the same; the events' actor is the token.
package scim

import (
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/orgs"
)

// The schema URNs.
const (
	SchemaUser        = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup       = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaList        = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatch       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError       = "urn:ietf:params:scim:api:messages:2.0:Error"
	SchemaSPConfig    = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	SchemaResType     = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema      = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	MaxResults        = 200
	defaultListCount  = 100
	resourceTypeUser  = "User"
	resourceTypeGroup = "Group"
)

// Name is a user's name parts.
type Name struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Formatted  string `json:"formatted,omitempty"`
}

// MultiValue is one value of a multi-valued attribute (emails, phoneNumbers, groups).
type MultiValue struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// Meta is a resource's metadata.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
}

// User is a member as a SCIM user resource.
type User struct {
	Schemas      []string     `json:"schemas"`
	ID           string       `json:"id"`
	ExternalID   string       `json:"externalId,omitempty"`
	UserName     string       `json:"userName"`
	Name         Name         `json:"name"`
	DisplayName  string       `json:"displayName,omitempty"`
	Emails       []MultiValue `json:"emails"`
	PhoneNumbers []MultiValue `json:"phoneNumbers,omitempty"`
	Active       bool         `json:"active"`
	Groups       []MultiValue `json:"groups"`
	Meta         Meta         `json:"meta"`
}

// Group is a role as a SCIM group resource.
type Group struct {
	Schemas     []string     `json:"schemas"`
	ID          string       `json:"id"`
	DisplayName string       `json:"displayName"`
	Members     []MultiValue `json:"members,omitempty"`
	Meta        Meta         `json:"meta"`
}

// ListResponse is a page of resources.
type ListResponse[T any] struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []T      `json:"Resources"`
}

// NewList returns a list response of items starting at startIndex; total is the number of
// matches (as far as the server counted them).
func NewList[T any](items []T, startIndex, total int) ListResponse[T] {
	if items == nil {
		items = []T{}
	}
	return ListResponse[T]{Schemas: []string{SchemaList}, TotalResults: total, StartIndex: startIndex, ItemsPerPage: len(items), Resources: items}
}

// RoleName returns the display name of a role id among the org's roles.
type RoleName func(roleID string) string

// UserOf renders a member as a SCIM user; base is the SCIM base URL.
func UserOf(m orgs.Member, base string, roleName RoleName) User {
	u := User{
		Schemas: []string{SchemaUser}, ID: m.UserID, ExternalID: m.ExternalID, UserName: m.Email,
		Name:        Name{GivenName: m.GivenName, FamilyName: m.FamilyName, Formatted: m.Name},
		DisplayName: m.Name,
		Emails:      []MultiValue{{Value: m.Email, Type: "work", Primary: true}},
		Active:      !m.Suspended(),
		Groups:      []MultiValue{{Value: string(m.Role), Display: roleName(string(m.Role))}},
		Meta: Meta{ResourceType: resourceTypeUser, Created: stamp(m.JoinedAt), LastModified: stamp(m.JoinedAt),
			Location: base + "/Users/" + m.UserID},
	}
	if m.UpdatedAt.After(m.JoinedAt) {
		u.Meta.LastModified = stamp(m.UpdatedAt)
	}
	if u.Name.GivenName == "" && u.Name.FamilyName == "" && m.Name != "" {
		u.Name.GivenName, u.Name.FamilyName = splitName(m.Name)
	}
	if m.Phone != "" {
		u.PhoneNumbers = []MultiValue{{Value: m.Phone, Type: "work", Primary: true}}
	}
	return u
}

// splitName guesses given and family names from a full name: the last word is the family name.
func splitName(full string) (string, string) {
	i := strings.LastIndexByte(full, ' ')
	if i < 0 {
		return full, ""
	}
	return full[:i], full[i+1:]
}

// fullName joins name parts as the member's name: the formatted name, else given + family,
// else the display name.
func fullName(n Name, display string) string {
	switch {
	case strings.TrimSpace(n.Formatted) != "":
		return strings.TrimSpace(n.Formatted)
	case strings.TrimSpace(n.GivenName+n.FamilyName) != "":
		return strings.TrimSpace(strings.TrimSpace(n.GivenName) + " " + strings.TrimSpace(n.FamilyName))
	}
	return strings.TrimSpace(display)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
