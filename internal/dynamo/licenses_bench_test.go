package dynamo_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/testenv"
)

// BenchmarkLicenseJob shows that the scheduled job's license task reads what is due, not the
// table: 100 licenses past their end among 1,000 and among a larger table (LICENSE_BENCH_TOTAL,
// default 100,000) cost the same DynamoDB calls and read units. The licenses not due end in a
// year, spread over the days, so their due shards are days the job does not read yet. Run it
// with
//
//	go test -run '^$' -bench BenchmarkLicenseJob -benchtime 1x -timeout 30m ./internal/dynamo
func BenchmarkLicenseJob(b *testing.B) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, total := range []int{1_000, benchTotal()} {
		b.Run(fmt.Sprintf("100 due among %d", total), func(b *testing.B) {
			client, table := testenv.DynamoDB(b)
			store := dynamotest.New(client, table)
			ls := make([]licensing.License, total)
			for i := range ls {
				l := licensing.License{
					ID: fmt.Sprintf("lic-%07d", i), OrgID: fmt.Sprintf("org-%05d", i%5000), ProductID: "widget",
					ProductName: "Widget", Availability: licensing.Commercial, Type: licensing.TypeEnterprise,
					StartsAt: now.Add(-365 * 24 * time.Hour), CreatedAt: now.Add(-365 * 24 * time.Hour),
					EndsAt: now.Add(time.Duration(30+i%300) * 24 * time.Hour),
				}
				if i < 100 {
					// Due: ended an hour ago, both notices sent.
					l.EndsAt = now.Add(-time.Hour)
					l.Notice14For, l.Notice1For = l.EndsAt, l.EndsAt
				}
				l.DueAt = licensing.NextDue(l, now.Add(-2*time.Hour))
				ls[i] = l
			}
			began := time.Now()
			if err := store.SeedLicenses(context.Background(), ls, 16); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d licenses in %s", total, time.Since(began).Round(time.Millisecond))
			svc := &licensing.Service{Store: store, Now: func() time.Time { return now }, NewID: app.NewULID}
			// A first run of the job set its watermark yesterday.
			if err := store.AdvanceDueWatermark(context.Background(), now.Add(-24*time.Hour)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			ctx, calls := dynamo.WithCallCounter(context.Background())
			start := time.Now()
			if err := svc.ProcessDue(ctx, now, slog.New(slog.DiscardHandler)); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(calls.Calls()), "calls")
			b.ReportMetric(calls.ReadUnits(), "readUnits")
			b.Logf("total %d, due 100: %d DynamoDB calls, %.1f read units, %.1f write units, %s",
				total, calls.Calls(), calls.ReadUnits(), calls.WriteUnits(), elapsed.Round(time.Millisecond))
			// Every due license was expired, and nothing else.
			if due, err := store.DueLicenses(context.Background(), now, now); err != nil || len(due) != 0 {
				b.Errorf("still due after the run: %d (%v)", len(due), err)
			}
		})
	}
}

func benchTotal() int {
	var n int
	if _, err := fmt.Sscan(cmp.Or(os.Getenv("LICENSE_BENCH_TOTAL"), "100000"), &n); err != nil || n < 1000 {
		return 100_000
	}
	return n
}
