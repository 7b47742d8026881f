package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The due index: what the scheduled job must look at (pending invites, licenses, outbox
// messages) carries sparse GSI3 keys, a day shard and the due time:
//
//	GSI3PK DUE#<what>#<yyyy-mm-dd>   the UTC date of the due time
//	GSI3SK <sortTime of due>#…
//
// so that the job Queries the shards of the days it reads, up to now, and nothing else.

// DueQuery reads what is due at or before now in the day shard pk.
func DueQuery(what, pk string, now time.Time) Query {
	return Query{
		What: "due " + what, Index: IndexGSI3,
		// Every due time at or before now sorts below SortTime(now)+"$".
		Key: KeyIs(AttrGSI3P, pk).And(expression.Key(AttrGSI3S).LessThan(expression.Value(SortTime(now) + "$"))),
	}
}

// UTCDay is the start of t's UTC date: the day whose shard holds what is due at t.
func UTCDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// A DayWatermark is a scheduled job's place in the due index: one item holding the first day
// whose shard may still hold due work, so that a run reads the days from there to today,
// however late it comes, and not every day since the table began. Days are UTC dates
// (UTCDay), as the shards are, whatever the zone of the times given.
//
// Of the runs of a job — one after another, two at once, one each side of midnight — the
// mark only ever moves forward, past a day once that day's work was all done and the day
// has settled; so every run leaves one state: the mark at the first day that may still hold
// due work.
type DayWatermark struct {
	// PK and SK are the key of the mark's item (attribute day: yyyy-mm-dd).
	PK, SK string
	// Settle is how long after a day ends before the mark may move past it: room for the
	// index's propagation and the writers' clocks (a due time is never in the past when
	// written, but a write made just before midnight may land after a run read the day).
	Settle time.Duration
	// First is where a job that has no mark yet starts, given today.
	First func(today time.Time) time.Time
}

type dayMarkItem struct {
	Keys
	Day string `dynamodbav:"day"`
}

// Day reads the mark, consistently: zero when the job has not set one.
func (w DayWatermark) Day(ctx context.Context, s *Store) (time.Time, error) {
	av, err := s.GetItem(ctx, w.PK, w.SK)
	if err != nil || av == nil {
		return time.Time{}, err
	}
	var it dayMarkItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return time.Time{}, fmt.Errorf("decode %s %s: %w", w.PK, w.SK, err)
	}
	d, err := time.Parse(time.DateOnly, it.Day)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %s: %w", w.PK, w.SK, err)
	}
	return d, nil
}

// Advance moves the mark to day's UTC date, never back: a conditional write, so that of two
// runs the later day wins.
func (w DayWatermark) Advance(ctx context.Context, s *Store, day time.Time) error {
	d := UTCDay(day).Format(time.DateOnly)
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(Attr("day"), Val(d))).
		WithCondition(expression.AttributeNotExists(Attr("day")).Or(Attr("day").LessThan(Val(d)))).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: Key(w.PK, w.SK),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // another run moved it as far or further
	}
	if err != nil {
		return fmt.Errorf("advance %s %s to %s: %w", w.PK, w.SK, d, err)
	}
	return nil
}

// Walk calls visit with each day from the mark (First(today) when there is none; never
// after today) to today, oldest first, as UTC midnights, and then advances the mark past
// the days visit reported clean (all their due work done): up to the first day that was not,
// and only past days that ended at least Settle before now. A day whose visit returned an
// error is not clean; the errors are joined into Walk's, and the days after still visited.
func (w DayWatermark) Walk(ctx context.Context, s *Store, now time.Time, visit func(day time.Time) (clean bool, err error)) error {
	today := UTCDay(now)
	start, err := w.Day(ctx, s)
	if err != nil {
		return err
	}
	if start.IsZero() {
		start = UTCDay(w.First(today))
	}
	if start.After(today) {
		// A mark ahead of this run's clock: today's shard is read all the same.
		start = today
	}
	var errs []error
	mark, moving := start, true
	for day := start; !day.After(today); day = day.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		clean, err := visit(day)
		if err != nil {
			errs, clean = append(errs, err), false
		}
		next := day.AddDate(0, 0, 1)
		// The mark passes a day only while every earlier day was clean too.
		if moving && clean && now.Sub(next) >= w.Settle {
			mark = next
		} else {
			moving = false
		}
	}
	if mark.After(start) {
		if err := w.Advance(ctx, s, mark); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
