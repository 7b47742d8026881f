package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// page is one page of a list answer.
type page struct {
	Items      []map[string]any `json:"items"`
	NextCursor *string          `json:"nextCursor"`
}

// walk reads every page of r with ?limit=1 and returns the items' values of key, in order.
func (a *api) walk(r *Route, c *orgs.Caller, params map[string]string, key string) (ids []string, cursors []string) {
	a.t.Helper()
	query := map[string]string{"limit": "1"}
	for range 20 {
		got := a.do(r, c, params, query, "")
		if got.status != 200 {
			a.t.Fatalf("%s %v: %d %s", r.Name, query, got.status, got.body)
		}
		var p page
		if err := json.Unmarshal([]byte(got.body), &p); err != nil {
			a.t.Fatal(err)
		}
		if len(p.Items) > 1 {
			a.t.Fatalf("%s: limit=1 answered %d items", r.Name, len(p.Items))
		}
		for _, it := range p.Items {
			ids = append(ids, it[key].(string))
		}
		if p.NextCursor == nil {
			return ids, cursors
		}
		cursors = append(cursors, *p.NextCursor)
		query["cursor"] = *p.NextCursor
	}
	a.t.Fatalf("%s: more than 20 pages", r.Name)
	return nil, nil
}

// Every paged list once answered 500 for its second page ("a paged list route must be marked
// Secret"): the catalog, an org's licenses, the operators' view of them and a license's
// seats. Each is walked here with limit=1 through the route, and a cursor of another list
// (or none the server issued) is a 400.
func TestPagedListsWalkEveryPageAndRefuseForeignCursors(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operatorCaller()
	orgID := a.org(ada, "Acme")
	for _, p := range []string{"widget", "gadget", "gizmo"} {
		a.putProduct(p, widgetJSON)
	}
	var seated []string
	for _, n := range []string{"bob", "cy", "dee"} {
		c := person(n)
		a.member(orgID, c, roles.User)
		seated = append(seated, c.ID)
	}
	lic := a.grantLicense(orgID, `{"productId":"widget","type":"enterprise","seatLimit":5}`)
	a.grantLicense(orgID, `{"productId":"gadget","type":"enterprise"}`)
	a.grantLicense(orgID, `{"productId":"gizmo","type":"developer"}`)
	for _, u := range seated {
		if r := a.assignSeat(ada, orgID, lic, u); r.status != 200 {
			t.Fatalf("seat: %d %s", r.status, r.body)
		}
	}
	org := map[string]string{"orgId": orgID}
	cases := []struct {
		route  *Route
		caller *orgs.Caller
		params map[string]string
		key    string
	}{
		{ListCatalogProducts, nil, nil, "id"},
		{ListLicenses, &ada, org, "id"},
		{OperatorListLicenses, &op, org, "id"},
		{ListSeats, &ada, map[string]string{"orgId": orgID, "licenseId": lic}, "userId"},
	}
	cursorOf := map[string]string{}
	for _, c := range cases {
		ids, cursors := a.walk(c.route, c.caller, c.params, c.key)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("%s: %s listed twice", c.route.Name, id)
			}
			seen[id] = true
		}
		if len(ids) != 3 || len(cursors) < 2 {
			t.Errorf("%s: %d items over %d cursors, want 3 items over at least 2", c.route.Name, len(ids), len(cursors))
			continue
		}
		cursorOf[c.route.Name] = cursors[0]
	}
	for i, c := range cases {
		foreign := cursorOf[cases[(i+1)%len(cases)].route.Name]
		for _, cursor := range []string{foreign, "x"} {
			if r := a.do(c.route, c.caller, c.params, map[string]string{"cursor": cursor}, ""); r.status != 400 {
				t.Errorf("%s with a cursor it never issued (%.12s…): %d %s; want 400", c.route.Name, cursor, r.status, r.body)
			}
		}
	}
}

// A list answered whole (one page) still follows the contract's list rule: limit is 1–200,
// and it issues no cursor, so any cursor is one the server never issued (400).
func TestWholeListsRefuseBadLimitsAndCursors(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operatorCaller()
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	cases := []struct {
		route  *Route
		caller *orgs.Caller
		params map[string]string
		query  map[string]string
	}{
		{ListRoles, &ada, org, nil},
		{ListWebhooks, &ada, org, nil},
		{ListDomains, &ada, org, nil},
		{SuggestedOrgs, &ada, nil, nil},
		{OperatorFindOrgs, &op, nil, map[string]string{"handle": "acme"}},
	}
	for _, c := range cases {
		with := func(k, v string) map[string]string {
			q := map[string]string{k: v}
			for k, v := range c.query {
				q[k] = v
			}
			return q
		}
		if r := a.do(c.route, c.caller, c.params, with("limit", "1"), ""); r.status != 200 {
			t.Errorf("%s limit=1: %d %s; want 200", c.route.Name, r.status, r.body)
		}
		for k, v := range map[string]string{"limit": "0", "cursor": "x"} {
			if r := a.do(c.route, c.caller, c.params, with(k, v), ""); r.status != 400 {
				t.Errorf("%s %s=%s: %d %s; want 400", c.route.Name, k, v, r.status, r.body)
			}
		}
		if r := a.do(c.route, c.caller, c.params, with("limit", "201"), ""); r.status != 400 {
			t.Errorf("%s limit=201: %d %s; want 400", c.route.Name, r.status, r.body)
		}
	}
	if r := a.do(OperatorFindOrgs, &op, nil, nil, ""); r.status != 400 {
		t.Errorf("operator search without a handle: %d %s; want 400", r.status, r.body)
	}
}

// ?source= filters the member list (source=legacy is the legacy support users' tab), alone
// and together with the other filters; an unknown source is a 400.
func TestMemberListFiltersBySource(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.member(orgID, person("bob"), roles.User)
	for _, n := range []string{"cy", "dee"} {
		c := person(n)
		a.account(c)
		if err := a.store.SeedMember(context.Background(), orgs.Member{
			OrgID: orgID, UserID: c.ID, Email: c.Email, Role: roles.SupportOnly, JoinedAt: harnessNow, Source: orgs.SourceLegacy,
		}, orgs.Shared); err != nil {
			t.Fatal(err)
		}
	}
	org := map[string]string{"orgId": orgID}
	for _, c := range []struct {
		query map[string]string
		want  []string
	}{
		{map[string]string{"source": "legacy"}, []string{"user-cy", "user-dee"}},
		{map[string]string{"source": "legacy", "q": "de"}, []string{"user-dee"}},
		{map[string]string{"source": "legacy", "role": "support_only"}, []string{"user-cy", "user-dee"}},
		{map[string]string{"source": "invite"}, []string{"user-bob"}},
		{map[string]string{"source": "creator"}, []string{"user-ada"}},
		{map[string]string{"source": "scim"}, nil},
	} {
		r := a.do(ListMembers, &ada, org, c.query, "")
		if r.status != 200 {
			t.Errorf("%v: %d %s", c.query, r.status, r.body)
			continue
		}
		var p page
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range p.Items {
			got = append(got, m["userId"].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: listed %v, want %v", c.query, got, c.want)
		}
	}
	if r := a.do(ListMembers, &ada, org, map[string]string{"source": "nowhere"}, ""); r.status != 400 {
		t.Errorf("an unknown source: %d %s; want 400", r.status, r.body)
	}
}
