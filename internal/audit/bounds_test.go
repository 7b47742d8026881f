package audit

import (
	"context"
	"io"
	"testing"

	"github.com/vendorportal/orgs/internal/paging"
)

// readLimitStore records the read limit an export asks the store for.
type readLimitStore struct{ maxRead int }

func (s *readLimitStore) Events(context.Context, string, Filter, paging.Request) (Page, error) {
	return Page{}, nil
}
func (s *readLimitStore) Event(context.Context, string, string) (Event, error) { return Event{}, nil }
func (s *readLimitStore) EachEvent(_ context.Context, _ string, _ Filter, maxRead int, _ func(Event) error) error {
	s.maxRead = maxRead
	return nil
}

// One export reads at most as many events as it may hold (10,000, ~900 read units), with or
// without q: the bound that made a rare q read 50,000 events per call is narrowed to it.
func TestExportReadsNoMoreEventsThanItMayHold(t *testing.T) {
	s := &readLimitStore{}
	f, err := ParseFilter(FilterInput{Q: "rare"})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Log{Store: s}).Export(context.Background(), "o1", f, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s.maxRead != MaxExportRows || s.maxRead > 10_000 {
		t.Errorf("an export may read %d events; want at most %d", s.maxRead, MaxExportRows)
	}
}
