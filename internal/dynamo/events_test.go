package dynamo_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
)

var logStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// genEvents makes n events of one org, two per minute from logStart (so that pairs share a
// millisecond and order by their ids' randomness), the categories in turn.
func genEvents(orgID string, n int) []audit.Event {
	ctx := audit.WithSource(context.Background(), audit.Source{IP: "203.0.113.7", UserAgent: "tests/1.0"})
	evs := make([]audit.Event, n)
	for i := range evs {
		c := audit.Categories[i%len(audit.Categories)]
		e := audit.Event{
			OrgID: orgID, Category: c, Action: fmt.Sprintf("%s.act%d", c, i%3),
			Actor:   audit.Actor{Type: audit.ActorUser, ID: fmt.Sprintf("u%d", i%7), Email: fmt.Sprintf("User%d@Example.com", i%7)},
			Target:  audit.Target{Type: "org", ID: orgID, Label: fmt.Sprintf("Target %d", i%11)},
			Summary: fmt.Sprintf("event %d", i), Details: map[string]any{"i": i},
		}
		e.Stamp(ctx, app.NewULID(), logStart.Add(time.Duration(i/2)*time.Minute))
		evs[i] = e
	}
	return evs
}

// want returns the ids of the events that pass the filter, newest first.
func want(evs []audit.Event, flt audit.Filter) []string {
	var ids []string
	for _, e := range evs {
		if flt.Matches(e) {
			ids = append(ids, e.ID)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(b, a) })
	return ids
}

// listAll follows the pages of a filter to the end and returns the ids in the order read
// and the number of pages. Without q, every page but the last must be full.
func listAll(t *testing.T, s *dynamotest.Store, orgID string, flt audit.Filter, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	p := paging.Request{Limit: limit}
	for pages := 1; ; pages++ {
		page, err := s.Events(context.Background(), orgID, flt, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > limit {
			t.Fatalf("page %d holds %d events, limit %d", pages, len(page.Events), limit)
		}
		if flt.Query == "" && page.Next != "" && len(page.Events) < limit {
			t.Fatalf("page %d holds %d events and has a next page", pages, len(page.Events))
		}
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		if page.Next == "" {
			return ids, pages
		}
		if pages > 10_000 {
			t.Fatal("no end of pages")
		}
		p.After = page.Next
	}
}

func mustFilter(t *testing.T, in audit.FilterInput) audit.Filter {
	t.Helper()
	flt, err := audit.ParseFilter(in)
	if err != nil {
		t.Fatal(err)
	}
	return flt
}

func TestEventPagesReturnEveryEventOnceNewestFirst(t *testing.T) {
	f := newWorld(t)
	evs := genEvents("o1", 53)
	f.seed(t, evs)
	f.seed(t, genEvents("o2", 5)) // another org's log stays out
	got, pages := listAll(t, f.store(), "o1", audit.Filter{}, 10)
	if diff := gocmp.Diff(want(evs, audit.Filter{}), got); diff != "" {
		t.Error(diff)
	}
	if pages != 6 {
		t.Errorf("%d pages, want 6 (the last page must have no cursor)", pages)
	}
	// A page that ends exactly at the end of the log is the last one.
	if _, pages := listAll(t, f.store(), "o1", audit.Filter{}, 53); pages != 1 {
		t.Errorf("%d pages for limit 53, want 1", pages)
	}
}

func TestEventFiltersSelectExactlyTheirEvents(t *testing.T) {
	f := newWorld(t)
	evs := genEvents("o1", 120)
	f.seed(t, evs)
	from := logStart.Add(10 * time.Minute).Format(time.RFC3339) // events 20, 21 are exactly at from: in
	to := logStart.Add(40 * time.Minute).Format(time.RFC3339)   // events 80, 81 are exactly at to: out
	cases := map[string]audit.FilterInput{
		"one category":                     {Category: "security"},
		"two categories":                   {Category: "security,licensing"},
		"three categories repeated":        {Category: "system,support,organization"},
		"date range":                       {From: from, To: to},
		"from only":                        {From: from},
		"to only":                          {To: to},
		"category and range":               {Category: "licensing", From: from, To: to},
		"two categories and range":         {Category: "authentication,system", From: from, To: to},
		"q in the action":                  {Q: "SECURITY.ACT2"},
		"q in the actor's email":           {Q: "user3@example"},
		"q in the target's label":          {Q: "target 10"},
		"q, categories and range":          {Category: "organization,security", From: from, To: to, Q: "user"},
		"q that matches nothing":           {Q: "nobody"},
		"range before the log":             {To: "2025-01-01"},
		"range of less than a millisecond": {From: "2026-01-01T00:10:00Z", To: "2026-01-01T00:10:00.0005Z"},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			flt := mustFilter(t, in)
			wantIDs := want(evs, flt)
			for _, limit := range []int{7, 50} {
				got, _ := listAll(t, f.store(), "o1", flt, limit)
				if diff := gocmp.Diff(wantIDs, got); diff != "" {
					t.Errorf("limit %d: (-want +got)\n%s", limit, diff)
				}
			}
		})
	}
	// The bounds themselves.
	inRange := want(evs, mustFilter(t, audit.FilterInput{From: from, To: to}))
	if !slices.Contains(inRange, evs[20].ID) || !slices.Contains(inRange, evs[21].ID) || slices.Contains(inRange, evs[80].ID) || len(inRange) != 60 {
		t.Errorf("from must be inclusive and to exclusive; %d events in range", len(inRange))
	}
}

func TestRareQReadsABoundedPartOfTheLogPerPageAndContinues(t *testing.T) {
	f := newWorld(t)
	evs := genEvents("o1", 2500)
	evs[3].Actor.Email = "needle@example.com"     // among the oldest
	evs[2400].Target.Label = "The NEEDLE's label" // among the newest
	f.seed(t, evs)
	flt := mustFilter(t, audit.FilterInput{Q: "needle"})
	s := f.store()
	var got []string
	p := paging.Request{Limit: 50}
	pages := 0
	for {
		ctx, calls := dynamo.WithCallCounter(context.Background())
		page, err := s.Events(ctx, "o1", flt, p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if calls.Calls() != 1 {
			t.Errorf("page %d made %d DynamoDB calls, want 1", pages, calls.Calls())
		}
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	if diff := gocmp.Diff([]string{evs[2400].ID, evs[3].ID}, got); diff != "" {
		t.Error(diff)
	}
	if pages != 3 {
		t.Errorf("%d pages; want 3 (1,000 events read per page)", pages)
	}
}

func TestEventPageCostsOneQueryPerCategoryAndReportsCapacity(t *testing.T) {
	f := newWorld(t)
	f.seed(t, genEvents("o1", 40))
	for in, calls := range map[audit.FilterInput]int{
		{}:                                     1,
		{Category: "security"}:                 1,
		{Category: "security,licensing"}:       2,
		{From: "2026-01-01", To: "2026-01-02"}: 1,
		{Q: "x"}:                               1,
	} {
		ctx, counter := dynamo.WithCallCounter(context.Background())
		if _, err := f.store().Events(ctx, "o1", mustFilter(t, in), paging.Request{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if counter.Calls() != calls {
			t.Errorf("%+v: %d calls, want %d", in, counter.Calls(), calls)
		}
		if counter.ReadUnits() <= 0 {
			t.Errorf("%+v: no read capacity reported", in)
		}
	}
}

func TestEventOfAnotherOrgIsNotFound(t *testing.T) {
	f := newWorld(t)
	mine, theirs := genEvents("o1", 1)[0], genEvents("o2", 1)[0]
	f.seed(t, []audit.Event{mine, theirs})
	got, err := f.store().Event(context.Background(), "o1", mine.ID)
	if err != nil {
		t.Fatal(err)
	}
	mine.Details = map[string]any{"i": float64(0)} // numbers come back as float64
	if diff := gocmp.Diff(mine, got); diff != "" {
		t.Error(diff)
	}
	if _, err := f.store().Event(context.Background(), "o1", theirs.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another org's event: %v", err)
	}
}

func TestEachEventMergesCategoriesNewestFirstAndStopsAtItsReadLimit(t *testing.T) {
	f := newWorld(t)
	evs := genEvents("o1", 300)
	f.seed(t, evs)
	s := f.store()
	for _, in := range []audit.FilterInput{{}, {Category: "security,licensing,system"}, {Category: "support", Q: "act1"}} {
		flt := mustFilter(t, in)
		var got []string
		if err := s.EachEvent(context.Background(), "o1", flt, 1000, func(e audit.Event) error {
			got = append(got, e.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want(evs, flt), got); diff != "" {
			t.Errorf("%+v: %s", in, diff)
		}
	}
	err := s.EachEvent(context.Background(), "o1", mustFilter(t, audit.FilterInput{Q: "nothing"}), 100, func(audit.Event) error { return nil })
	if !errors.Is(err, audit.ErrReadLimit) {
		t.Errorf("a q over 300 events with a read limit of 100: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	err = s.EachEvent(context.Background(), "o1", audit.Filter{}, 1000, func(audit.Event) error {
		if n++; n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("fn's error must stop the walk: %v after %d", err, n)
	}
}

func TestCreateOrgEventCarriesWhoWhatWhenAndWhere(t *testing.T) {
	f := newWorld(t)
	ctx := audit.WithSource(context.Background(), audit.Source{IP: "198.51.100.4", UserAgent: "curl/8.5"})
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.store().Events(context.Background(), v.ID, audit.Filter{}, paging.Request{Limit: 10})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("%+v %v", page, err)
	}
	e := page.Events[0]
	e.ID = strings.Repeat("x", 26)
	wantEv := audit.Event{
		ID: e.ID, OrgID: v.ID, Category: audit.Organization, Action: "org.created",
		OccurredAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Actor:      audit.Actor{Type: audit.ActorUser, ID: "user-1", Email: "user1@example.com"},
		Target:     audit.Target{Type: "org", ID: v.ID, Label: "Acme"},
		IP:         "198.51.100.4", UserAgent: "curl/8.5",
		Summary: "user1@example.com created the organization Acme (@acme)",
		Details: map[string]any{"kind": "shared", "handle": "acme", "name": "Acme"},
	}
	if diff := gocmp.Diff(wantEv, e); diff != "" {
		t.Error(diff)
	}
	if id := page.Events[0].ID; id < audit.FirstIDAt(wantEv.OccurredAt) || id >= audit.FirstIDAt(wantEv.OccurredAt.Add(time.Millisecond)) {
		t.Errorf("event id %s does not carry the event's time", id)
	}
}

func TestCallCounterAddsUpTheCapacityOfWritesAndReads(t *testing.T) {
	f := newWorld(t)
	ctx, counter := dynamo.WithCallCounter(context.Background())
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	// A new user's first org writes 11 items in one transaction: the profile, two orgs with
	// their handles, memberships (both sides) and events. DynamoDB bills at least one write
	// unit per item (AWS two, in a transaction; DynamoDB Local reports one).
	if counter.WriteUnits() < 11 {
		t.Errorf("create: %v write units", counter.WriteUnits())
	}
	ctx, counter = dynamo.WithCallCounter(context.Background())
	if _, err := f.store().Event(ctx, v.ID, audit.FirstIDAt(time.Now())); !apperr.Is(err, apperr.NotFound) {
		t.Fatal(err)
	}
	if _, err := f.store().Events(ctx, v.ID, audit.Filter{}, paging.Request{Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if counter.ReadUnits() <= 0 || counter.WriteUnits() != 0 {
		t.Errorf("reads: %v read units, %v write units", counter.ReadUnits(), counter.WriteUnits())
	}
}

// A page with q reads at most searchReadItems (1,000) events in all, whatever the number of
// categories asked for: the bound is per page, not per category (6 categories read 6,000
// before). The search still finds every match, page after page.
func TestSearchAcrossCategoriesReadsAtMostAThousandEventsPerPage(t *testing.T) {
	f := newWorld(t)
	evs := genEvents("o1", 2400)              // 400 per category
	evs[6].Actor.Email = "needle@example.com" // authentication, among the oldest
	evs[2304].Target.Label = "needle"         // authentication, among the newest
	f.seed(t, evs)
	flt := mustFilter(t, audit.FilterInput{Q: "needle", Category: "authentication,licensing,organization,security,support"})
	var got []string
	p := paging.Request{Limit: 50}
	pages := 0
	for {
		page, err := f.store().Events(context.Background(), "o1", flt, p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	if diff := gocmp.Diff([]string{evs[2304].ID, evs[6].ID}, got); diff != "" {
		t.Error(diff)
	}
	if pages < 2 {
		t.Errorf("%d pages for 2,000 events; want at least 2 (at most 1,000 events read per page)", pages)
	}
}
