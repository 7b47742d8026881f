package dynamo_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/testenv"
)

// BenchmarkEventLog loads 100,000 events into one org's log in DynamoDB Local and reports,
// for the first page of each kind of filter and for an export of 10,000 rows, the DynamoDB
// calls and the read capacity units they consumed (as DynamoDB reports them). It is not part
// of `make test` (go test runs no benchmarks unless asked); run it with
//
//	go test -run '^$' -bench BenchmarkEventLog -benchtime 1x -timeout 30m ./internal/dynamo
//
// Loading takes a minute or two. DynamoDB Local computes consumed capacity as DynamoDB does
// (4 KB read units, halved when eventually consistent); its timings say little about AWS.
func BenchmarkEventLog(b *testing.B) {
	const (
		total = 100_000
		org   = "bench-org"
	)
	client, table := testenv.DynamoDB(b)
	store := dynamotest.New(client, table)
	evs := benchEvents(org, total)
	began := time.Now()
	if err := store.SeedEvents(context.Background(), evs, 16); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d events (%d BatchWriteItem calls of 25) in %s", total, (total+24)/25, time.Since(began).Round(time.Second))

	end := evs[len(evs)-1].OccurredAt
	week := end.Add(-7 * 24 * time.Hour)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	pages := []struct {
		name string
		in   audit.FilterInput
	}{
		{"none", audit.FilterInput{}},
		{"one category (organization, 40%)", audit.FilterInput{Category: "organization"}},
		{"one rare category (system, 5%)", audit.FilterInput{Category: "system"}},
		{"two categories (security+licensing)", audit.FilterInput{Category: "security,licensing"}},
		{"date range (last 7 days)", audit.FilterInput{From: rfc(week), To: rfc(end.Add(time.Second))}},
		{"category + range (security, 7 days)", audit.FilterInput{Category: "security", From: rfc(week), To: rfc(end.Add(time.Second))}},
		{"q common (example.com)", audit.FilterInput{Q: "example.com"}},
		{"q rare (0.1%: auditor@rare)", audit.FilterInput{Q: "auditor@rare"}},
		{"q rare + category (security)", audit.FilterInput{Q: "auditor@rare", Category: "security"}},
	}
	for _, p := range pages {
		flt, err := audit.ParseFilter(p.in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("page/"+p.name, func(b *testing.B) {
			var calls, items int
			var rcu float64
			var next string
			for range b.N {
				ctx, counter := dynamo.WithCallCounter(context.Background())
				page, err := store.Events(ctx, org, flt, paging.Request{Limit: paging.DefaultLimit})
				if err != nil {
					b.Fatal(err)
				}
				calls, rcu, items, next = calls+counter.Calls(), rcu+counter.ReadUnits(), items+len(page.Events), page.Next
			}
			report(b, calls, rcu)
			b.ReportMetric(float64(items)/float64(b.N), "items/op")
			if next == "" {
				b.Log("no next page")
			}
		})
	}

	// An export of exactly 10,000 events: the newest 10,000, by date range.
	from := evs[total-audit.MaxExportRows].OccurredAt
	exports := []struct {
		name string
		in   audit.FilterInput
	}{
		{"10,000 rows (date range)", audit.FilterInput{From: from.Format(time.RFC3339Nano)}},
		{"10,000+ rows refused (one category, 40k events)", audit.FilterInput{Category: "organization"}},
		{"rare q over the whole log, refused at the read limit", audit.FilterInput{Q: "auditor@rare"}},
	}
	for _, x := range exports {
		flt, err := audit.ParseFilter(x.in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("export/"+x.name, func(b *testing.B) {
			log := &audit.Log{Store: store}
			var calls int
			var rcu float64
			var size, compressed counting
			var csvText bytes.Buffer
			for range b.N {
				ctx, counter := dynamo.WithCallCounter(context.Background())
				size, compressed = counting{}, counting{}
				csvText.Reset()
				zw := gzip.NewWriter(&compressed)
				err := log.Export(ctx, org, flt, io.MultiWriter(&size, zw, &csvText))
				if err != nil {
					b.Logf("refused: %v", err)
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
				calls, rcu = calls+counter.Calls(), rcu+counter.ReadUnits()
			}
			report(b, calls, rcu)
			b.ReportMetric(float64(size.rows-1), "rows")
			b.ReportMetric(float64(size.bytes)/1e6, "MB")
			b.ReportMetric(float64(compressed.bytes)/1e6, "MB-gzip")
			// Uncompressed, Lambda's answer carries the CSV as a JSON string.
			inJSON, err := json.Marshal(csvText.String())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(inJSON))/1e6, "MB-as-JSON")
		})
	}
}

func report(b *testing.B, calls int, rcu float64) {
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(rcu/float64(b.N), "RCU/op")
}

// counting is an io.Writer that counts bytes and CSV line ends (CRLF; the benchmark's events
// have no line breaks inside fields).
type counting struct {
	bytes, rows int
	last        byte
}

func (c *counting) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' && c.last == '\r' {
			c.rows++
		}
		c.last = b
	}
	c.bytes += len(p)
	return len(p), nil
}

// benchEvents makes n events of one org over a year, evenly spaced, with realistic fields:
// categories weighted as a busy org's log might be, 200 actors, user agents of browsers.
func benchEvents(orgID string, n int) []audit.Event {
	start := time.Date(2025, 11, 22, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	weighted := []struct {
		c       audit.Category
		actions []string
		percent int
	}{
		{audit.Organization, []string{"member.added", "member.role_changed", "invite.created", "invite.accepted", "org.updated"}, 40},
		{audit.Authentication, []string{"token.used", "token.rejected"}, 30},
		{audit.Licensing, []string{"license.granted", "license.updated", "license.expiry_notice"}, 10},
		{audit.Security, []string{"token.viewed", "token.regenerated", "auth.reset"}, 10},
		{audit.Support, []string{"ticket.created", "ticket.commented"}, 5},
		{audit.System, []string{"email.failed", "invite.expired"}, 5},
	}
	var cats []int
	for i, w := range weighted {
		for range w.percent {
			cats = append(cats, i)
		}
	}
	ctx := audit.WithSource(context.Background(), audit.Source{
		IP:        "203.0.113.77",
		UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	})
	evs := make([]audit.Event, n)
	for i := range evs {
		w := weighted[cats[(i*37)%len(cats)]]
		email := fmt.Sprintf("person%03d@example.com", i%200)
		if i%1000 == 500 {
			email = "auditor@rare.example"
		}
		action := w.actions[i%len(w.actions)]
		e := audit.Event{
			OrgID: orgID, Category: w.c, Action: action,
			Actor:   audit.Actor{Type: audit.ActorUser, ID: fmt.Sprintf("0c5f4a2e-7d7a-4c2b-9a55-%012d", i%200), Email: email},
			Target:  audit.Target{Type: "member", ID: fmt.Sprintf("1d6e5b3f-8e8b-4d3c-8b66-%012d", i%5000), Label: fmt.Sprintf("member%04d@customer.example", i%5000)},
			Summary: fmt.Sprintf("%s: %s on member%04d@customer.example", email, action, i%5000),
			Details: map[string]any{"role": "user", "previousRole": "support_only", "via": "web"},
		}
		e.Stamp(ctx, app.NewULID(), start.Add(time.Duration(i)*step))
		evs[i] = e
	}
	return evs
}
