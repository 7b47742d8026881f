package routes_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/httpapi/webhooksapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Every paged list once answered 500 for its second page ("a paged list route must be marked
// Secret"): the catalog, an org's licenses, the operators' view of them and a license's
// seats. Each is walked here with limit=1 through the route, and a cursor of another list
// (or none the server issued) is a 400.
func TestPagedListsWalkEveryPageAndRefuseForeignCursors(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.OperatorCaller()
	orgID := a.Org(ada, "Acme")
	for _, p := range []string{"widget", "gadget", "gizmo"} {
		a.PutProduct(p, apitest.WidgetJSON)
	}
	var seated []string
	for _, n := range []string{"bob", "cy", "dee"} {
		c := apitest.Person(n)
		a.Member(orgID, c, roles.User)
		seated = append(seated, c.ID)
	}
	lic := a.GrantLicense(orgID, `{"productId":"widget","type":"enterprise","seatLimit":5}`)
	a.GrantLicense(orgID, `{"productId":"gadget","type":"enterprise"}`)
	a.GrantLicense(orgID, `{"productId":"gizmo","type":"developer"}`)
	for _, u := range seated {
		if r := a.AssignSeat(ada, orgID, lic, u); r.Status != 200 {
			t.Fatalf("seat: %d %s", r.Status, r.Body)
		}
	}
	org := map[string]string{"orgId": orgID}
	cases := []struct {
		route  *httpapi.Route
		caller *orgs.Caller
		params map[string]string
		key    string
	}{
		{licensingapi.ListCatalogProducts, nil, nil, "id"},
		{licensingapi.ListLicenses, &ada, org, "id"},
		{licensingapi.OperatorListLicenses, &op, org, "id"},
		{licensingapi.ListSeats, &ada, map[string]string{"orgId": orgID, "licenseId": lic}, "userId"},
	}
	cursorOf := map[string]string{}
	for _, c := range cases {
		ids, cursors := a.Walk(c.route, c.caller, c.params, c.key)
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
			if r := a.Do(c.route, c.caller, c.params, map[string]string{"cursor": cursor}, ""); r.Status != 400 {
				t.Errorf("%s with a cursor it never issued (%.12s…): %d %s; want 400", c.route.Name, cursor, r.Status, r.Body)
			}
		}
	}
}

// A list answered whole (one page) still follows the contract's list rule: limit is 1–200,
// and it issues no cursor, so any cursor is one the server never issued (400).
func TestWholeListsRefuseBadLimitsAndCursors(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.OperatorCaller()
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	cases := []struct {
		route  *httpapi.Route
		caller *orgs.Caller
		params map[string]string
		query  map[string]string
	}{
		{rolesapi.ListRoles, &ada, org, nil},
		{webhooksapi.ListWebhooks, &ada, org, nil},
		{provisioningapi.ListDomains, &ada, org, nil},
		{provisioningapi.SuggestedOrgs, &ada, nil, nil},
		{licensingapi.OperatorFindOrgs, &op, nil, map[string]string{"handle": "acme"}},
	}
	for _, c := range cases {
		with := func(k, v string) map[string]string {
			q := map[string]string{k: v}
			for k, v := range c.query {
				q[k] = v
			}
			return q
		}
		if r := a.Do(c.route, c.caller, c.params, with("limit", "1"), ""); r.Status != 200 {
			t.Errorf("%s limit=1: %d %s; want 200", c.route.Name, r.Status, r.Body)
		}
		for k, v := range map[string]string{"limit": "0", "cursor": "x"} {
			if r := a.Do(c.route, c.caller, c.params, with(k, v), ""); r.Status != 400 {
				t.Errorf("%s %s=%s: %d %s; want 400", c.route.Name, k, v, r.Status, r.Body)
			}
		}
		if r := a.Do(c.route, c.caller, c.params, with("limit", "201"), ""); r.Status != 400 {
			t.Errorf("%s limit=201: %d %s; want 400", c.route.Name, r.Status, r.Body)
		}
	}
	if r := a.Do(licensingapi.OperatorFindOrgs, &op, nil, nil, ""); r.Status != 400 {
		t.Errorf("operator search without a handle: %d %s; want 400", r.Status, r.Body)
	}
}
