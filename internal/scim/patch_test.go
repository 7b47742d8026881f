package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
)

// ops builds a PATCH request from (op, path, value JSON) triples.
func ops(triples ...string) PatchRequest {
	var r PatchRequest
	for i := 0; i+2 < len(triples); i += 3 {
		op := Operation{Op: triples[i], Path: triples[i+1]}
		if triples[i+2] != "" {
			op.Value = json.RawMessage(triples[i+2])
		}
		r.Operations = append(r.Operations, op)
	}
	return r
}

// TestUserPatchAsIdentityProvidersSendIt: the shapes Okta and Entra send (paths or an object
// of attributes, "Replace" and "True" as Entra spells them, filtered multi-values, extension
// attributes the product keeps nothing of), and the malformed ones, each with its scimType.
func TestUserPatchAsIdentityProvidersSendIt(t *testing.T) {
	yes, no, empty := true, false, ""
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name     string
		req      PatchRequest
		want     UserChange
		scimType string // "" for success
	}{
		{"Okta deactivates", ops("replace", "", `{"active":false}`), UserChange{Active: &no}, ""},
		{"Entra deactivates", ops("Replace", "active", `"False"`), UserChange{Active: &no}, ""},
		{"Entra reactivates", ops("Replace", "active", `"True"`), UserChange{Active: &yes}, ""},
		{"a name by its parts", ops("replace", "name.givenName", `"Ada"`, "replace", "name.familyName", `"Lovelace"`), UserChange{GivenName: s("Ada"), FamilyName: s("Lovelace")}, ""},
		{"a name whole", ops("add", "name", `{"givenName":"Ada","familyName":"Lovelace"}`), UserChange{GivenName: s("Ada"), FamilyName: s("Lovelace"), Formatted: &empty}, ""},
		{"the work phone by filter", ops("replace", `phoneNumbers[type eq "work"].value`, `"+1 555 0100"`), UserChange{Phone: s("+1 555 0100")}, ""},
		{"phones removed", ops("remove", "phoneNumbers", ""), UserChange{Phone: &empty}, ""},
		{"the address by emails", ops("replace", `emails[type eq "work"].value`, `"ada@example.com"`), UserChange{UserName: s("ada@example.com")}, ""},
		{"the external id", ops("add", "externalId", `"00u1"`), UserChange{ExternalID: s("00u1")}, ""},
		{"an extension's attribute is ignored", ops("add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", `"R&D"`), UserChange{}, ""},
		{"title is ignored", ops("replace", "title", `"CTO"`), UserChange{}, ""},

		{"no operations", PatchRequest{}, UserChange{}, "invalidValue"},
		{"an unknown op", ops("merge", "active", "true"), UserChange{}, "invalidValue"},
		{"remove without a path", ops("remove", "", ""), UserChange{}, "noTarget"},
		{"no path and no object", ops("replace", "", `"x"`), UserChange{}, "invalidValue"},
		{"a broken path", ops("replace", "name[", `"x"`), UserChange{}, "invalidPath"},
		{"active removed", ops("remove", "active", ""), UserChange{}, "mutability"},
		{"userName removed", ops("remove", "userName", ""), UserChange{}, "mutability"},
		{"active not a boolean", ops("replace", "active", `"maybe"`), UserChange{}, "invalidValue"},
		{"a number for a string", ops("replace", "externalId", `42`), UserChange{}, "invalidValue"},
		{"name not an object", ops("replace", "name", `"Ada"`), UserChange{}, "invalidValue"},
	} {
		got, err := ParseUserPatch(tc.req)
		if tc.scimType != "" {
			if !apperr.Is(err, apperr.Invalid) || TypeOf(err) != tc.scimType {
				t.Errorf("%s: %v (scimType %q), want invalid %s", tc.name, err, TypeOf(err), tc.scimType)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// TestGroupPatchChangesMembers: adds, removes by filter or list, replaces, removes everyone;
// a rename is seen (and refused by the service); a malformed members filter is invalidFilter.
func TestGroupPatchChangesMembers(t *testing.T) {
	name := "Engineering"
	for _, tc := range []struct {
		name     string
		req      PatchRequest
		want     GroupChange
		scimType string
	}{
		{"add a list", ops("add", "members", `[{"value":"u1"},{"value":"u2"}]`), GroupChange{Add: []string{"u1", "u2"}}, ""},
		{"add one object", ops("add", "members", `{"value":"u1"}`), GroupChange{Add: []string{"u1"}}, ""},
		{"Entra adds without a path", ops("Add", "", `{"members":[{"value":"u1"}]}`), GroupChange{Add: []string{"u1"}}, ""},
		{"remove by filter", ops("remove", `members[value eq "u2"]`, ""), GroupChange{Remove: []string{"u2"}}, ""},
		{"remove a list", ops("remove", "members", `[{"value":"u2"}]`), GroupChange{Remove: []string{"u2"}}, ""},
		{"remove everyone", ops("remove", "members", ""), GroupChange{Replace: true}, ""},
		{"replace", ops("replace", "members", `[{"value":"u3"}]`), GroupChange{Replace: true, Set: []string{"u3"}}, ""},
		{"a rename", ops("replace", "displayName", `"Engineering"`), GroupChange{DisplayName: &name}, ""},
		{"externalId is ignored", ops("replace", "externalId", `"g1"`), GroupChange{}, ""},

		{"no operations", PatchRequest{}, GroupChange{}, "invalidValue"},
		{"members filtered by another attribute", ops("remove", `members[display eq "Ada"]`, ""), GroupChange{}, "invalidFilter"},
		{"members not a list", ops("add", "members", `"u1"`), GroupChange{}, "invalidValue"},
		{"an unknown op", ops("merge", "members", `[{"value":"u1"}]`), GroupChange{}, "invalidValue"},
		{"a broken path", ops("add", "members[", `[]`), GroupChange{}, "invalidPath"},
	} {
		got, err := ParseGroupPatch(tc.req)
		if tc.scimType != "" {
			if !apperr.Is(err, apperr.Invalid) || TypeOf(err) != tc.scimType {
				t.Errorf("%s: %v (scimType %q), want invalid %s", tc.name, err, TypeOf(err), tc.scimType)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}
