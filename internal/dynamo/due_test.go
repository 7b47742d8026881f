package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/testenv"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dates(ds []time.Time) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Format(time.DateOnly)
		if d.Location() != time.UTC || !d.Equal(dynamo.UTCDay(d)) {
			out[i] += " (not a UTC midnight: " + d.String() + ")"
		}
	}
	return out
}

func newMark(t *testing.T) (*dynamo.Store, dynamo.DayWatermark) {
	t.Helper()
	client, table := testenv.DynamoDB(t)
	return dynamo.New(client, table), dynamo.DayWatermark{
		PK: "JOB#TEST", SK: "WATERMARK", Settle: time.Hour,
		First: func(today time.Time) time.Time { return today.AddDate(0, 0, -2) },
	}
}

// walk runs w at now and returns the days it visited and the mark after the run.
func walk(t *testing.T, s *dynamo.Store, w dynamo.DayWatermark, now time.Time, unclean ...string) ([]string, string) {
	t.Helper()
	var mu sync.Mutex
	var visited []time.Time
	err := w.Walk(context.Background(), s, now, func(day time.Time) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		visited = append(visited, day)
		return !slices.Contains(unclean, day.Format(time.DateOnly)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mark, err := w.Day(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return dates(visited), mark.Format(time.DateOnly)
}

func TestDayWatermarkCountsUTCDaysWhateverTheClocksZone(t *testing.T) {
	s, w := newMark(t)
	// 05:00 on the 10th in Kiritimati (UTC+14) is 15:00 on the 9th in UTC: the 10th's shard
	// holds nothing yet, and the 9th's must not be passed.
	east := time.FixedZone("UTC+14", 14*3600)
	visited, mark := walk(t, s, w, time.Date(2026, 3, 10, 5, 0, 0, 0, east))
	if diff := cmp.Diff([]string{"2026-03-07", "2026-03-08", "2026-03-09"}, visited); diff != "" {
		t.Errorf("days visited (-want +got):\n%s", diff)
	}
	if mark != "2026-03-09" {
		t.Errorf("mark %s; want 2026-03-09, the UTC day of the run", mark)
	}
	// Midnight of the 12th (UTC), given as 14:00 on the 11th in Honolulu: the mark names the
	// UTC day, not the zone's.
	west := time.FixedZone("UTC-10", -10*3600)
	if err := w.Advance(context.Background(), s, date("2026-03-12").In(west)); err != nil {
		t.Fatal(err)
	}
	if d, err := w.Day(context.Background(), s); err != nil || !d.Equal(date("2026-03-12")) {
		t.Errorf("mark %v (%v); want 2026-03-12", d, err)
	}
}

func TestDayWatermarkReadsADayAgainUntilItSettlesAcrossMidnight(t *testing.T) {
	s, w := newMark(t)
	// Before midnight: the 9th is read, and stays the mark.
	visited, mark := walk(t, s, w, time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"2026-03-07", "2026-03-08", "2026-03-09"}, visited); diff != "" {
		t.Errorf("days visited (-want +got):\n%s", diff)
	}
	if mark != "2026-03-09" {
		t.Errorf("mark %s after the run before midnight; want 2026-03-09", mark)
	}
	// 20 minutes after midnight: a write due at 23:59 on the 9th may have landed after the
	// last run read the 9th, which is read again.
	visited, mark = walk(t, s, w, time.Date(2026, 3, 10, 0, 20, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"2026-03-09", "2026-03-10"}, visited); diff != "" {
		t.Errorf("days visited after midnight (-want +got):\n%s", diff)
	}
	if mark != "2026-03-09" {
		t.Errorf("mark %s 20 minutes after midnight; want 2026-03-09 until the day settles", mark)
	}
	// Settled: the mark moves on; two runs at once leave it the same.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			errs[i] = w.Walk(context.Background(), s, time.Date(2026, 3, 10, 1, 30, 0, 0, time.UTC), func(time.Time) (bool, error) { return true, nil })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if d, _ := w.Day(context.Background(), s); !d.Equal(date("2026-03-10")) {
		t.Errorf("mark %v after the day settled; want 2026-03-10", d)
	}
}

func TestDayWatermarkStopsAtTheFirstDayLeftUndoneAndNeverMovesBack(t *testing.T) {
	s, w := newMark(t)
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	if err := w.Advance(context.Background(), s, date("2026-03-15")); err != nil {
		t.Fatal(err)
	}
	visited, mark := walk(t, s, w, now, "2026-03-17")
	if diff := cmp.Diff([]string{"2026-03-15", "2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20"}, visited); diff != "" {
		t.Errorf("days visited (-want +got):\n%s", diff)
	}
	if mark != "2026-03-17" {
		t.Errorf("mark %s; want 2026-03-17, the day left undone", mark)
	}
	// A run with a slow clock, or a late writer, never takes the mark back.
	if err := w.Advance(context.Background(), s, date("2026-03-01")); err != nil {
		t.Fatal(err)
	}
	if _, mark := walk(t, s, w, now.AddDate(0, 0, -10)); mark != "2026-03-17" {
		t.Errorf("mark %s after runs behind it; want 2026-03-17", mark)
	}
	// A failed read of a day is not clean either, and is reported; the days after are read.
	var after []time.Time
	err := w.Walk(context.Background(), s, now, func(day time.Time) (bool, error) {
		if day.Equal(date("2026-03-18")) {
			return true, errors.New("throttled")
		}
		after = append(after, day)
		return true, nil
	})
	if err == nil {
		t.Error("a failed day's error was not reported")
	}
	if d, _ := w.Day(context.Background(), s); !d.Equal(date("2026-03-18")) {
		t.Errorf("mark %v; want 2026-03-18, the day whose read failed", d)
	}
	if diff := cmp.Diff([]string{"2026-03-17", "2026-03-19", "2026-03-20"}, dates(after)); diff != "" {
		t.Errorf("days visited around the failed one (-want +got):\n%s", diff)
	}
}
