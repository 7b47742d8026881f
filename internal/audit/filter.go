package audit

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vendorportal/orgs/internal/apperr"
)

// MaxQueryLength bounds the search text q, in characters.
const MaxQueryLength = 100

// Filter selects entries of one org's log. The zero Filter selects every entry.
type Filter struct {
	// Categories, sorted and distinct; empty selects every category.
	Categories []Category
	// From (inclusive) and To (exclusive) bound occurredAt; a zero time leaves that side open.
	From, To time.Time
	// Query is a lower-case substring of the action, the actor's email or the target's label
	// (see SearchText); "" matches everything.
	Query string
}

// FilterInput is a filter as a client wrote it: the query parameters of the list and export
// routes.
type FilterInput struct {
	// Category holds one or more category names separated by commas; API Gateway joins a
	// repeated parameter (category=a&category=b) the same way.
	Category string
	From, To string
	Q        string
}

// ParseFilter validates in. Its errors are Invalid and tell the client what to change.
func ParseFilter(in FilterInput) (Filter, error) {
	var f Filter
	for _, name := range strings.Split(in.Category, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		c := Category(name)
		if !slices.Contains(Categories, c) {
			return Filter{}, apperr.New(apperr.Invalid, "unknown category %q; use one or more of %s", name, categoryList())
		}
		if !slices.Contains(f.Categories, c) {
			f.Categories = append(f.Categories, c)
		}
	}
	slices.Sort(f.Categories)
	if len(f.Categories) == len(Categories) {
		f.Categories = nil // every category: the same as none
	}
	var err error
	if f.From, err = parseBound("from", in.From); err != nil {
		return Filter{}, err
	}
	if f.To, err = parseBound("to", in.To); err != nil {
		return Filter{}, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Filter{}, apperr.New(apperr.Invalid, "from (%s) must be before to (%s): from is inclusive, to exclusive",
			f.From.Format(time.RFC3339Nano), f.To.Format(time.RFC3339Nano))
	}
	q := strings.TrimSpace(in.Q)
	switch {
	case !utf8.ValidString(q):
		return Filter{}, apperr.New(apperr.Invalid, "q must be UTF-8 text")
	case utf8.RuneCountInString(q) > MaxQueryLength:
		return Filter{}, apperr.New(apperr.Invalid, "q must be at most %d characters", MaxQueryLength)
	case strings.IndexFunc(q, unicode.IsControl) >= 0:
		return Filter{}, apperr.New(apperr.Invalid, "q must not contain control characters such as tabs or line breaks")
	}
	// Stored text is NFC (names, labels, emails), so a query spelled otherwise still matches.
	f.Query = strings.ToLower(norm.NFC.String(q))
	return f, nil
}

func categoryList() string {
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// parseBound reads a time bound: RFC 3339 (2026-11-22T10:00:00Z, with any offset and
// fraction), or a date (2026-11-22), which means midnight UTC at its start.
func parseBound(name, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, apperr.New(apperr.Invalid,
		"%s must be an RFC 3339 time such as 2026-11-22T10:00:00Z, or a date such as 2026-11-22 (got %q)", name, s)
}

// Key is a canonical text of the filter: equal filters have equal keys. Cursors are bound
// to it, so that a cursor of one filter can't be used with another.
func (f Filter) Key() string {
	var b strings.Builder
	for i, c := range f.Categories {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(c))
	}
	for _, t := range []time.Time{f.From, f.To} {
		b.WriteByte('\x00')
		if !t.IsZero() {
			b.WriteString(t.UTC().Format(time.RFC3339Nano))
		}
	}
	b.WriteByte('\x00')
	b.WriteString(f.Query)
	return b.String()
}

// Matches reports whether e passes the filter. Stores answer filters without it; it states
// the rule in one place for tests and for code that holds events in memory.
func (f Filter) Matches(e Event) bool {
	return (len(f.Categories) == 0 || slices.Contains(f.Categories, e.Category)) &&
		(f.From.IsZero() || !e.OccurredAt.Before(f.From)) &&
		(f.To.IsZero() || e.OccurredAt.Before(f.To)) &&
		strings.Contains(SearchText(e), f.Query)
}

// SearchText is what q is looked for in: the action, the actor's email and the target's
// label, lower-cased, one per line (q can't hold a line break, so a match never spans two).
func SearchText(e Event) string {
	return strings.ToLower(e.Action + "\n" + e.Actor.Email + "\n" + e.Target.Label)
}

// IDRange returns the ids of the events inside the filter's time bounds: from lo
// (inclusive) to hi (exclusive; "" when open). The store turns it into a key condition.
func (f Filter) IDRange() (lo, hi string) {
	lo = strings.Repeat("0", idLen)
	if !f.From.IsZero() {
		lo = FirstIDAt(f.From)
	}
	if !f.To.IsZero() {
		hi = FirstIDAt(f.To)
	}
	return lo, hi
}
