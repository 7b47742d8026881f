package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

type scimGroupOut struct {
	ID          string          `json:"id"`
	DisplayName *string         `json:"displayName"`
	Meta        json.RawMessage `json:"meta"`
	Members     []struct {
		Value   string `json:"value"`
		Display string `json:"display"`
	} `json:"members"`
}

func (g scimGroupOut) memberIDs() []string {
	var ids []string
	for _, m := range g.Members {
		ids = append(ids, m.Value)
	}
	slices.Sort(ids)
	return ids
}

func groupsOf(t *testing.T, r reply) map[string]scimGroupOut {
	t.Helper()
	list := decodeSCIM[struct {
		TotalResults int            `json:"totalResults"`
		Resources    []scimGroupOut `json:"Resources"`
	}](t, r, 200)
	out := map[string]scimGroupOut{}
	for _, g := range list.Resources {
		out[g.ID] = g
	}
	return out
}

func TestSCIMListGroupsCarriesEachRolesHolders(t *testing.T) {
	a := newAPI(t)
	ada, bob, cy, dee := person("ada"), person("bob"), person("cy"), person("dee")
	org := a.org(ada, "Acme")
	release := a.customRole(ada, org, "Release manager", roles.OrgRead, roles.ProductsAccess)
	a.member(org, bob, roles.User)
	a.member(org, cy, roles.ViewerAdmin)
	a.member(org, dee, roles.Role(release))
	tok := a.scimToken(ada, org)

	r := a.scim(ScimListGroups, tok, nil, nil, "")
	groups := groupsOf(t, r)
	if r.calls != 2 {
		t.Errorf("the groups with members: %d calls, want 2 (the token's read, one Query of the members)", r.calls)
	}
	for id, want := range map[string][]string{
		"admin": {ada.ID}, "user": {bob.ID}, "viewer_admin": {cy.ID}, release: {dee.ID}, "support_only": nil, "billing_admin": nil,
	} {
		if got := groups[id].memberIDs(); !slices.Equal(got, want) {
			t.Errorf("group %s lists %v, want %v", id, got, want)
		}
	}
	if g := groups[release]; g.DisplayName == nil || *g.DisplayName != "Release manager" || len(g.Members) != 1 || g.Members[0].Display != dee.Email {
		t.Errorf("the custom role's group: %+v", g)
	}
	// What a single read says, the list says.
	one := decodeSCIM[scimGroupOut](t, a.scim(ScimGetGroup, tok, map[string]string{"id": "viewer_admin"}, nil, ""), 200)
	if !slices.Equal(one.memberIDs(), groups["viewer_admin"].memberIDs()) {
		t.Errorf("GET /Groups/viewer_admin %v, the list %v", one.memberIDs(), groups["viewer_admin"].memberIDs())
	}

	for name, c := range map[string]struct {
		query   map[string]string
		calls   int
		members bool
		display bool
	}{
		"excludedAttributes=members (Okta, Entra)": {map[string]string{"excludedAttributes": "members"}, 1, false, true},
		"excluded by its URN":                      {map[string]string{"excludedAttributes": "urn:ietf:params:scim:schemas:core:2.0:Group:members"}, 1, false, true},
		"attributes=displayName":                   {map[string]string{"attributes": "displayName"}, 1, false, true},
		"attributes=members.value":                 {map[string]string{"attributes": "members.value"}, 2, true, false},
		"excludedAttributes=displayName":           {map[string]string{"excludedAttributes": "displayName"}, 2, true, false},
		"a filter naming one group":                {map[string]string{"filter": `displayName eq "Release manager"`}, 2, true, true},
	} {
		r := a.scim(ScimListGroups, tok, nil, c.query, "")
		groups := groupsOf(t, r)
		if r.calls != c.calls {
			t.Errorf("%s: %d calls, want %d", name, r.calls, c.calls)
		}
		for id, g := range groups {
			if (len(g.Members) > 0) != c.members && (id == "admin" || id == release) {
				t.Errorf("%s: group %s members %v, want members: %v", name, id, g.memberIDs(), c.members)
			}
			if (g.DisplayName != nil) != c.display {
				t.Errorf("%s: group %s displayName %v, want it: %v", name, id, g.DisplayName, c.display)
			}
		}
		if strings.HasPrefix(name, "attributes=") && strings.Contains(r.body, `"meta"`) {
			t.Errorf("%s: meta was not asked for: %s", name, r.body)
		}
	}
	if r := a.scim(ScimListGroups, tok, nil, map[string]string{"filter": `displayName eq "Release manager"`}, ""); len(groupsOf(t, r)) != 1 {
		t.Errorf("the filter: %s", r.body)
	}
	// Entra's check that a group exists reads no member.
	r = a.scim(ScimGetGroup, tok, map[string]string{"id": "admin"}, map[string]string{"excludedAttributes": "members"}, "")
	if g := decodeSCIM[scimGroupOut](t, r, 200); len(g.Members) != 0 || r.calls != 1 {
		t.Errorf("GET /Groups/admin without members: %+v in %d calls, want none in 1", g, r.calls)
	}
	// A suspended member still holds their role: still listed.
	if r := a.scim(ScimPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.status != 200 {
		t.Fatalf("suspend bob: %d %s", r.status, r.body)
	}
	if g := groupsOf(t, a.scim(ScimListGroups, tok, nil, nil, ""))["user"]; !slices.Equal(g.memberIDs(), []string{bob.ID}) {
		t.Errorf("the suspended bob's group lists %v", g.memberIDs())
	}
	// Another org's members never show.
	olly := person("olly")
	other := a.org(olly, "Other")
	otherTok := a.scimToken(olly, other)
	if g := groupsOf(t, a.scim(ScimListGroups, otherTok, nil, nil, "")); !slices.Equal(g["admin"].memberIDs(), []string{olly.ID}) || len(g["user"].Members) != 0 {
		t.Errorf("another org's groups: %+v", g)
	}
}

// TestSCIMGroupReadsPageThroughTheMembersAndAreBounded: the members are read a page at a time
// (calls grow with them) up to the limit; past it the read is refused whole, never cut short.
func TestSCIMGroupReadsPageThroughTheMembersAndAreBounded(t *testing.T) {
	a := newAPI(t)
	svc := a.env.SCIM()
	svc.GroupMemberPage, svc.GroupMemberLimit = 2, 5
	ada := person("ada")
	org := a.org(ada, "Acme")
	var users []orgs.Caller
	for _, name := range []string{"bea", "cal", "dan", "eve"} {
		c := person(name)
		users = append(users, c)
		a.member(org, c, roles.User)
	}
	tok := a.scimToken(ada, org)
	r := a.scim(ScimListGroups, tok, nil, nil, "")
	if g := groupsOf(t, r); len(g["user"].Members) != 4 || len(g["admin"].Members) != 1 {
		t.Errorf("5 members in pages of 2: %+v", g)
	}
	if r.calls != 4 {
		t.Errorf("5 members in pages of 2: %d calls, want 4 (the token's read, three pages)", r.calls)
	}
	r = a.scim(ScimGetGroup, tok, map[string]string{"id": "user"}, nil, "")
	if g := decodeSCIM[scimGroupOut](t, r, 200); len(g.Members) != 4 || r.calls != 4 {
		t.Errorf("4 users in pages of 2: %d members in %d calls, want 4 in 4 (the last page empty)", len(g.Members), r.calls)
	}

	// One more member: past the limit.
	fay := person("fay")
	a.member(org, fay, roles.User)
	r = a.scim(ScimListGroups, tok, nil, nil, "")
	if r.status != 400 || !strings.Contains(r.body, `"scimType":"tooMany"`) || !strings.Contains(r.body, "excludedAttributes=members") || r.calls != 1 {
		t.Errorf("6 members past a limit of 5: %d in %d calls %s, want 400 tooMany in 1 call", r.status, r.calls, r.body)
	}
	if r := a.scim(ScimListGroups, tok, nil, map[string]string{"excludedAttributes": "members"}, ""); r.status != 200 || r.calls != 1 {
		t.Errorf("without members past the limit: %d in %d calls", r.status, r.calls)
	}
	if r := a.scim(ScimGetGroup, tok, map[string]string{"id": "admin"}, nil, ""); r.status != 200 {
		t.Errorf("a small group of a large org: %d %s", r.status, r.body)
	}
	a.member(org, person("gus"), roles.User)
	if r := a.scim(ScimGetGroup, tok, map[string]string{"id": "user"}, nil, ""); r.status != 400 || !strings.Contains(r.body, `"scimType":"tooMany"`) {
		t.Errorf("6 users past a limit of 5: %d %s, want 400 tooMany", r.status, r.body)
	}
	// A change to a group too large to answer with is made, and answered with no body.
	if r := a.scim(ScimPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+users[0].ID+`"}]}]}`); r.status != 200 {
		t.Fatalf("move bea to viewer_admin: %d %s", r.status, r.body)
	}
	r = a.scim(ScimPatchGroup, tok, map[string]string{"id": "user"}, nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+users[0].ID+`"}]}]}`)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Errorf("a change to a group past the limit: %d %s, want 204", r.status, r.body)
	}
	if m := a.memberOf(org, users[0]); m.Role != roles.User {
		t.Errorf("bea is %s, want user again", m.Role)
	}
}
