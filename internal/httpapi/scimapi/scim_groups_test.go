package scimapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
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

func groupsOf(t *testing.T, r apitest.Reply) map[string]scimGroupOut {
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
	a := apitest.NewAPI(t)
	ada, bob, cy, dee := apitest.Person("ada"), apitest.Person("bob"), apitest.Person("cy"), apitest.Person("dee")
	org := a.Org(ada, "Acme")
	release := a.CustomRole(ada, org, "Release manager", roles.OrgRead, roles.ProductsAccess)
	a.Member(org, bob, roles.User)
	a.Member(org, cy, roles.ViewerAdmin)
	a.Member(org, dee, roles.Role(release))
	tok := a.SCIMToken(ada, org)

	r := a.SCIM(scimapi.SCIMListGroups, tok, nil, nil, "")
	groups := groupsOf(t, r)
	if r.Calls != 2 {
		t.Errorf("the groups with members: %d calls, want 2 (the token's read, one Query of the members)", r.Calls)
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
	one := decodeSCIM[scimGroupOut](t, a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "viewer_admin"}, nil, ""), 200)
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
		r := a.SCIM(scimapi.SCIMListGroups, tok, nil, c.query, "")
		groups := groupsOf(t, r)
		if r.Calls != c.calls {
			t.Errorf("%s: %d calls, want %d", name, r.Calls, c.calls)
		}
		for id, g := range groups {
			if (len(g.Members) > 0) != c.members && (id == "admin" || id == release) {
				t.Errorf("%s: group %s members %v, want members: %v", name, id, g.memberIDs(), c.members)
			}
			if (g.DisplayName != nil) != c.display {
				t.Errorf("%s: group %s displayName %v, want it: %v", name, id, g.DisplayName, c.display)
			}
		}
		if strings.HasPrefix(name, "attributes=") && strings.Contains(r.Body, `"meta"`) {
			t.Errorf("%s: meta was not asked for: %s", name, r.Body)
		}
	}
	if r := a.SCIM(scimapi.SCIMListGroups, tok, nil, map[string]string{"filter": `displayName eq "Release manager"`}, ""); len(groupsOf(t, r)) != 1 {
		t.Errorf("the filter: %s", r.Body)
	}
	// Entra's check that a group exists reads no member.
	r = a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "admin"}, map[string]string{"excludedAttributes": "members"}, "")
	if g := decodeSCIM[scimGroupOut](t, r, 200); len(g.Members) != 0 || r.Calls != 1 {
		t.Errorf("GET /Groups/admin without members: %+v in %d calls, want none in 1", g, r.Calls)
	}
	// A suspended member still holds their role: still listed.
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.Status != 200 {
		t.Fatalf("suspend bob: %d %s", r.Status, r.Body)
	}
	if g := groupsOf(t, a.SCIM(scimapi.SCIMListGroups, tok, nil, nil, ""))["user"]; !slices.Equal(g.memberIDs(), []string{bob.ID}) {
		t.Errorf("the suspended bob's group lists %v", g.memberIDs())
	}
	// Another org's members never show.
	olly := apitest.Person("olly")
	other := a.Org(olly, "Other")
	otherTok := a.SCIMToken(olly, other)
	if g := groupsOf(t, a.SCIM(scimapi.SCIMListGroups, otherTok, nil, nil, "")); !slices.Equal(g["admin"].memberIDs(), []string{olly.ID}) || len(g["user"].Members) != 0 {
		t.Errorf("another org's groups: %+v", g)
	}
}

// TestSCIMGroupReadsPageThroughTheMembersAndAreBounded: the members are read a page at a time
// (calls grow with them) up to the limit; past it the read is refused whole, never cut short.
func TestSCIMGroupReadsPageThroughTheMembersAndAreBounded(t *testing.T) {
	a := apitest.NewAPI(t)
	svc := a.Env.SCIM()
	svc.GroupMemberPage, svc.GroupMemberLimit = 2, 5
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	var users []orgs.Caller
	for _, name := range []string{"bea", "cal", "dan", "eve"} {
		c := apitest.Person(name)
		users = append(users, c)
		a.Member(org, c, roles.User)
	}
	tok := a.SCIMToken(ada, org)
	r := a.SCIM(scimapi.SCIMListGroups, tok, nil, nil, "")
	if g := groupsOf(t, r); len(g["user"].Members) != 4 || len(g["admin"].Members) != 1 {
		t.Errorf("5 members in pages of 2: %+v", g)
	}
	if r.Calls != 4 {
		t.Errorf("5 members in pages of 2: %d calls, want 4 (the token's read, three pages)", r.Calls)
	}
	r = a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "user"}, nil, "")
	if g := decodeSCIM[scimGroupOut](t, r, 200); len(g.Members) != 4 || r.Calls != 4 {
		t.Errorf("4 users in pages of 2: %d members in %d calls, want 4 in 4 (the last page empty)", len(g.Members), r.Calls)
	}

	// One more member: past the limit.
	fay := apitest.Person("fay")
	a.Member(org, fay, roles.User)
	r = a.SCIM(scimapi.SCIMListGroups, tok, nil, nil, "")
	if r.Status != 400 || !strings.Contains(r.Body, `"scimType":"tooMany"`) || !strings.Contains(r.Body, "excludedAttributes=members") || r.Calls != 1 {
		t.Errorf("6 members past a limit of 5: %d in %d calls %s, want 400 tooMany in 1 call", r.Status, r.Calls, r.Body)
	}
	if r := a.SCIM(scimapi.SCIMListGroups, tok, nil, map[string]string{"excludedAttributes": "members"}, ""); r.Status != 200 || r.Calls != 1 {
		t.Errorf("without members past the limit: %d in %d calls", r.Status, r.Calls)
	}
	if r := a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "admin"}, nil, ""); r.Status != 200 {
		t.Errorf("a small group of a large org: %d %s", r.Status, r.Body)
	}
	a.Member(org, apitest.Person("gus"), roles.User)
	if r := a.SCIM(scimapi.SCIMGetGroup, tok, map[string]string{"id": "user"}, nil, ""); r.Status != 400 || !strings.Contains(r.Body, `"scimType":"tooMany"`) {
		t.Errorf("6 users past a limit of 5: %d %s, want 400 tooMany", r.Status, r.Body)
	}
	// A change to a group too large to answer with is made, and answered with no body.
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "viewer_admin"}, nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+users[0].ID+`"}]}]}`); r.Status != 200 {
		t.Fatalf("move bea to viewer_admin: %d %s", r.Status, r.Body)
	}
	r = a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "user"}, nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+users[0].ID+`"}]}]}`)
	if r.Status != http.StatusNoContent || r.Body != "" {
		t.Errorf("a change to a group past the limit: %d %s, want 204", r.Status, r.Body)
	}
	if m := a.MemberOf(org, users[0]); m.Role != roles.User {
		t.Errorf("bea is %s, want user again", m.Role)
	}
}
