package scim

import (
	"strings"
	"testing"
)

func TestATokenNamesItsOrgAndItsMaker(t *testing.T) {
	tok, hash := NewToken("01org", "user-ada")
	if org, maker := parseToken(tok); org != "01org" || maker != "user-ada" {
		t.Errorf("parsed %q %q", org, maker)
	}
	if HashToken(tok) != hash || strings.Contains(hash, "user-ada") {
		t.Errorf("the hash")
	}
	secret := strings.Repeat("_", secretLength) // base64url may hold "_" itself
	for tok, want := range map[string][2]string{
		"scim_01org_" + secret:                                  {"01org", ""},
		"scim_01org_user-ada_" + secret:                         {"01org", "user-ada"},
		"scim_01org_user_with_under_" + secret:                  {"01org", "user_with_under"},
		"scim_01org_x" + secret:                                 {"", ""},
		"scim_01org__" + secret:                                 {"", ""},
		"scim__user-ada_" + secret:                              {"", ""},
		"scim_01org_" + secret[1:]:                              {"", ""},
		"vpt_01org_user-ada_" + secret:                          {"", ""},
		"scim_01org_" + strings.Repeat("u", 129) + "_" + secret: {"", ""},
	} {
		if org, maker := parseToken(tok); org != want[0] || maker != want[1] {
			t.Errorf("%s: %q %q, want %q %q", tok, org, maker, want[0], want[1])
		}
	}
}

func TestAProjectionKeepsIDAndSchemasAndNamesAttributesAnyWay(t *testing.T) {
	for name, c := range map[string]struct {
		attrs, excluded  string
		members, display bool
	}{
		"nothing asked":            {"", "", true, true},
		"excluded members":         {"", "members", false, true},
		"excluded in another case": {"", " Members ,meta", false, true},
		"excluded by URN":          {"", SchemaGroup + ":members", false, true},
		"only displayName":         {"displayName", "", false, true},
		"only a sub-attribute":     {"members.value", "", true, false},
		"both: attributes wins":    {"members", "members", true, false},
	} {
		p := ParseProjection(c.attrs, c.excluded)
		if p.Members() != c.members || p.Wants("displayname") != c.display || !p.Wants("id") || !p.Wants("schemas") {
			t.Errorf("%s: members %v displayName %v", name, p.Members(), p.Wants("displayname"))
		}
	}
}
