package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// operatorCaller is a member of the operators group.
func operatorCaller() orgs.Caller {
	c := person("op")
	c.Operator = true
	return c
}

// putProduct puts a catalog product through the route.
func (a *api) putProduct(id, body string) {
	a.t.Helper()
	op := operatorCaller()
	if r := a.do(PutProduct, &op, map[string]string{"productId": id}, nil, body); r.status != 200 {
		a.t.Fatalf("put product %s: %d %s", id, r.status, r.body)
	}
}

const widgetJSON = `{"name":"Widget","description":"Builds widgets","availability":"commercial","trial":{"days":30,"nodeLimit":5},"agreementVersion":"2026-01"}`

// grantLicense grants orgID a license through the route and returns its id.
func (a *api) grantLicense(orgID, body string) string {
	a.t.Helper()
	op := operatorCaller()
	r := a.do(OperatorGrantLicense, &op, map[string]string{"orgId": orgID}, nil, body)
	if r.status != 201 {
		a.t.Fatalf("grant: %d %s", r.status, r.body)
	}
	return r.json(a.t)["id"].(string)
}

// assignSeat gives userID a seat through the route.
func (a *api) assignSeat(admin orgs.Caller, orgID, licenseID, userID string) reply {
	a.t.Helper()
	return a.do(AssignSeat, &admin, map[string]string{"orgId": orgID, "licenseId": licenseID, "userId": userID}, nil, "")
}

func init() {
	mutations["put-product"] = func(a *api) events.APIGatewayV2HTTPRequest {
		op := operatorCaller()
		return a.request(PutProduct, &op, map[string]string{"productId": "widget"}, nil, widgetJSON)
	}
	mutations["operator-grant-license"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, op := person("ada"), operatorCaller()
		id := a.org(ada, "Acme")
		a.putProduct("widget", widgetJSON)
		return a.request(OperatorGrantLicense, &op, map[string]string{"orgId": id}, nil,
			`{"productId":"widget","type":"enterprise","startsAt":"2026-01-01T00:00:00Z","endsAt":"2027-01-01T00:00:00Z","nodeLimit":10,"seatLimit":3}`)
	}
	mutations["operator-update-license"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, op := person("ada"), operatorCaller()
		id := a.org(ada, "Acme")
		a.putProduct("widget", widgetJSON)
		lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise"}`)
		return a.request(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"endsAt":"2030-01-01T00:00:00Z","seatLimit":5}`)
	}
	mutations["start-trial"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		a.putProduct("widget", widgetJSON)
		return a.request(StartTrial, &ada, map[string]string{"orgId": id}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`)
	}
	mutations["assign-seat"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.member(id, bob, roles.User)
		a.putProduct("widget", widgetJSON)
		lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
		return a.request(AssignSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	}
	mutations["release-seat"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.member(id, bob, roles.User)
		a.putProduct("widget", widgetJSON)
		lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
		if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 {
			a.t.Fatalf("assign: %d %s", r.status, r.body)
		}
		return a.request(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	}
	// The catalog is the vendor's, not an org's: there is no org log for its changes.
	withoutEvent["put-product"] = "the catalog belongs to no org, so there is no org log to write to"
}

func TestCatalogReadsCostOneCallAndHideWrongIDs(t *testing.T) {
	a := newAPI(t)
	a.putProduct("widget", widgetJSON)
	a.putProduct("free-tool", `{"name":"Free tool","availability":"public","trial":null}`)
	r := a.do(ListCatalogProducts, nil, nil, nil, "")
	if r.status != 200 || r.calls != 1 {
		t.Fatalf("catalog: %d %s, %d calls; want 200 in 1", r.status, r.body, r.calls)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Items) != 2 {
		t.Fatalf("catalog %s", r.body)
	}
	for _, k := range []string{"id", "name", "description", "availability", "trial", "agreementVersion"} {
		if _, ok := page.Items[0][k]; !ok {
			t.Errorf("product lacks %q: %v", k, page.Items[0])
		}
	}
	r = a.do(GetCatalogProduct, nil, map[string]string{"productId": "widget"}, nil, "")
	if r.status != 200 || r.calls != 1 || !strings.Contains(r.body, `"agreementVersion":"2026-01"`) {
		t.Errorf("one product: %d %s, %d calls", r.status, r.body, r.calls)
	}
	for _, id := range []string{"nope", "Bad_Shape", strings.Repeat("a", 80)} {
		if r := a.do(GetCatalogProduct, nil, map[string]string{"productId": id}, nil, ""); r.status != 404 {
			t.Errorf("product %q: %d; want 404", id, r.status)
		}
	}
}

func TestOperatorRoutesAreForOperatorsOnly(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	id := a.org(ada, "Acme")
	for _, r := range licensingRoutes {
		if r.Auth != Operator {
			continue
		}
		got := a.do(r, &ada, map[string]string{"orgId": id, "productId": "widget", "licenseId": "x"}, map[string]string{"handle": "acme"}, `{}`)
		if got.status != 403 {
			t.Errorf("%s as an org admin who is no operator: %d %s; want 403", r.Name, got.status, got.body)
		}
	}
}

func TestOperatorGrantsAndTheAdminListsWithinTwoCalls(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operatorCaller()
	id := a.org(ada, "Acme")
	a.putProduct("widget", widgetJSON)
	r := a.do(OperatorFindOrgs, &op, nil, map[string]string{"handle": "acme"}, "")
	if r.status != 200 || !strings.Contains(r.body, id) || r.calls > 2 {
		t.Fatalf("find acme: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.do(OperatorFindOrgs, &op, nil, map[string]string{"handle": "no-such-org"}, ""); r.body != `{"items":[]}` {
		t.Errorf("unknown handle: %s", r.body)
	}
	lic := a.grantLicense(id, `{"productId":"widget","type":"developer","endsAt":"2099-01-01T00:00:00Z","nodeLimit":3,"seatLimit":null}`)
	r = a.do(ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if r.status != 200 || r.calls != 2 || !strings.Contains(r.body, lic) {
		t.Fatalf("list: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	_ = json.Unmarshal([]byte(r.body), &page)
	for _, k := range []string{"id", "productId", "productName", "type", "status", "startsAt", "endsAt", "nodeLimit", "seatLimit", "seatsUsed", "createdAt"} {
		if _, ok := page.Items[0][k]; !ok {
			t.Errorf("license lacks %q", k)
		}
	}
	if page.Items[0]["status"] != "active" || page.Items[0]["productName"] != "Widget" {
		t.Errorf("license %v", page.Items[0])
	}
	if r := a.do(ListLicenses, &ada, map[string]string{"orgId": id}, map[string]string{"status": "expired"}, ""); r.body != `{"items":[]}` {
		t.Errorf("expired filter: %s", r.body)
	}
	if r := a.do(ListLicenses, &ada, map[string]string{"orgId": id}, map[string]string{"status": "bogus"}, ""); r.status != 400 {
		t.Errorf("bad status: %d", r.status)
	}
	if r := a.do(OperatorListLicenses, &op, map[string]string{"orgId": id}, nil, ""); r.status != 200 || r.calls > 2 || !strings.Contains(r.body, lic) {
		t.Errorf("operator list: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.do(OperatorListLicenses, &op, map[string]string{"orgId": "no-such-org"}, nil, ""); r.status != 404 {
		t.Errorf("operator list of an unknown org: %d", r.status)
	}
	// The grant is in the org's log, by an operator.
	r = a.do(ListEvents, &ada, map[string]string{"orgId": id}, map[string]string{"category": "licensing"}, "")
	if !strings.Contains(r.body, `"action":"license.granted"`) || !strings.Contains(r.body, `"type":"operator"`) {
		t.Errorf("events: %s", r.body)
	}
	// A user without licenses.read sees nothing.
	uma := person("uma")
	a.member(id, uma, roles.User)
	if r := a.do(ListLicenses, &uma, map[string]string{"orgId": id}, nil, ""); r.status != 403 {
		t.Errorf("a user lists licenses: %d", r.status)
	}
}

func TestLicenseBadInput(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operatorCaller()
	id := a.org(ada, "Acme")
	a.putProduct("widget", widgetJSON)
	a.putProduct("no-trial", `{"name":"No trial","availability":"commercial"}`)
	grant := func(body string) reply {
		return a.do(OperatorGrantLicense, &op, map[string]string{"orgId": id}, nil, body)
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
		if r := grant(body); r.status != want {
			t.Errorf("grant %s: %d %s; want %d", body, r.status, r.body, want)
		}
	}
	if r := a.do(OperatorGrantLicense, &op, map[string]string{"orgId": "no-such-org"}, nil, `{"productId":"widget","type":"free"}`); r.status != 404 {
		t.Errorf("grant to an unknown org: %d %s", r.status, r.body)
	}
	trial := func(body string) reply { return a.do(StartTrial, &ada, map[string]string{"orgId": id}, nil, body) }
	for body, want := range map[string]int{
		`{"productId":"widget"}`:                                    400,
		`{"productId":"widget","agreementVersion":"2025-01"}`:       400,
		`{"productId":"no-trial","agreementVersion":"2026-01"}`:     400,
		`{"productId":"unknown-product","agreementVersion":"1"}`:    404,
		`{"productId":"BAD SHAPE","agreementVersion":"2026-01"}`:    400,
		`{"productId":"widget","agreementVersion":"2026-01","x":1}`: 400,
	} {
		if r := trial(body); r.status != want {
			t.Errorf("trial %s: %d %s; want %d", body, r.status, r.body, want)
		}
	}
	// Not in a personal account.
	acc, err := a.env.Orgs().Account(t.Context(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.do(StartTrial, &ada, map[string]string{"orgId": acc.Profile.PersonalOrgID}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`); r.status != 409 {
		t.Errorf("a trial in a personal account: %d %s; want 409", r.status, r.body)
	}
	// PATCH of a revoked license → 409.
	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise"}`)
	patch := func(body string) reply {
		return a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, body)
	}
	if r := patch(`{"status":"active"}`); r.status != 400 {
		t.Errorf("status active: %d", r.status)
	}
	if r := patch(`{"productId":"other"}`); r.status != 400 {
		t.Errorf("read-only field: %d", r.status)
	}
	if r := patch(`{"status":"revoked"}`); r.status != 200 || !strings.Contains(r.body, `"status":"revoked"`) {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := patch(`{"nodeLimit":4}`); r.status != 409 {
		t.Errorf("PATCH of a revoked license: %d; want 409", r.status)
	}
	if r := a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": "no/such"}, nil, `{"nodeLimit":1}`); r.status != 404 {
		t.Errorf("unknown license: %d", r.status)
	}
}

func TestSeatsFillUpAndFree(t *testing.T) {
	a := newAPI(t)
	ada, bob, cy, dee := person("ada"), person("bob"), person("cy"), person("dee")
	id := a.org(ada, "Acme")
	for _, c := range []orgs.Caller{bob, cy, dee} {
		a.member(id, c, roles.User)
	}
	a.putProduct("widget", widgetJSON)
	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
	for _, c := range []orgs.Caller{bob, cy} {
		if r := a.assignSeat(ada, id, lic, c.ID); r.status != 200 || r.calls != 2 {
			t.Fatalf("seat for %s: %d %s (%d calls)", c.ID, r.status, r.body, r.calls)
		}
	}
	if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 || r.calls > 2 {
		t.Errorf("assigning a held seat again: %d %s; want 200, unchanged", r.status, r.body)
	}
	if r := a.assignSeat(ada, id, lic, dee.ID); r.status != 409 {
		t.Errorf("a third seat of 2: %d %s; want 409", r.status, r.body)
	}
	if r := a.assignSeat(ada, id, lic, "user-stranger"); r.status != 404 {
		t.Errorf("a seat for a non-member: %d; want 404", r.status)
	}
	if r := a.assignSeat(ada, id, "no-such-license", bob.ID); r.status != 404 {
		t.Errorf("a seat of an unknown license: %d; want 404", r.status)
	}
	r := a.do(ListSeats, &ada, map[string]string{"orgId": id, "licenseId": lic}, nil, "")
	if r.status != 200 || r.calls != 2 || !strings.Contains(r.body, bob.Email) || !strings.Contains(r.body, `"assignedAt"`) {
		t.Errorf("seats: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	free := a.do(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	if free.status != 204 || free.calls != 2 {
		t.Fatalf("free: %d %s (%d calls)", free.status, free.body, free.calls)
	}
	if r := a.do(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, ""); r.status != 404 {
		t.Errorf("freeing a free seat: %d", r.status)
	}
	for _, uid := range []string{"not a user id", strings.Repeat("x", 200)} {
		if r := a.do(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": uid}, nil, ""); r.status != 404 || r.calls > 2 {
			t.Errorf("freeing the seat of %q: %d (%d calls); want 404 within 2", uid, r.status, r.calls)
		}
	}
	if r := a.do(ListSeats, &ada, map[string]string{"orgId": id, "licenseId": "no-such-license"}, nil, ""); r.status != 404 || r.calls > 2 {
		t.Errorf("seats of an unknown license: %d (%d calls)", r.status, r.calls)
	}
	if r := a.assignSeat(ada, id, lic, dee.ID); r.status != 200 {
		t.Errorf("a seat after one was freed: %d %s", r.status, r.body)
	}
	// An admin gives themself a seat (the actor and the holder are one member item).
	own := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.assignSeat(ada, id, own, ada.ID); r.status != 200 {
		t.Errorf("an admin's own seat: %d %s", r.status, r.body)
	}
	if r := a.do(ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": own, "userId": ada.ID}, nil, ""); r.status != 204 {
		t.Errorf("freeing one's own seat: %d %s", r.status, r.body)
	}
	// A license without seats.
	all := a.grantLicense(id, `{"productId":"widget","type":"enterprise"}`)
	if r := a.assignSeat(ada, id, all, bob.ID); r.status != 409 {
		t.Errorf("a seat of a license without seats: %d", r.status)
	}
	// Lowering the limit below the seats in use.
	op := operatorCaller()
	if r := a.do(OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"seatLimit":1}`); r.status != 409 {
		t.Errorf("seatLimit 1 with 2 in use: %d %s", r.status, r.body)
	}
	// Removing cy frees cy's seat, in the removal's two calls.
	rm := a.do(RemoveMember, &ada, map[string]string{"orgId": id, "userId": cy.ID}, nil, "")
	if rm.status != 204 || rm.calls != 2 {
		t.Fatalf("remove cy: %d %s (%d calls)", rm.status, rm.body, rm.calls)
	}
	r = a.do(ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if !strings.Contains(r.body, fmt.Sprintf(`"id":%q,"productId":"widget","productName":"Widget","type":"enterprise","status":"active"`, lic)) ||
		!strings.Contains(r.body, `"seatLimit":2,"seatsUsed":1`) {
		t.Errorf("after removing cy: %s; want 1 seat used (dee)", r.body)
	}
}

func TestConcurrentSeatAssignsOverHTTPStopAtTheLimit(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	id := a.org(ada, "Acme")
	a.putProduct("widget", widgetJSON)
	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":3}`)
	var users []orgs.Caller
	for i := range 8 {
		c := person(fmt.Sprint("m", i))
		a.member(id, c, roles.User)
		users = append(users, c)
	}
	reqs := make([]events.APIGatewayV2HTTPRequest, len(users))
	for i, c := range users {
		reqs[i] = a.request(AssignSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": c.ID}, url.Values{}, "")
	}
	statuses := make([]int, len(users))
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() { statuses[i] = a.call(AssignSeat, reqs[i]).StatusCode })
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
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)
	a.putProduct("widget", widgetJSON)
	lic := a.grantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":1}`)
	if r := a.assignSeat(ada, id, lic, bob.ID); r.status != 200 {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	a.env.UseDirectory(acceptingDirectory{})
	if r := a.do(DeleteMe, &bob, nil, nil, ""); r.status != 204 {
		t.Fatalf("delete bob: %d %s", r.status, r.body)
	}
	r := a.do(ListLicenses, &ada, map[string]string{"orgId": id}, nil, "")
	if !strings.Contains(r.body, `"seatsUsed":0`) {
		t.Errorf("after bob deleted his account: %s; want his seat freed", r.body)
	}
	if r := a.do(ListSeats, &ada, map[string]string{"orgId": id, "licenseId": lic}, nil, ""); r.body != `{"items":[]}` {
		t.Errorf("seats: %s", r.body)
	}
}

func TestRepeatedTrialAndGrantWithOneIdempotencyKeyAnswerTheFirstLicense(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operatorCaller()
	id := a.org(ada, "Acme")
	a.putProduct("widget", widgetJSON)
	for _, c := range []struct {
		r    *Route
		who  orgs.Caller
		body string
	}{
		{StartTrial, ada, `{"productId":"widget","agreementVersion":"2026-01"}`},
		{OperatorGrantLicense, op, `{"productId":"widget","type":"free"}`},
	} {
		var ids []string
		for range 2 {
			ev := a.request(c.r, &c.who, map[string]string{"orgId": id}, nil, c.body)
			ev.Headers["idempotency-key"] = "key-" + c.r.Name
			resp := a.call(c.r, ev)
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
	a := newAPI(t)
	a.putProduct("build-accelerator", `{"name":"Build Accelerator","availability":"commercial","trial":{"days":30,"nodeLimit":5},"agreementVersion":"2026-01"}`)
	for _, c := range []struct {
		file string
		r    *Route
	}{{"operator-grant-license.json", OperatorGrantLicense}, {"start-trial.json", StartTrial}} {
		ev := loadEvent(t, c.file)
		claims := ev.RequestContext.Authorizer.JWT.Claims
		// The sample's org is made for the sample's admin (ada's sub in start-trial.json).
		admin := orgs.Caller{ID: "6c1f1b2e-7d7a-4c2b-9a55-3f1f0a9d2b11", Email: "ada@example.com", EmailVerified: true}
		orgID := a.org(admin, "Sample "+c.file)
		sample := ev.PathParameters["orgId"]
		ev.PathParameters["orgId"] = orgID
		ev.RawPath = strings.ReplaceAll(ev.RawPath, sample, orgID)
		ev.RequestContext.HTTP.Path = ev.RawPath
		resp := a.call(c.r, ev)
		if resp.StatusCode != 201 {
			t.Errorf("%s (%s as %s): %d %s", c.file, c.r.Name, claims["email"], resp.StatusCode, resp.Body)
		}
	}
}

func TestProductNamesFollowTheTextRule(t *testing.T) {
	a := newAPI(t)
	op := operatorCaller()
	for _, name := range []string{"Wid\u202eget", "Wid\u200bget", "Line\nbreak", ""} {
		body, _ := json.Marshal(map[string]any{"name": name, "availability": "public"})
		if r := a.do(PutProduct, &op, map[string]string{"productId": "widget"}, nil, string(body)); r.status != 400 {
			t.Errorf("name %q: %d %s; want 400", name, r.status, r.body)
		}
	}
	if r := a.do(PutProduct, &op, map[string]string{"productId": "widget"}, nil, `{"name":"Widget","availability":"everyone"}`); r.status != 400 {
		t.Errorf("availability everyone: %d", r.status)
	}
	if r := a.do(PutProduct, &op, map[string]string{"productId": "widget"}, nil, `{"name":"Widget","availability":"public","trial":{"days":0,"nodeLimit":1}}`); r.status != 400 {
		t.Errorf("a trial of 0 days: %d", r.status)
	}
}
