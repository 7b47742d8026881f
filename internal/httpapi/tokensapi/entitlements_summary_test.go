package tokensapi_test

import (
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/roles"
)

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
	a := apitest.NewAPI(t)
	ada, bob, cy := apitest.Person("ada"), apitest.Person("bob"), apitest.Person("cy")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)
	a.Member(id, cy, roles.User)
	a.PutProduct("widget", apitest.WidgetJSON)
	a.PutProduct("community", `{"name":"Community","description":"Free for all","availability":"public","trial":null,"agreementVersion":null}`)
	view, _ := a.ViewToken(ada, id)
	tok := view["token"].(string)
	want := func(email string, ids ...string) {
		t.Helper()
		if got := sortedKeys(a.Entitled(email, tok)); !slices.Equal(got, ids) {
			t.Errorf("%s is entitled to %v, want %v", email, got, ids)
		}
	}
	usage := func(active int) {
		t.Helper()
		r := a.Do(tokensapi.GetUsage, &ada, map[string]string{"orgId": id}, nil, "")
		if got := r.JSON(t)["activeLicenses"]; got != float64(active) {
			t.Errorf("usage: activeLicenses %v, want %d (%s)", got, active, r.Body)
		}
	}
	want(bob.Email, "community")
	usage(0)

	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","nodeLimit":10,"seatLimit":2}`)
	usage(1)
	want(bob.Email, "community") // a license with seats covers only their holders
	if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 || r.Calls != 2 {
		t.Fatalf("assign: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.AssignSeat(ada, id, lic, cy.ID); r.Status != 200 {
		t.Fatalf("assign cy: %d %s", r.Status, r.Body)
	}
	want(bob.Email, "community", "widget")
	want(ada.Email, "community")

	if r := a.Do(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, ""); r.Status != 204 || r.Calls != 2 {
		t.Fatalf("release: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	want(bob.Email, "community")
	if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 {
		t.Fatalf("assign again: %d %s", r.Status, r.Body)
	}
	want(bob.Email, "community", "widget")

	// Removing cy frees cy's seat in the summary too: adding them back gives them none.
	if r := a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": id, "userId": cy.ID}, nil, ""); r.Status != 204 || r.Calls != 2 {
		t.Fatalf("remove cy: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	a.Member(id, cy, roles.User)
	want(cy.Email, "community")

	// An operator's change of the terms reaches the sign-in.
	op := apitest.OperatorCaller()
	if r := a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"nodeLimit":3}`); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	r := a.SignIn(bob.Email, tok)
	for _, p := range r.JSON(t)["products"].([]any) {
		if m := p.(map[string]any); m["id"] == "widget" && m["nodeLimit"] != float64(3) {
			t.Errorf("widget after the node limit went to 3: %v", m)
		}
	}

	// A license without seats covers every member; revoking it takes it away.
	all := a.GrantLicense(id, `{"productId":"widget","type":"developer"}`)
	want(ada.Email, "community", "widget")
	usage(2)
	if r := a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": all}, nil, `{"status":"revoked"}`); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	want(ada.Email, "community")
	usage(1)
	if r := a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"status":"revoked"}`); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	want(bob.Email, "community")
	usage(0)

	// The catalog: a product made public is listed for everyone, under its current name; made
	// commercial again it is not.
	a.PutProduct("widget", `{"name":"Widget Free","description":"Builds widgets","availability":"public","trial":null,"agreementVersion":null}`)
	if got := a.Entitled(ada.Email, tok); got["widget"] != "Widget Free" {
		t.Errorf("after widget went public: %v", got)
	}
	a.PutProduct("community", `{"name":"Community","description":"Free for all","availability":"commercial","trial":null,"agreementVersion":null}`)
	want(ada.Email, "widget")
}

// A trial started by the org's admin is in the summary with its terms.
func TestATrialIsInTheEntitlementsAtOnce(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	id := a.Org(ada, "Acme")
	a.PutProduct("widget", apitest.WidgetJSON)
	if r := a.Do(licensingapi.StartTrial, &ada, map[string]string{"orgId": id}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`); r.Status != 201 {
		t.Fatalf("trial: %d %s", r.Status, r.Body)
	}
	view, _ := a.ViewToken(ada, id)
	r := a.SignIn(ada.Email, view["token"].(string))
	got := r.JSON(t)["products"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["licenseType"] != "trial" || got[0].(map[string]any)["nodeLimit"] != float64(5) {
		t.Errorf("entitlements after a trial: %s", r.Body)
	}
}

// A SCIM suspension frees the member's seats in the summary too: reactivated, they hold none.
func TestASCIMSuspensionTakesTheSeatsOutOfTheEntitlements(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)
	a.PutProduct("widget", apitest.WidgetJSON)
	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 {
		t.Fatalf("seat: %d %s", r.Status, r.Body)
	}
	view, _ := a.ViewToken(ada, id)
	tok := view["token"].(string)
	if got := a.Entitled(bob.Email, tok); got["widget"] == "" {
		t.Fatalf("bob with a seat: %v", got)
	}
	scimTok := a.SCIMToken(ada, id)
	for _, active := range []string{"false", "true"} {
		r := a.SCIM(scimapi.SCIMPatchUser, scimTok, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":`+active+`}}]}`)
		if r.Status != 200 {
			t.Fatalf("active %s: %d %s", active, r.Status, r.Body)
		}
	}
	if got := a.Entitled(bob.Email, tok); len(got) != 0 {
		t.Errorf("bob after suspension and reactivation: %v; want no product", got)
	}
}

// A member at MaxSeatsPerMember seats is removed in one transaction: each seat's two items and
// the summary's one update fit under the 100 items a transaction holds with the removal's own.
func TestRemovingAMemberWithTheMostSeatsFreesThemAllInTheSummary(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)
	a.PutProduct("widget", apitest.WidgetJSON)
	for range licensing.MaxSeatsPerMember {
		lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
		if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
	}
	view, _ := a.ViewToken(ada, id)
	tok := view["token"].(string)
	if got := a.Entitled(bob.Email, tok); got["widget"] == "" {
		t.Fatalf("bob with %d seats: %v", licensing.MaxSeatsPerMember, got)
	}
	if r := a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, ""); r.Status != 204 || r.Calls != 2 {
		t.Fatalf("remove bob: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	a.Member(id, bob, roles.User)
	if got := a.Entitled(bob.Email, tok); len(got) != 0 {
		t.Errorf("bob removed and added back: %v; want no product", got)
	}
}
