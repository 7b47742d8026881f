package licensingapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
)

func TestCatalogReadsCostOneCallAndHideWrongIDs(t *testing.T) {
	a := apitest.NewAPI(t)
	a.PutProduct("widget", apitest.WidgetJSON)
	a.PutProduct("free-tool", `{"name":"Free tool","availability":"public","trial":null}`)
	r := a.Do(licensingapi.ListCatalogProducts, nil, nil, nil, "")
	if r.Status != 200 || r.Calls != 1 {
		t.Fatalf("catalog: %d %s, %d calls; want 200 in 1", r.Status, r.Body, r.Calls)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Body), &page); err != nil || len(page.Items) != 2 {
		t.Fatalf("catalog %s", r.Body)
	}
	for _, k := range []string{"id", "name", "description", "availability", "trial", "agreementVersion"} {
		if _, ok := page.Items[0][k]; !ok {
			t.Errorf("product lacks %q: %v", k, page.Items[0])
		}
	}
	r = a.Do(licensingapi.GetCatalogProduct, nil, map[string]string{"productId": "widget"}, nil, "")
	if r.Status != 200 || r.Calls != 1 || !strings.Contains(r.Body, `"agreementVersion":"2026-01"`) {
		t.Errorf("one product: %d %s, %d calls", r.Status, r.Body, r.Calls)
	}
	for _, id := range []string{"nope", "Bad_Shape", strings.Repeat("a", 80)} {
		if r := a.Do(licensingapi.GetCatalogProduct, nil, map[string]string{"productId": id}, nil, ""); r.Status != 404 {
			t.Errorf("product %q: %d; want 404", id, r.Status)
		}
	}
}

func TestOperatorRoutesAreForOperatorsOnly(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	id := a.Org(ada, "Acme")
	for _, r := range routes.Of("httpapi/licensingapi") {
		if r.Auth != httpapi.Operator {
			continue
		}
		got := a.Do(r, &ada, map[string]string{"orgId": id, "productId": "widget", "licenseId": "x"}, map[string]string{"handle": "acme"}, `{}`)
		if got.Status != 403 {
			t.Errorf("%s as an org admin who is no operator: %d %s; want 403", r.Name, got.Status, got.Body)
		}
	}
}

func TestOperatorGrantsAndTheAdminListsWithinTwoCalls(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.OperatorCaller()
	id := a.Org(ada, "Acme")
	a.PutProduct("widget", apitest.WidgetJSON)
	r := a.Do(licensingapi.OperatorFindOrgs, &op, nil, map[string]string{"handle": "acme"}, "")
	if r.Status != 200 || !strings.Contains(r.Body, id) || r.Calls > 2 {
		t.Fatalf("find acme: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.Do(licensingapi.OperatorFindOrgs, &op, nil, map[string]string{"handle": "no-such-org"}, ""); r.Body != `{"items":[]}` {
		t.Errorf("unknown handle: %s", r.Body)
	}
	lic := a.GrantLicense(id, `{"productId":"widget","type":"developer","endsAt":"2099-01-01T00:00:00Z","nodeLimit":3,"seatLimit":null}`)
	r = a.Do(licensingapi.ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if r.Status != 200 || r.Calls != 2 || !strings.Contains(r.Body, lic) {
		t.Fatalf("list: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal([]byte(r.Body), &page)
	for _, k := range []string{"id", "productId", "productName", "type", "status", "startsAt", "endsAt", "nodeLimit", "seatLimit", "seatsUsed", "createdAt"} {
		if _, ok := page.Items[0][k]; !ok {
			t.Errorf("license lacks %q", k)
		}
	}
	if page.Items[0]["status"] != "active" || page.Items[0]["productName"] != "Widget" {
		t.Errorf("license %v", page.Items[0])
	}
	if r := a.Do(licensingapi.ListLicenses, &ada, map[string]string{"orgId": id}, map[string]string{"status": "expired"}, ""); r.Body != `{"items":[]}` {
		t.Errorf("expired filter: %s", r.Body)
	}
	if r := a.Do(licensingapi.ListLicenses, &ada, map[string]string{"orgId": id}, map[string]string{"status": "bogus"}, ""); r.Status != 400 {
		t.Errorf("bad status: %d", r.Status)
	}
	if r := a.Do(licensingapi.OperatorListLicenses, &op, map[string]string{"orgId": id}, nil, ""); r.Status != 200 || r.Calls > 2 || !strings.Contains(r.Body, lic) {
		t.Errorf("operator list: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.Do(licensingapi.OperatorListLicenses, &op, map[string]string{"orgId": "no-such-org"}, nil, ""); r.Status != 404 {
		t.Errorf("operator list of an unknown org: %d", r.Status)
	}
	// The grant is in the org's log, by an operator.
	r = a.Do(eventsapi.ListEvents, &ada, map[string]string{"orgId": id}, map[string]string{"category": "licensing"}, "")
	if !strings.Contains(r.Body, `"action":"license.granted"`) || !strings.Contains(r.Body, `"type":"operator"`) {
		t.Errorf("events: %s", r.Body)
	}
	// A user without licenses.read sees nothing.
	uma := apitest.Person("uma")
	a.Member(id, uma, roles.User)
	if r := a.Do(licensingapi.ListLicenses, &uma, map[string]string{"orgId": id}, nil, ""); r.Status != 403 {
		t.Errorf("a user lists licenses: %d", r.Status)
	}
}

func TestLicenseBadInput(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.OperatorCaller()
	id := a.Org(ada, "Acme")
	a.PutProduct("widget", apitest.WidgetJSON)
	a.PutProduct("no-trial", `{"name":"No trial","availability":"commercial"}`)
	grant := func(body string) apitest.Reply {
		return a.Do(licensingapi.OperatorGrantLicense, &op, map[string]string{"orgId": id}, nil, body)
	}
	for body, want := range map[string]int{
		`{"productId":"widget","type":"enterprise","startsAt":"2026-02-01T00:00:00Z","endsAt":"2026-01-01T00:00:00Z"}`: 400,
		`{"productId":"widget","type":"enterprise","nodeLimit":-1}`:                                                    400,
		`{"productId":"widget","type":"enterprise","seatLimit":-1}`:                                                    400,
		`{"productId":"widget","type":"platinum"}`:                                                                     400,
		`{"productId":"Not A Product!","type":"enterprise"}`:                                                           400,
		`{"productId":"unknown-product","type":"enterprise"}`:                                                          404,
		`{"productId":"widget","type":"enterprise","id":"mine"}`:                                                       400,
		`{"productId":"widget","type":"enterprise","endsAt":"tomorrow"}`:                                               400,
	} {
		if r := grant(body); r.Status != want {
			t.Errorf("grant %s: %d %s; want %d", body, r.Status, r.Body, want)
		}
	}
	if r := a.Do(licensingapi.OperatorGrantLicense, &op, map[string]string{"orgId": "no-such-org"}, nil, `{"productId":"widget","type":"free"}`); r.Status != 404 {
		t.Errorf("grant to an unknown org: %d %s", r.Status, r.Body)
	}
	trial := func(body string) apitest.Reply {
		return a.Do(licensingapi.StartTrial, &ada, map[string]string{"orgId": id}, nil, body)
	}
	for body, want := range map[string]int{
		`{"productId":"widget"}`:                                    400,
		`{"productId":"widget","agreementVersion":"2025-01"}`:       400,
		`{"productId":"no-trial","agreementVersion":"2026-01"}`:     400,
		`{"productId":"unknown-product","agreementVersion":"1"}`:    404,
		`{"productId":"BAD SHAPE","agreementVersion":"2026-01"}`:    400,
		`{"productId":"widget","agreementVersion":"2026-01","x":1}`: 400,
	} {
		if r := trial(body); r.Status != want {
			t.Errorf("trial %s: %d %s; want %d", body, r.Status, r.Body, want)
		}
	}
	// Not in a personal account.
	acc, err := a.Env.Orgs().Account(t.Context(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Do(licensingapi.StartTrial, &ada, map[string]string{"orgId": acc.Profile.PersonalOrgID}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`); r.Status != 409 {
		t.Errorf("a trial in a personal account: %d %s; want 409", r.Status, r.Body)
	}
	// PATCH of a revoked license → 409.
	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise"}`)
	patch := func(body string) apitest.Reply {
		return a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, body)
	}
	if r := patch(`{"status":"active"}`); r.Status != 400 {
		t.Errorf("status active: %d", r.Status)
	}
	if r := patch(`{"productId":"other"}`); r.Status != 400 {
		t.Errorf("read-only field: %d", r.Status)
	}
	if r := patch(`{"status":"revoked"}`); r.Status != 200 || !strings.Contains(r.Body, `"status":"revoked"`) {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := patch(`{"nodeLimit":4}`); r.Status != 409 {
		t.Errorf("PATCH of a revoked license: %d; want 409", r.Status)
	}
	if r := a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": "no/such"}, nil, `{"nodeLimit":1}`); r.Status != 404 {
		t.Errorf("unknown license: %d", r.Status)
	}
}

func TestSeatsFillUpAndFree(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob, cy, dee := apitest.Person("ada"), apitest.Person("bob"), apitest.Person("cy"), apitest.Person("dee")
	id := a.Org(ada, "Acme")
	for _, c := range []orgs.Caller{bob, cy, dee} {
		a.Member(id, c, roles.User)
	}
	a.PutProduct("widget", apitest.WidgetJSON)
	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
	for _, c := range []orgs.Caller{bob, cy} {
		if r := a.AssignSeat(ada, id, lic, c.ID); r.Status != 200 || r.Calls != 2 {
			t.Fatalf("seat for %s: %d %s (%d calls)", c.ID, r.Status, r.Body, r.Calls)
		}
	}
	if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 || r.Calls > 2 {
		t.Errorf("assigning a held seat again: %d %s; want 200, unchanged", r.Status, r.Body)
	}
	if r := a.AssignSeat(ada, id, lic, dee.ID); r.Status != 409 {
		t.Errorf("a third seat of 2: %d %s; want 409", r.Status, r.Body)
	}
	if r := a.AssignSeat(ada, id, lic, "user-stranger"); r.Status != 404 {
		t.Errorf("a seat for a non-member: %d; want 404", r.Status)
	}
	if r := a.AssignSeat(ada, id, "no-such-license", bob.ID); r.Status != 404 {
		t.Errorf("a seat of an unknown license: %d; want 404", r.Status)
	}
	r := a.Do(licensingapi.ListSeats, &ada, map[string]string{"orgId": id, "licenseId": lic}, nil, "")
	if r.Status != 200 || r.Calls != 2 || !strings.Contains(r.Body, bob.Email) || !strings.Contains(r.Body, `"assignedAt"`) {
		t.Errorf("seats: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	free := a.Do(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	if free.Status != 204 || free.Calls != 2 {
		t.Fatalf("free: %d %s (%d calls)", free.Status, free.Body, free.Calls)
	}
	if r := a.Do(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, ""); r.Status != 404 {
		t.Errorf("freeing a free seat: %d", r.Status)
	}
	for _, uid := range []string{"not a user id", strings.Repeat("x", 200)} {
		if r := a.Do(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": uid}, nil, ""); r.Status != 404 || r.Calls > 2 {
			t.Errorf("freeing the seat of %q: %d (%d calls); want 404 within 2", uid, r.Status, r.Calls)
		}
	}
	if r := a.Do(licensingapi.ListSeats, &ada, map[string]string{"orgId": id, "licenseId": "no-such-license"}, nil, ""); r.Status != 404 || r.Calls > 2 {
		t.Errorf("seats of an unknown license: %d (%d calls)", r.Status, r.Calls)
	}
	if r := a.AssignSeat(ada, id, lic, dee.ID); r.Status != 200 {
		t.Errorf("a seat after one was freed: %d %s", r.Status, r.Body)
	}
	// An admin gives themself a seat (the actor and the holder are one member item).
	own := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.AssignSeat(ada, id, own, ada.ID); r.Status != 200 {
		t.Errorf("an admin's own seat: %d %s", r.Status, r.Body)
	}
	if r := a.Do(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": own, "userId": ada.ID}, nil, ""); r.Status != 204 {
		t.Errorf("freeing one's own seat: %d %s", r.Status, r.Body)
	}
	// A license without seats.
	all := a.GrantLicense(id, `{"productId":"widget","type":"enterprise"}`)
	if r := a.AssignSeat(ada, id, all, bob.ID); r.Status != 409 {
		t.Errorf("a seat of a license without seats: %d", r.Status)
	}
	// Lowering the limit below the seats in use.
	op := apitest.OperatorCaller()
	if r := a.Do(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"seatLimit":1}`); r.Status != 409 {
		t.Errorf("seatLimit 1 with 2 in use: %d %s", r.Status, r.Body)
	}
	// Removing cy frees cy's seat, in the removal's two calls.
	rm := a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": id, "userId": cy.ID}, nil, "")
	if rm.Status != 204 || rm.Calls != 2 {
		t.Fatalf("remove cy: %d %s (%d calls)", rm.Status, rm.Body, rm.Calls)
	}
	r = a.Do(licensingapi.ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if !strings.Contains(r.Body, fmt.Sprintf(`"id":%q,"productId":"widget","productName":"Widget","type":"enterprise","status":"active"`, lic)) ||
		!strings.Contains(r.Body, `"seatLimit":2,"seatsUsed":1`) {
		t.Errorf("after removing cy: %s; want 1 seat used (dee)", r.Body)
	}
}

func TestConcurrentSeatAssignsOverHTTPStopAtTheLimit(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	id := a.Org(ada, "Acme")
	a.PutProduct("widget", apitest.WidgetJSON)
	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":3}`)
	var users []orgs.Caller
	for i := range 8 {
		c := apitest.Person(fmt.Sprint("m", i))
		a.Member(id, c, roles.User)
		users = append(users, c)
	}
	reqs := make([]events.APIGatewayV2HTTPRequest, len(users))
	for i, c := range users {
		reqs[i] = a.Request(licensingapi.AssignSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": c.ID}, url.Values{}, "")
	}
	statuses := make([]int, len(users))
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() { statuses[i] = a.Call(licensingapi.AssignSeat, reqs[i]).StatusCode })
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 409:
			conflicts++
		}
	}
	if ok != 3 || conflicts != 5 {
		t.Errorf("8 concurrent assigns on 3 seats: %v; want 3 × 200 and 5 × 409", statuses)
	}
}

func TestDeletingAnAccountFreesItsSeats(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)
	a.PutProduct("widget", apitest.WidgetJSON)
	lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	a.Env.UseDirectory(apitest.AcceptingDirectory{})
	if r := a.Do(accountapi.DeleteMe, &bob, nil, nil, ""); r.Status != 204 {
		t.Fatalf("delete bob: %d %s", r.Status, r.Body)
	}
	r := a.Do(licensingapi.ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if !strings.Contains(r.Body, `"seatsUsed":0`) {
		t.Errorf("after bob deleted his account: %s; want his seat freed", r.Body)
	}
	if r := a.Do(licensingapi.ListSeats, &ada, map[string]string{"orgId": id, "licenseId": lic}, nil, ""); r.Body != `{"items":[]}` {
		t.Errorf("seats: %s", r.Body)
	}
}

func TestRepeatedTrialAndGrantWithOneIdempotencyKeyAnswerTheFirstLicense(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.OperatorCaller()
	id := a.Org(ada, "Acme")
	a.PutProduct("widget", apitest.WidgetJSON)
	for _, c := range []struct {
		r    *httpapi.Route
		who  orgs.Caller
		body string
	}{
		{licensingapi.StartTrial, ada, `{"productId":"widget","agreementVersion":"2026-01"}`},
		{licensingapi.OperatorGrantLicense, op, `{"productId":"widget","type":"free"}`},
	} {
		var ids []string
		for range 2 {
			ev := a.Request(c.r, &c.who, map[string]string{"orgId": id}, nil, c.body)
			ev.Headers["idempotency-key"] = "key-" + c.r.Name
			resp := a.Call(c.r, ev)
			if resp.StatusCode != 201 {
				t.Fatalf("%s: %d %s", c.r.Name, resp.StatusCode, resp.Body)
			}
			var l struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(resp.Body), &l)
			ids = append(ids, l.ID)
		}
		if ids[0] != ids[1] {
			t.Errorf("%s repeated with one key: %v; want the first license twice", c.r.Name, ids)
		}
	}
}

func TestSampleLicensingEventsAreServed(t *testing.T) {
	a := apitest.NewAPI(t)
	a.PutProduct("build-accelerator", `{"name":"Build Accelerator","availability":"commercial","trial":{"days":30,"nodeLimit":5},"agreementVersion":"2026-01"}`)
	for _, c := range []struct {
		file string
		r    *httpapi.Route
	}{{"operator-grant-license.json", licensingapi.OperatorGrantLicense}, {"start-trial.json", licensingapi.StartTrial}} {
		ev := apitest.LoadEvent(t, c.file)
		claims := ev.RequestContext.Authorizer.JWT.Claims
		// The sample's org is made for the sample's admin (ada's sub in start-trial.json).
		admin := orgs.Caller{ID: "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11", Email: "ada@example.com", EmailVerified: true}
		orgID := a.Org(admin, "Sample "+c.file)
		sample := ev.PathParameters["orgId"]
		ev.PathParameters["orgId"] = orgID
		ev.RawPath = strings.ReplaceAll(ev.RawPath, sample, orgID)
		ev.RequestContext.HTTP.Path = ev.RawPath
		resp := a.Call(c.r, ev)
		if resp.StatusCode != 201 {
			t.Errorf("%s (%s as %s): %d %s", c.file, c.r.Name, claims["email"], resp.StatusCode, resp.Body)
		}
	}
}

func TestProductNamesFollowTheTextRule(t *testing.T) {
	a := apitest.NewAPI(t)
	op := apitest.OperatorCaller()
	for _, name := range []string{"Wid\u202eget", "Wid\u200bget", "Line\nbreak", ""} {
		body, _ := json.Marshal(map[string]any{"name": name, "availability": "public"})
		if r := a.Do(licensingapi.PutProduct, &op, map[string]string{"productId": "widget"}, nil, string(body)); r.Status != 400 {
			t.Errorf("name %q: %d %s; want 400", name, r.Status, r.Body)
		}
	}
	if r := a.Do(licensingapi.PutProduct, &op, map[string]string{"productId": "widget"}, nil, `{"name":"Widget","availability":"everyone"}`); r.Status != 400 {
		t.Errorf("availability everyone: %d", r.Status)
	}
	if r := a.Do(licensingapi.PutProduct, &op, map[string]string{"productId": "widget"}, nil, `{"name":"Widget","availability":"public","trial":{"days":0,"nodeLimit":1}}`); r.Status != 400 {
		t.Errorf("a trial of 0 days: %d", r.Status)
	}
}
