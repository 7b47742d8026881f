package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/roles"
)

// entitled returns the product ids (and names) the member's sign-in with tok lists, failing
// the test unless it answers 200 in 2 calls.
func (a *api) entitled(email, tok string) map[string]string {
	a.t.Helper()
	r := a.signIn(email, tok)
	if r.status != http.StatusOK || r.calls != 2 {
		a.t.Fatalf("sign-in of %s: %d in %d calls (want 200 in 2): %s", email, r.status, r.calls, r.body)
	}
	out := map[string]string{}
	for _, p := range r.json(a.t)["products"].([]any) {
		m := p.(map[string]any)
		out[m["id"].(string)] = m["name"].(string)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// The licensing writes keep the summary the sign-in reads in their own transactions: no
// seeding, only the routes.
func TestEntitlementsFollowGrantsSeatsRevocationAndTheCatalogThroughTheRoutes(t *testing.T) {
	a := newAPI(t)
	ada, bob, cy := person("ada"), person("bob"), person("cy")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)
	a.member(id, cy, roles.User)
	a.putProduct("widget", widgetJSON)
	a.putProduct("community", `{"name":"Community","description":"Free for all","availability":"public","trial":null,"agreementVersion":null}`)
	view, _ := a.viewToken(ada, id)
	tok := view["token"].(string)
	want := func(email string, ids ...string) {
		t.Helper()
		if got := sortedKeys(a.entitled(email, tok)); !slices.Equal(got, ids) {
			t.Errorf("%s is entitled to %v, want %v", email, got, ids)
		}
	}
	usage := func(active int) {
		t.Helper()
		r := a.do(GetUsage, &ada, map[string]string{"orgId": id}, nil, "")
		if got := r.json(t)["activeLicenses"]; got != float64(active) {
			t.Errorf("usage: activeLicenses %v, want %d (%s)", got, active, r.body)
		}
	}
	want(bob.Email, "community")
	usage(0)

	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","nodeLimit":10,"seatLimit":2}`)
	usage(1)
	want(bob.Email, "community") // a license with seats covers only their holders
	if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 || r.calls != 2 {
		t.Fatalf("assign: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.assignSeat(ada, id, lic, cy.ID); r.status != 200 {
		t.Fatalf("assign cy: %d %s", r.status, r.body)
	}
	want(bob.Email, "community", "widget")
	want(ada.Email, "community")

	if r := a.do(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, ""); r.status != 204 || r.calls != 2 {
		t.Fatalf("release: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	want(bob.Email, "community")
	if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 {
		t.Fatalf("assign again: %d %s", r.status, r.body)
	}
	want(bob.Email, "community", "widget")

	// Removing cy frees cy's seat in the summary too: adding them back gives them none.
	if r := a.do(RemoveMember, &ada, map[string]string{"orgId": id, "userId": cy.ID}, nil, ""); r.status != 204 || r.calls != 2 {
		t.Fatalf("remove cy: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	a.member(id, cy, roles.User)
	want(cy.Email, "community")

	// An operator's change of the terms reaches the sign-in.
	op := operatorCaller()
	if r := a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"nodeLimit":3}`); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r := a.signIn(bob.Email, tok)
	for _, p := range r.json(t)["products"].([]any) {
		if m := p.(map[string]any); m["id"] == "widget" && m["nodeLimit"] != float64(3) {
			t.Errorf("widget after the node limit went to 3: %v", m)
		}
	}

	// A license without seats covers every member; revoking it takes it away.
	all := a.grantLicense(id, `{"productId":"widget","type":"developer"}`)
	want(ada.Email, "community", "widget")
	usage(2)
	if r := a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": all}, nil, `{"status":"revoked"}`); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	want(ada.Email, "community")
	usage(1)
	if r := a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"status":"revoked"}`); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	want(bob.Email, "community")
	usage(0)

	// The catalog: a product made public is listed for everyone, under its current name; made
	// commercial again it is not.
	a.putProduct("widget", `{"name":"Widget Free","description":"Builds widgets","availability":"public","trial":null,"agreementVersion":null}`)
	if got := a.entitled(ada.Email, tok); got["widget"] != "Widget Free" {
		t.Errorf("after widget went public: %v", got)
	}
	a.putProduct("community", `{"name":"Community","description":"Free for all","availability":"commercial","trial":null,"agreementVersion":null}`)
	want(ada.Email, "widget")
}

// A trial started by the org's admin is in the summary with its terms.
func TestATrialIsInTheEntitlementsAtOnce(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	id := a.org(ada, "Acme")
	a.putProduct("widget", widgetJSON)
	if r := a.do(StartTrial, &ada, map[string]string{"orgId": id}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`); r.status != 201 {
		t.Fatalf("trial: %d %s", r.status, r.body)
	}
	view, _ := a.viewToken(ada, id)
	r := a.signIn(ada.Email, view["token"].(string))
	got := r.json(t)["products"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["licenseType"] != "trial" || got[0].(map[string]any)["nodeLimit"] != float64(5) {
		t.Errorf("entitlements after a trial: %s", r.body)
	}
}

// A SCIM suspension frees the member's seats in the summary too: reactivated, they hold none.
func TestASCIMSuspensionTakesTheSeatsOutOfTheEntitlements(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)
	a.putProduct("widget", widgetJSON)
	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 {
		t.Fatalf("seat: %d %s", r.status, r.body)
	}
	view, _ := a.viewToken(ada, id)
	tok := view["token"].(string)
	if got := a.entitled(bob.Email, tok); got["widget"] == "" {
		t.Fatalf("bob with a seat: %v", got)
	}
	scimTok := a.scimToken(ada, id)
	for _, active := range []string{"false", "true"} {
		r := a.scim(ScimPatchUser, scimTok, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":`+active+`}}]}`)
		if r.status != 200 {
			t.Fatalf("active %s: %d %s", active, r.status, r.body)
		}
	}
	if got := a.entitled(bob.Email, tok); len(got) != 0 {
		t.Errorf("bob after suspension and reactivation: %v; want no product", got)
	}
}

// A member at MaxSeatsPerMember seats is removed in one transaction: each seat's two items and
// the summary's one update fit under the 100 items a transaction holds with the removal's own.
func TestRemovingAMemberWithTheMostSeatsFreesThemAllInTheSummary(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)
	a.putProduct("widget", widgetJSON)
	for range licensing.MaxSeatsPerMember {
		lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
		if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
	}
	view, _ := a.viewToken(ada, id)
	tok := view["token"].(string)
	if got := a.entitled(bob.Email, tok); got["widget"] == "" {
		t.Fatalf("bob with %d seats: %v", licensing.MaxSeatsPerMember, got)
	}
	if r := a.do(RemoveMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, ""); r.status != 204 || r.calls != 2 {
		t.Fatalf("remove bob: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	a.member(id, bob, roles.User)
	if got := a.entitled(bob.Email, tok); len(got) != 0 {
		t.Errorf("bob removed and added back: %v; want no product", got)
	}
}
