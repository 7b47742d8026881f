package audit

import (
	"cmp"
	"context"
	"errors"
	"io"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/paging"
)

// Store reads an org's log. Package dynamo implements it.
type Store interface {
	// Events returns one page of the org's events that pass f, newest first. A page may hold
	// fewer than p.Limit events, even none, and still have a next position: a store bounds
	// what one call reads, and a rare q may need several calls to fill a page.
	Events(ctx context.Context, orgID string, f Filter, p paging.Request) (Page, error)
	// Event returns one event of the org; NotFound when the org has none with that id.
	Event(ctx context.Context, orgID, id string) (Event, error)
	// EachEvent calls fn with every event of the org that passes f, newest first, until fn
	// returns an error, which EachEvent then returns. It reads at most maxRead events of the
	// log (those inside f's categories and time bounds, whether or not they match f.Query)
	// and returns ErrReadLimit when it would need more.
	EachEvent(ctx context.Context, orgID string, f Filter, maxRead int, fn func(Event) error) error
}

// ErrReadLimit is what EachEvent returns when it stops at its read limit.
var ErrReadLimit = errors.New("read limit reached")

// Page is one page of events and the store's position after it ("" after the last page).
type Page struct {
	Events []Event
	Next   string
}

// Export limits. Lambda answers at most 6 MB, so an export is produced in one response only
// up to these sizes; larger ones must be narrowed by the client (see Log.Export).
const (
	// MaxExportRows is the most events one export holds.
	MaxExportRows = 10_000
	// MaxExportRead is the most events one export reads from the log to find its rows: it
	// bounds the cost and time of an export whose q matches little of a large log, to what
	// an export without q may read (~900 read units).
	MaxExportRead = MaxExportRows
)

// Log reads an org's event log. Writing is not its business: every change writes its own
// event in its own transaction.
type Log struct {
	Store Store
	// MaxExportRows and MaxExportRead override the package's limits of the same names when
	// set (tests use small ones).
	MaxExportRows, MaxExportRead int
}

// List returns one page of the org's events that pass f, newest first.
func (l *Log) List(ctx context.Context, orgID string, f Filter, p paging.Request) (Page, error) {
	return l.Store.Events(ctx, orgID, f, p)
}

// Get returns one event of the org. An id of another org's event is not found: the org is
// part of the key.
func (l *Log) Get(ctx context.Context, orgID, id string) (Event, error) {
	if !ValidID(id) {
		return Event{}, apperr.New(apperr.NotFound, "event not found")
	}
	return l.Store.Event(ctx, orgID, id)
}

// Export writes the org's events that pass f to w as CSV (see CSVWriter), newest first. When
// there are more than MaxExportRows of them, or finding them would read more than
// MaxExportRead events, it stops with a TooLarge error that tells the client to narrow the
// filter; w then holds a partial export that the caller must discard. Errors of w are
// returned as they are.
func (l *Log) Export(ctx context.Context, orgID string, f Filter, w io.Writer) error {
	cw, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	maxRows, maxRead := cmp.Or(l.MaxExportRows, MaxExportRows), cmp.Or(l.MaxExportRead, MaxExportRead)
	rows := 0
	err = l.Store.EachEvent(ctx, orgID, f, maxRead, func(e Event) error {
		if rows++; rows > maxRows {
			return apperr.New(apperr.TooLarge,
				"the export has more than %d events, the most one export holds; narrow the date range (from, to) or choose categories, and export in parts", maxRows)
		}
		return cw.Write(e)
	})
	if errors.Is(err, ErrReadLimit) {
		return apperr.New(apperr.TooLarge,
			"finding the events that match q reads more than %d events of the log, the most one export reads; narrow the date range (from, to) or choose categories, and export in parts", maxRead)
	}
	if err != nil {
		return err
	}
	return cw.Flush()
}
