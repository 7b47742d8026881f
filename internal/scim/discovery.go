package scim

import (
	"strings"

	filter "github.com/scim2/filter-parser/v2"
	"github.com/vendorportal/orgs/internal/apperr"
)

// Discovery returns the discovery resource what (ServiceProviderConfig, ResourceTypes or
// Schemas, RFC 7643 §5–7) for the API at base.
func Discovery(what, base string) any {
	switch what {
	case "ServiceProviderConfig":
		return map[string]any{
			"schemas":          []string{SchemaSPConfig},
			"documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
			"patch":            map[string]any{"supported": true},
			"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
			"filter":           map[string]any{"supported": true, "maxResults": MaxResults},
			"changePassword":   map[string]any{"supported": false},
			"sort":             map[string]any{"supported": false},
			"etag":             map[string]any{"supported": false},
			"authenticationSchemes": []map[string]any{{
				"type": "oauthbearertoken", "name": "SCIM token", "primary": true,
				"description": "The org's SCIM token (scim_…) as a bearer token; an admin makes it in the portal.",
			}},
			"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
		}
	case "ResourceTypes":
		types := resourceTypes(base)
		return NewList(types, 1, len(types))
	}
	all := schemas(base)
	return NewList(all, 1, len(all))
}

// DiscoveryResource returns the one resource of the discovery list what (ResourceTypes or
// Schemas) whose id is id, as its meta.location promises (GET /ResourceTypes/User, GET
// /Schemas/urn:…:User); a 404 SCIM error for any other.
func DiscoveryResource(what, id, base string) (any, error) {
	var list []map[string]any
	switch what {
	case "ResourceTypes":
		list = resourceTypes(base)
	case "Schemas":
		list = schemas(base)
	}
	for _, r := range list {
		if r["id"] == id {
			return r, nil
		}
	}
	return nil, Errorf(apperr.NotFound, "", "no %s %q here", strings.TrimSuffix(what, "s"), id)
}

func resourceTypes(base string) []map[string]any {
	return []map[string]any{
		{"schemas": []string{SchemaResType}, "id": "User", "name": "User", "endpoint": "/Users", "schema": SchemaUser,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"}},
		{"schemas": []string{SchemaResType}, "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": SchemaGroup,
			"meta": map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/Group"}},
	}
}

func schemas(base string) []map[string]any {
	attr := func(name, typ string, multi, required bool, mutability string, sub ...map[string]any) map[string]any {
		a := map[string]any{"name": name, "type": typ, "multiValued": multi, "required": required,
			"mutability": mutability, "returned": "default", "uniqueness": "none", "caseExact": false}
		if len(sub) > 0 {
			a["subAttributes"] = sub
		}
		return a
	}
	return []map[string]any{
		{"schemas": []string{SchemaSchema}, "id": SchemaUser, "name": "User", "description": "A member of the organization",
			"attributes": []map[string]any{
				withUniqueness(attr("userName", "string", false, true, "immutable"), "server"),
				attr("externalId", "string", false, false, "readWrite"),
				attr("name", "complex", false, false, "readWrite",
					attr("givenName", "string", false, false, "readWrite"), attr("familyName", "string", false, false, "readWrite"),
					attr("formatted", "string", false, false, "readWrite")),
				attr("displayName", "string", false, false, "readWrite"),
				attr("emails", "complex", true, false, "readWrite",
					attr("value", "string", false, false, "readWrite"), attr("type", "string", false, false, "readWrite"),
					attr("primary", "boolean", false, false, "readWrite")),
				attr("phoneNumbers", "complex", true, false, "readWrite",
					attr("value", "string", false, false, "readWrite"), attr("type", "string", false, false, "readWrite")),
				attr("active", "boolean", false, false, "readWrite"),
				attr("groups", "complex", true, false, "readOnly",
					attr("value", "string", false, false, "readOnly"), attr("display", "string", false, false, "readOnly")),
			},
			"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaUser}},
		{"schemas": []string{SchemaSchema}, "id": SchemaGroup, "name": "Group", "description": "A role of the organization",
			"attributes": []map[string]any{
				attr("displayName", "string", false, true, "readOnly"),
				attr("members", "complex", true, false, "readWrite",
					attr("value", "string", false, false, "immutable"), attr("display", "string", false, false, "readOnly")),
			},
			"meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + SchemaGroup}},
	}
}

// withUniqueness returns the attribute a with its uniqueness (RFC 7643 §2.2): "server" for
// userName, which no two members of an org share (409 uniqueness).
func withUniqueness(a map[string]any, u string) map[string]any {
	a["uniqueness"] = u
	return a
}

// ParseGroupFilter reads the one group filter supported, displayName eq "…", and returns the
// name ("" for no filter).
func ParseGroupFilter(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	if err := filterLength(raw); err != nil {
		return "", err
	}
	expr, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return "", badSyntax(groupFilters)
	}
	ae, ok := expr.(*filter.AttributeExpression)
	v, isStr := "", false
	if ok {
		v, isStr = ae.CompareValue.(string)
	}
	if !ok || !isStr || ae.Operator != filter.EQ || !strings.EqualFold(ae.AttributePath.AttributeName, "displayName") {
		return "", Errorf(apperr.Invalid, "invalidFilter", "groups filter by %s only", groupFilters)
	}
	return v, nil
}
