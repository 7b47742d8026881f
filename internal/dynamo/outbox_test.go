package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/dynamo"
	outboxpkg "github.com/vendorportal/orgs/internal/outbox"
)

const kindTest outboxpkg.Kind = "test"

func TestTheJobRedrivesAMessageDueLongAgoAndThenReadsOnlyFromItsCursor(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var done []string
	fail := true
	w.handlers[kindTest] = func(_ context.Context, m outboxpkg.Message) error {
		if fail {
			return errors.New("not yet")
		}
		done = append(done, m.ID)
		return nil
	}
	// A message written 40 days ago that the stream never delivered (the feed is not run
	// here), and one whose first attempt failed 20 days ago.
	now := w.clock.Now()
	old, _ := outboxpkg.New(app.NewULID(), "", kindTest, map[string]string{"n": "1"})
	retried, _ := outboxpkg.New(app.NewULID(), "", kindTest, map[string]string{"n": "2"})
	if err := w.store().PutOutbox(ctx, now.AddDate(0, 0, -40), old); err != nil {
		t.Fatal(err)
	}
	if err := w.store().PutOutbox(ctx, now.AddDate(0, 0, -20), retried); err != nil {
		t.Fatal(err)
	}
	w.orgs.Now = func() time.Time { return now.AddDate(0, 0, -20) }
	m, _ := w.store().OutboxMessage(ctx, retried.ID)
	if err := w.processor.Process(ctx, m); err != nil {
		t.Fatal(err)
	}
	w.orgs.Now = w.clock.Now
	fail = false
	if err := w.processor.Redrive(ctx, now); err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 {
		t.Fatalf("done %v; want both messages, however long ago they fell due", done)
	}
	for _, id := range []string{old.ID, retried.ID} {
		if m, _ := w.store().OutboxMessage(ctx, id); m.Status != outboxpkg.StatusDone {
			t.Errorf("message %s: %s", id, m.Status)
		}
	}
	// Nothing is due now: a run reads the cursor and the shards from it to today, which is
	// where the cursor moved to.
	cctx, counter := dynamo.WithCallCounter(ctx)
	if err := w.processor.Redrive(cctx, now); err != nil {
		t.Fatal(err)
	}
	if counter.Calls() > 3 {
		t.Errorf("an idle run made %d calls; want the cursor and a shard or two", counter.Calls())
	}
	if err := w.processor.Redrive(ctx, now.Add(time.Hour)); err != nil || len(done) != 2 {
		t.Errorf("another run: %v, done %v", err, done)
	}
}

func TestTheStreamHandsEachNewMessageToItsHandlerOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	n := 0
	w.handlers[kindTest] = func(context.Context, outboxpkg.Message) error { n++; return nil }
	msgs := make([]outboxpkg.Message, 5)
	for i := range msgs {
		msgs[i], _ = outboxpkg.New(app.NewULID(), "", kindTest, i)
	}
	if err := w.store().PutOutbox(ctx, w.clock.Now(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.deliver()
	// The job, running at once, finds nothing to do again.
	if err := w.processor.Redrive(ctx, w.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("%d handler runs for 5 messages", n)
	}
}
