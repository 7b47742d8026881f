package httpapi

import (
	"encoding/json"
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
