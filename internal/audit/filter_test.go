package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/apperr"
)

func TestParseFilterAcceptsRepeatedAndCommaSeparatedCategories(t *testing.T) {
	for _, in := range []string{"security,licensing", "licensing, security", "Security,licensing,security", ",licensing,,security,"} {
		f, err := ParseFilter(FilterInput{Category: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if diff := cmp.Diff([]Category{Licensing, Security}, f.Categories); diff != "" {
			t.Errorf("%q: %s", in, diff)
		}
	}
	f, err := ParseFilter(FilterInput{Category: "authentication,licensing,organization,security,support,system"})
	if err != nil || f.Categories != nil {
		t.Errorf("every category must be the same as none: %+v %v", f, err)
	}
}

func TestParseFilterRejectsBadInputWithActionableMessages(t *testing.T) {
	cases := map[string]struct {
		in   FilterInput
		want string
	}{
		"unknown category":       {FilterInput{Category: "security,billing"}, `unknown category "billing"; use one or more of authentication, licensing`},
		"malformed from":         {FilterInput{From: "yesterday"}, "from must be an RFC 3339 time such as 2026-11-22T10:00:00Z"},
		"malformed to":           {FilterInput{To: "2026-13-01"}, "to must be an RFC 3339 time"},
		"time without zone":      {FilterInput{From: "2026-11-22T10:00:00"}, "from must be"},
		"from after to":          {FilterInput{From: "2026-11-23T00:00:00Z", To: "2026-11-22T00:00:00Z"}, "from (2026-11-23T00:00:00Z) must be before to (2026-11-22T00:00:00Z)"},
		"from equal to":          {FilterInput{From: "2026-11-22", To: "2026-11-22T00:00:00Z"}, "must be before to"},
		"q too long":             {FilterInput{Q: strings.Repeat("é", MaxQueryLength+1)}, "q must be at most 100 characters"},
		"q with a line break":    {FilterInput{Q: "a\nb"}, "control characters"},
		"q that is not UTF-8":    {FilterInput{Q: "\xff"}, "UTF-8"},
		"from in another offset": {FilterInput{From: "2026-11-22T12:00:00+02:00", To: "2026-11-22T09:00:00Z"}, "from (2026-11-22T10:00:00Z) must be before"},
	}
	for name, c := range cases {
		_, err := ParseFilter(c.in)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), c.want) {
			t.Errorf("%s: got %v, want invalid_request containing %q", name, err, c.want)
		}
	}
}

func TestParseFilterReadsTimesDatesAndLowerCasesQ(t *testing.T) {
	f, err := ParseFilter(FilterInput{From: "2026-11-22", To: "2026-11-22T12:30:00.5+01:00", Q: "  Ada@Example.COM "})
	if err != nil {
		t.Fatal(err)
	}
	want := Filter{
		From:  time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		To:    time.Date(2026, 11, 22, 11, 30, 0, 5e8, time.UTC),
		Query: "ada@example.com",
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Error(diff)
	}
}

func TestFilterKeysDifferWhenFiltersDiffer(t *testing.T) {
	a, _ := ParseFilter(FilterInput{Category: "security,licensing", Q: "x"})
	b, _ := ParseFilter(FilterInput{Category: "licensing,security", Q: "X"})
	c, _ := ParseFilter(FilterInput{Category: "licensing", Q: "x"})
	d, _ := ParseFilter(FilterInput{Category: "licensing,security", Q: "x", From: "2026-01-01"})
	if a.Key() != b.Key() {
		t.Error("equal filters must have equal keys")
	}
	if a.Key() == c.Key() || a.Key() == d.Key() || c.Key() == d.Key() {
		t.Error("different filters must have different keys")
	}
}

func TestStampMakesTheIDsTimeTheEventsTime(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
	// A ULID made at another time, as the id generator would give under a fixed test clock.
	var e Event
	e.Stamp(context.Background(), "01ARZ3NDEKTSV4RRFFQ69G5FAV", at)
	if !e.OccurredAt.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("occurredAt %v, want it kept to the millisecond", e.OccurredAt)
	}
	if !ValidID(e.ID) || e.ID[17:] != strings.ToLower("FQ69G5FAV") {
		t.Errorf("id %q must keep the generator's last 48 random bits, in lower case", e.ID)
	}
	var next Event
	next.Stamp(context.Background(), "01ARZ3NDEK0000000000000000", at)
	if next.ID <= e.ID {
		t.Errorf("an event stamped later in the same millisecond sorts first: %s <= %s", next.ID, e.ID)
	}
	if e.ID < FirstIDAt(e.OccurredAt) || e.ID >= FirstIDAt(e.OccurredAt.Add(time.Millisecond)) {
		t.Errorf("id %q is not inside the millisecond of %v", e.ID, e.OccurredAt)
	}
}

func TestIDRangeSelectsExactlyTheEventsInsideTheBounds(t *testing.T) {
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := Filter{From: base.Add(1500 * time.Microsecond), To: base.Add(5 * time.Millisecond)}
	lo, hi := f.IDRange()
	for ms := range 7 {
		var e Event
		e.Stamp(context.Background(), "01ARZ3NDEKTSV4RRFFQ69G5FAV", base.Add(time.Duration(ms)*time.Millisecond))
		inRange := e.ID >= lo && e.ID < hi
		if inRange != f.Matches(e) {
			t.Errorf("event at +%dms: id range says %v, the filter %v", ms, inRange, f.Matches(e))
		}
	}
	if lo, hi := (Filter{}).IDRange(); lo != strings.Repeat("0", 26) || hi != "" {
		t.Errorf("open range = %q %q", lo, hi)
	}
}

func TestPrevIDIsTheGreatestIDBelow(t *testing.T) {
	cases := map[string]string{
		"01jd0000000000000000000001": "01jd0000000000000000000000",
		"01jd0000000000000000000010": "01jd000000000000000000000z",
		"01jd0000000000000000000000": "01jczzzzzzzzzzzzzzzzzzzzzz",
	}
	for id, want := range cases {
		if got, ok := PrevID(id); !ok || got != want {
			t.Errorf("PrevID(%s) = %s, want %s", id, got, want)
		}
	}
	if _, ok := PrevID(strings.Repeat("0", 26)); ok {
		t.Error("the smallest id has no predecessor")
	}
}

func TestValidIDAcceptsOnlyLowerCaseULIDs(t *testing.T) {
	for id, want := range map[string]bool{
		"01jd0000000000000000000000": true, "01JD0000000000000000000000": false, "export": false,
		"81jd0000000000000000000000": false, "01jd000000000000000000000u": false, "": false,
	} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v", id, !want)
		}
	}
}

func TestMatchesLooksForQInActionActorEmailAndTargetLabel(t *testing.T) {
	e := Event{Action: "member.role_changed", Actor: Actor{Email: "ada@example.com"}, Target: Target{Label: "Acme Robotics"}, Summary: "secret"}
	for q, want := range map[string]bool{"role_ch": true, "ada@": true, "acme rob": true, "secret": false} {
		if (Filter{Query: q}).Matches(e) != want {
			t.Errorf("q=%q: want %v", q, want)
		}
	}
}
