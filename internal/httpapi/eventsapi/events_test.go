package eventsapi_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	gocmp "github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// eventOrg is an org whose admin is Ada, with n seeded events besides its org.created.
type eventOrg struct {
	*apitest.API
	id  string
	ada orgs.Caller
	evs []audit.Event // every event of the log, org.created included
}

var seedStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func newEventOrg(t *testing.T, n int) *eventOrg {
	t.Helper()
	a := apitest.NewAPI(t)
	o := &eventOrg{API: a, ada: apitest.Person("ada")}
	o.id = a.Org(o.ada, "Acme")
	page, err := a.Store.Events(context.Background(), o.id, audit.Filter{}, paging.Request{Limit: 10})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("the org's first event: %+v %v", page, err)
	}
	o.evs = page.Events
	o.seed(n, nil)
	return o
}

// seed adds n events an hour apart from seedStart, categories in turn; edit may change each.
func (o *eventOrg) seed(n int, edit func(i int, e *audit.Event)) []audit.Event {
	o.T.Helper()
	ctx := audit.WithSource(context.Background(), audit.Source{IP: "203.0.113.9", UserAgent: "tests/1.0"})
	evs := make([]audit.Event, n)
	for i := range evs {
		c := audit.Categories[i%len(audit.Categories)]
		e := audit.Event{
			OrgID: o.id, Category: c, Action: string(c) + ".done",
			Actor:   audit.Actor{Type: audit.ActorUser, ID: fmt.Sprintf("u%d", i%3), Email: fmt.Sprintf("member%d@example.com", i%3)},
			Target:  audit.Target{Type: "thing", ID: fmt.Sprint(i), Label: fmt.Sprintf("Thing %d", i)},
			Summary: fmt.Sprintf("event %d", i), Details: map[string]any{"n": fmt.Sprint(i)},
		}
		if edit != nil {
			edit(i, &e)
		}
		e.Stamp(ctx, app.NewULID(), seedStart.Add(time.Duration(i)*time.Hour))
		evs[i] = e
	}
	if err := o.Store.SeedEvents(context.Background(), evs, 4); err != nil {
		o.T.Fatal(err)
	}
	o.evs = append(o.evs, evs...)
	return evs
}

// want returns the ids of the org's events that pass the filter, newest first.
func (o *eventOrg) want(in audit.FilterInput) []string {
	o.T.Helper()
	f, err := audit.ParseFilter(in)
	if err != nil {
		o.T.Fatal(err)
	}
	var ids []string
	for _, e := range o.evs {
		if f.Matches(e) {
			ids = append(ids, e.ID)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(b, a) })
	return ids
}

func (o *eventOrg) list(c orgs.Caller, query url.Values) events.APIGatewayV2HTTPResponse {
	return o.Call(eventsapi.ListEvents, o.Request(eventsapi.ListEvents, &c, map[string]string{"orgId": o.id}, query, ""))
}

func (o *eventOrg) export(c orgs.Caller, query url.Values) events.APIGatewayV2HTTPResponse {
	return o.Call(eventsapi.ExportEvents, o.Request(eventsapi.ExportEvents, &c, map[string]string{"orgId": o.id}, query, ""))
}

func (o *eventOrg) get(c orgs.Caller, orgID, eventID string) events.APIGatewayV2HTTPResponse {
	return o.Call(eventsapi.GetEvent, o.Request(eventsapi.GetEvent, &c, map[string]string{"orgId": orgID, "eventId": eventID}, nil, ""))
}

// eventPage is a page as a client reads it.
type eventPage struct {
	Items []struct {
		ID     string `json:"id"`
		Action string `json:"action"`
		Actor  struct {
			Email *string `json:"email"`
		} `json:"actor"`
		Target struct {
			Label *string `json:"label"`
		} `json:"target"`
		IP      *string        `json:"ip"`
		Details map[string]any `json:"details"`
	} `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func decodePage(t *testing.T, resp events.APIGatewayV2HTTPResponse) eventPage {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var p eventPage
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// listAll follows nextCursor to the end and returns the ids in the order they came.
func (o *eventOrg) listAll(t *testing.T, query url.Values) []string {
	t.Helper()
	var ids []string
	for pages := 0; pages < 1000; pages++ {
		p := decodePage(t, o.list(o.ada, query))
		for _, e := range p.Items {
			ids = append(ids, e.ID)
		}
		if p.NextCursor == nil {
			return ids
		}
		query = cloneValues(query)
		query.Set("cursor", *p.NextCursor)
	}
	t.Fatal("no end of pages")
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func TestEventRoutesAnswerAdminsAndViewerAdminsOnly(t *testing.T) {
	o := newEventOrg(t, 3)
	eventID := o.evs[0].ID
	want := map[roles.Role]int{roles.Admin: 200, roles.ViewerAdmin: 200, roles.User: 403, roles.SupportOnly: 403, roles.BillingAdmin: 403}
	for role, status := range want {
		c := apitest.Person(string(role) + "-member")
		if role == roles.Admin {
			c = o.ada
		} else {
			o.Member(o.id, c, role)
		}
		for name, resp := range map[string]events.APIGatewayV2HTTPResponse{
			"list": o.list(c, nil), "get": o.get(c, o.id, eventID), "export": o.export(c, nil),
		} {
			if resp.StatusCode != status {
				t.Errorf("%s by %s: %d, want %d (%s)", name, role, resp.StatusCode, status, resp.Body)
			}
			if status == 403 {
				if code, _ := apitest.ErrorCode(t, resp); code != "forbidden" {
					t.Errorf("%s by %s: code %s", name, role, code)
				}
			}
		}
	}
	stranger := apitest.Person("stranger")
	o.Account(stranger)
	for name, resp := range map[string]events.APIGatewayV2HTTPResponse{
		"list": o.list(stranger, nil), "get": o.get(stranger, o.id, eventID), "export": o.export(stranger, nil),
	} {
		if code, _ := apitest.ErrorCode(t, resp); resp.StatusCode != 404 || code != "not_found" {
			t.Errorf("%s by a non-member: %d %s, want 404 not_found", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestEventOfAnotherOrgIsNotFound(t *testing.T) {
	o := newEventOrg(t, 1)
	bob := apitest.Person("bob")
	otherOrg := o.Org(bob, "Other")
	theirs, err := o.Store.Events(context.Background(), otherOrg, audit.Filter{}, paging.Request{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{
		"another org's event": theirs.Events[0].ID, "no such event": app.NewULID(), "not an id": "nope", "upper case": strings.ToUpper(o.evs[0].ID),
	} {
		resp := o.get(o.ada, o.id, id)
		if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 404 || code != "not_found" || msg != "event not found" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
	if resp := o.get(o.ada, otherOrg, theirs.Events[0].ID); resp.StatusCode != 404 {
		t.Errorf("an event of an org Ada is not in: %d", resp.StatusCode)
	}
	if resp := o.get(o.ada, o.id, o.evs[1].ID); resp.StatusCode != 200 {
		t.Errorf("own event: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestEventObjectsHaveEveryFieldNullWhenUnset(t *testing.T) {
	o := newEventOrg(t, 0)
	sys := o.seed(1, func(_ int, e *audit.Event) {
		e.Category, e.Action, e.Summary, e.Details = audit.System, "org.purged", "", nil
		e.Actor, e.Target = audit.Actor{Type: audit.ActorSystem}, audit.Target{}
	})[0]
	resp := o.get(o.ada, o.id, sys.ID)
	var got map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(resp.Body)
	}
	wantObj := map[string]any{
		"id": sys.ID, "category": "system", "action": "org.purged", "occurredAt": "2026-03-01T00:00:00.000Z",
		"actor":  map[string]any{"type": "system", "id": nil, "email": nil},
		"target": map[string]any{"type": nil, "id": nil, "label": nil},
		"ip":     "203.0.113.9", "userAgent": "tests/1.0", "summary": nil, "details": map[string]any{},
	}
	if diff := gocmp.Diff(wantObj, got); diff != "" {
		t.Error(diff)
	}
	created := decodePage(t, o.list(o.ada, url.Values{"category": {"organization"}})).Items
	if len(created) != 1 || created[0].Action != "org.created" || *created[0].Actor.Email != "ada@example.com" ||
		*created[0].Target.Label != "Acme" || created[0].Details["handle"] != "acme" || created[0].IP != nil {
		t.Errorf("org.created = %+v", created)
	}
}

func TestListEventsFiltersAndPagesNewestFirstThroughCursors(t *testing.T) {
	o := newEventOrg(t, 40)
	from, to := seedStart.Add(5*time.Hour).Format(time.RFC3339), seedStart.Add(30*time.Hour).Format(time.RFC3339)
	cases := map[string]struct {
		query url.Values
		in    audit.FilterInput
	}{
		"no filter":                         {url.Values{}, audit.FilterInput{}},
		"repeated category":                 {url.Values{"category": {"security", "licensing"}}, audit.FilterInput{Category: "security,licensing"}},
		"comma-separated categories":        {url.Values{"category": {"security,organization"}}, audit.FilterInput{Category: "security,organization"}},
		"date range":                        {url.Values{"from": {from}, "to": {to}}, audit.FilterInput{From: from, To: to}},
		"category and date range":           {url.Values{"category": {"support"}, "from": {from}, "to": {to}}, audit.FilterInput{Category: "support", From: from, To: to}},
		"q on email, any case":              {url.Values{"q": {"MEMBER2@"}}, audit.FilterInput{Q: "member2@"}},
		"q on label with categories":        {url.Values{"q": {"thing 1"}, "category": {"licensing", "system"}}, audit.FilterInput{Q: "thing 1", Category: "licensing,system"}},
		"q on action":                       {url.Values{"q": {"org.created"}}, audit.FilterInput{Q: "org.created"}},
		"from as a date":                    {url.Values{"from": {"2026-03-02"}}, audit.FilterInput{From: "2026-03-02"}},
		"everything, with a limit of three": {url.Values{"limit": {"3"}}, audit.FilterInput{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			q := cloneValues(c.query)
			if q.Get("limit") == "" {
				q.Set("limit", "4")
			}
			wantIDs := o.want(c.in)
			if len(wantIDs) == 0 {
				t.Fatal("the case selects nothing: it tests nothing")
			}
			if diff := gocmp.Diff(wantIDs, o.listAll(t, q)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestEventCursorOnlyServesItsOwnFilter(t *testing.T) {
	o := newEventOrg(t, 10)
	p := decodePage(t, o.list(o.ada, url.Values{"category": {"security,licensing"}, "limit": {"1"}}))
	if p.NextCursor == nil {
		t.Fatal("no cursor")
	}
	// The same filter written otherwise is the same filter.
	if resp := o.list(o.ada, url.Values{"category": {"licensing", "security"}, "cursor": {*p.NextCursor}}); resp.StatusCode != 200 {
		t.Errorf("same filter: %d %s", resp.StatusCode, resp.Body)
	}
	resp := o.list(o.ada, url.Values{"category": {"security"}, "cursor": {*p.NextCursor}})
	if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 400 || code != "invalid_request" || !strings.Contains(msg, "another query") {
		t.Errorf("other filter: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestEventRoutesRejectBadFiltersWith400(t *testing.T) {
	o := newEventOrg(t, 0)
	cases := map[string]struct {
		query url.Values
		want  string
	}{
		"unknown category":    {url.Values{"category": {"security", "billing"}}, `unknown category "billing"`},
		"malformed from":      {url.Values{"from": {"last tuesday"}}, "from must be an RFC 3339 time"},
		"malformed to":        {url.Values{"to": {"2026-02-30"}}, "to must be an RFC 3339 time"},
		"from after to":       {url.Values{"from": {"2026-03-02"}, "to": {"2026-03-01"}}, "must be before to"},
		"q too long":          {url.Values{"q": {strings.Repeat("x", 101)}}, "at most 100 characters"},
		"q with a line break": {url.Values{"q": {"a\nb"}}, "control characters"},
	}
	for name, c := range cases {
		for route, resp := range map[string]events.APIGatewayV2HTTPResponse{"list": o.list(o.ada, c.query), "export": o.export(o.ada, c.query)} {
			if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 400 || code != "invalid_request" || !strings.Contains(msg, c.want) {
				t.Errorf("%s, %s: %d %s; want 400 saying %q", name, route, resp.StatusCode, resp.Body, c.want)
			}
		}
	}
	for name, q := range map[string]url.Values{"limit 0": {"limit": {"0"}}, "limit 201": {"limit": {"201"}}, "forged cursor": {"cursor": {"abc.def"}}} {
		if resp := o.list(o.ada, q); resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestExportIsCSVSafeToOpenInASpreadsheet(t *testing.T) {
	o := newEventOrg(t, 0)
	o.seed(3, func(i int, e *audit.Event) {
		switch i {
		case 0:
			e.Target.Label = `=HYPERLINK("http://evil.example","Click")`
			e.Summary = "Renamed to \"Acme, Inc.\"\nby an admin"
		case 1:
			e.Actor.Email = "+1@example.com"
			e.Summary = "@SUM(A1:A9)"
		case 2:
			e.Target.Label = "-2+3"
			e.Summary = "\tindented"
		}
	})
	resp := o.export(o.ada, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Headers["Content-Disposition"]; cd != `attachment; filename="events-acme-20261122T100000Z.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(audit.CSVHeader, records[0]); diff != "" {
		t.Errorf("header: %s", diff)
	}
	if len(records) != 1+len(o.evs) {
		t.Fatalf("%d rows for %d events", len(records)-1, len(o.evs))
	}
	// Newest first: the seeded events (2026-03) are older than org.created (the clock's now).
	rows := records[1:]
	if rows[0][3] != "org.created" || rows[1][0] != o.evs[3].ID {
		t.Errorf("order: %q, %q", rows[0][:4], rows[1][:4])
	}
	byID := map[string][]string{}
	for _, r := range rows {
		byID[r[0]] = r
	}
	checks := []struct {
		row, col int
		want     string
	}{
		{1, 9, `'=HYPERLINK("http://evil.example","Click")`},
		{1, 12, "Renamed to \"Acme, Inc.\"\nby an admin"},
		{2, 6, "'+1@example.com"},
		{2, 12, "'@SUM(A1:A9)"},
		{3, 9, "'-2+3"},
		{3, 12, "'\tindented"},
	}
	for _, c := range checks {
		if got := byID[o.evs[c.row].ID][c.col]; got != c.want {
			t.Errorf("event %d, %s: %q, want %q", c.row, audit.CSVHeader[c.col], got, c.want)
		}
	}
	if !strings.Contains(resp.Body, "\"Renamed to \"\"Acme, Inc.\"\"\r\nby an admin\"") {
		t.Error("a cell with quotes, a comma and a line break must be quoted, quotes doubled")
	}
}

func TestExportRefusesMoreEventsThanOneAnswerHolds(t *testing.T) {
	o := newEventOrg(t, 12)
	o.Env.EventLog().MaxExportRows = 10
	resp := o.export(o.ada, nil)
	if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 413 || code != "payload_too_large" ||
		!strings.Contains(msg, "more than 10 events") || !strings.Contains(msg, "narrow the date range") {
		t.Errorf("%d %s", resp.StatusCode, resp.Body)
	}
	narrowed := o.export(o.ada, url.Values{"to": {seedStart.Add(10 * time.Hour).Format(time.RFC3339)}})
	if narrowed.StatusCode != 200 || strings.Count(narrowed.Body, "\r\n") != 11 {
		t.Errorf("narrowed: %d, %d lines", narrowed.StatusCode, strings.Count(narrowed.Body, "\r\n"))
	}
	o.Env.EventLog().MaxExportRead = 5
	resp = o.export(o.ada, url.Values{"q": {"no such text"}})
	if code, msg := apitest.ErrorCode(t, resp); resp.StatusCode != 413 || code != "payload_too_large" || !strings.Contains(msg, "more than 5 events of the log") {
		t.Errorf("rare q: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestExportBufferCountsTheCSVAsLambdaEncodesIt(t *testing.T) {
	b := eventsapi.NewExportBuffer(10)
	if _, err := b.Write([]byte(`abcd"`)); err != nil { // 4 + 2
		t.Fatal(err)
	}
	if _, err := b.Write([]byte(`<`)); !apperr.Is(err, apperr.TooLarge) { // + 6 = 12
		t.Errorf("12 bytes in JSON must pass a limit of 10: %v", err)
	}
}

func TestEventRoutesCostTwoRoundTrips(t *testing.T) {
	o := newEventOrg(t, 20)
	cases := []struct {
		name  string
		call  func() events.APIGatewayV2HTTPResponse
		calls int64
	}{
		{"list", func() events.APIGatewayV2HTTPResponse { return o.list(o.ada, nil) }, 2},
		{"list of a category and range", func() events.APIGatewayV2HTTPResponse {
			return o.list(o.ada, url.Values{"category": {"security"}, "from": {"2026-03-01"}, "to": {"2026-03-02"}})
		}, 2},
		{"list of two categories (parallel queries)", func() events.APIGatewayV2HTTPResponse {
			return o.list(o.ada, url.Values{"category": {"security", "system"}})
		}, 3},
		{"list with q", func() events.APIGatewayV2HTTPResponse { return o.list(o.ada, url.Values{"q": {"thing"}}) }, 2},
		{"get", func() events.APIGatewayV2HTTPResponse { return o.get(o.ada, o.id, o.evs[1].ID) }, 2},
		{"export", func() events.APIGatewayV2HTTPResponse { return o.export(o.ada, nil) }, 2},
	}
	for _, c := range cases {
		o.Writes.Reset()
		if resp := c.call(); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, resp.Body)
		}
		if n := o.Writes.Calls.Load(); n != c.calls {
			t.Errorf("%s: %d DynamoDB calls, want %d", c.name, n, c.calls)
		}
	}
}

func TestAcceptsGzipReadsAcceptEncoding(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip, deflate, br": true, "br;q=1.0, GZIP;q=0.5": true, "*": true, "": false, "deflate": false,
		"gzip;q=0": false, "identity, gzip;q=0.0": false,
	} {
		if eventsapi.AcceptsGzip(header) != want {
			t.Errorf("acceptsGzip(%q) = %v", header, !want)
		}
	}
}

func TestLargeExportIsRefusedUncompressedAndFitsCompressed(t *testing.T) {
	o := newEventOrg(t, 0)
	// 200 events of about 30 KB: 6 MB of CSV, in JSON more.
	o.seed(200, func(i int, e *audit.Event) {
		e.Details = map[string]any{"note": strings.Repeat(fmt.Sprintf("line %d, \"quoted\"; ", i), 1500)}
	})
	plain := o.export(o.ada, nil)
	if code, msg := apitest.ErrorCode(t, plain); plain.StatusCode != 413 || code != "payload_too_large" || !strings.Contains(msg, "Accept-Encoding: gzip") {
		t.Errorf("uncompressed: %d %.300s", plain.StatusCode, plain.Body)
	}
	req := o.Request(eventsapi.ExportEvents, &o.ada, map[string]string{"orgId": o.id}, nil, "")
	req.Headers["accept-encoding"] = "gzip, deflate, br"
	resp := o.Call(eventsapi.ExportEvents, req)
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Headers["Content-Encoding"] != "gzip" {
		t.Fatalf("compressed: %d, base64 %v, %q", resp.StatusCode, resp.IsBase64Encoded, resp.Headers)
	}
	if len(resp.Body) > eventsapi.MaxExportResponseBytes {
		t.Errorf("the answer's body is %d bytes", len(resp.Body))
	}
	raw, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+len(o.evs) || records[0][0] != "id" {
		t.Errorf("%d records for %d events", len(records), len(o.evs))
	}
}
