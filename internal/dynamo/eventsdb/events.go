package eventsdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/paging"
)

// Reading the event log. Without a category filter the log is the partition ORG#<id>#EV of
// the table; with categories, each category is a partition of GSI1. Either way the sort key
// is the event id, whose time part is occurredAt, so a date range is a key condition
// (BETWEEN) and newest first is a descending Query. Several categories are one Query each,
// run in parallel and merged by id. q is a FilterExpression on the item's lower-cased search
// attribute: DynamoDB reads (and bills) every event inside the key range it walks, matching
// or not, so a page with q reads a bounded number of events (searchReadItems) and may come
// back short, or empty, with a position to go on from.

var _ audit.Store = (*Store)(nil)

const (
	// searchReadItems is how many events one list page with q reads at most in all, shared
	// among the categories asked for (one Query each): ~0.5 MB of events of the usual size,
	// ~90 read units a page, however many categories.
	searchReadItems = 1000
	// exportReadItems is how many events an export reads per Query: about DynamoDB's 1 MB
	// page, so that an export makes as few round trips as it can.
	exportReadItems = 2000
	attrSearch      = "search"
)

// Event implements audit.Store with one consistent GetItem; the key holds the org, so the id
// of another org's event is simply not found.
func (s *Store) Event(ctx context.Context, orgID, id string) (audit.Event, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.EventPK(orgID), id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return audit.Event{}, fmt.Errorf("get event: %w", err)
	}
	if len(out.Item) == 0 {
		return audit.Event{}, apperr.New(apperr.NotFound, "event not found")
	}
	return dynamo.DecodeEvent(out.Item)
}

// Events implements audit.Store with one Query per part of the log (the whole log, or each
// category), in parallel. The position is the id of the last event read: every event the
// filter selects above it has been returned, none below it.
//
// Each part is read from the position down. Without q a part reads p.Limit+1 events, so a
// page is full whenever there is more and the last page has no position. With q a part
// reads up to searchReadItems events; the page holds those that match, and the position is
// where the reading stopped. Several parts: the page can only hold events down to the
// highest point where one of the parts stopped (below it, that part has not been read), so
// events below it are left for the next page, which reads them again.
func (s *Store) Events(ctx context.Context, orgID string, f audit.Filter, p paging.Request) (audit.Page, error) {
	lo, hi := f.IDRange()
	if p.After != "" {
		if !audit.ValidID(p.After) {
			return audit.Page{}, apperr.New(apperr.Invalid, "cursor is not valid; start again from the first page")
		}
		if hi == "" || p.After < hi {
			hi = p.After
		}
	}
	parts := eventParts(orgID, f)
	read := p.Limit + 1
	if f.Query != "" {
		// The page's whole read is bounded, not each part's: n categories share it.
		read = searchReadItems / len(parts)
	}
	results := make([]partResult, len(parts))
	err := inParallel(len(parts), func(i int) error {
		var err error
		results[i], err = s.queryPart(ctx, parts[i], lo, hi, read, f.Query)
		return err
	})
	if err != nil {
		return audit.Page{}, err
	}
	stop := "" // the highest id where a part stopped reading
	var evs []audit.Event
	for _, r := range results {
		stop = max(stop, r.last)
		evs = append(evs, r.events...)
	}
	evs = slices.DeleteFunc(evs, func(e audit.Event) bool { return e.ID < stop })
	slices.SortFunc(evs, func(a, b audit.Event) int { return cmp.Compare(b.ID, a.ID) })
	if len(evs) > p.Limit {
		return audit.Page{Events: evs[:p.Limit], Next: evs[p.Limit-1].ID}, nil
	}
	return audit.Page{Events: evs, Next: stop}, nil
}

// EachEvent implements audit.Store: a merge, newest first, of one stream of Query pages per
// part of the log.
func (s *Store) EachEvent(ctx context.Context, orgID string, f audit.Filter, maxRead int, fn func(audit.Event) error) error {
	lo, hi := f.IDRange()
	parts := eventParts(orgID, f)
	streams := make([]*eventStream, len(parts))
	for i, p := range parts {
		streams[i] = &eventStream{part: p, hi: hi}
	}
	read := 0
	for {
		var starved []*eventStream
		for _, st := range streams {
			if len(st.buf) == 0 && !st.done {
				starved = append(starved, st)
			}
		}
		if len(starved) > 0 {
			if read > maxRead {
				return audit.ErrReadLimit
			}
			limit := min(exportReadItems, maxRead-read+1)
			err := inParallel(len(starved), func(i int) error { return s.fill(ctx, starved[i], lo, limit, f.Query) })
			for _, st := range starved {
				read += st.read
				st.read = 0
			}
			if err != nil {
				return err
			}
			continue
		}
		var next *eventStream
		for _, st := range streams {
			if len(st.buf) > 0 && (next == nil || st.buf[0].ID > next.buf[0].ID) {
				next = st
			}
		}
		if next == nil {
			return nil
		}
		e := next.buf[0]
		next.buf = next.buf[1:]
		if err := fn(e); err != nil {
			return err
		}
	}
}

// eventStream is one part of the log read page by page, newest first.
type eventStream struct {
	part eventPart
	hi   string // exclusive upper bound of what is still to read; "" for none
	buf  []audit.Event
	done bool
	read int
}

func (s *Store) fill(ctx context.Context, st *eventStream, lo string, limit int, q string) error {
	r, err := s.queryPart(ctx, st.part, lo, st.hi, limit, q)
	if err != nil {
		return err
	}
	st.buf, st.read = r.events, r.read
	st.hi, st.done = r.last, r.last == ""
	return nil
}

// eventPart is one partition that holds part of an org's log.
type eventPart struct {
	index          string // "" for the table itself
	pkAttr, skAttr string
	pk             string
}

func eventParts(orgID string, f audit.Filter) []eventPart {
	if len(f.Categories) == 0 {
		return []eventPart{{pkAttr: dynamo.AttrPK, skAttr: dynamo.AttrSK, pk: dynamo.EventPK(orgID)}}
	}
	parts := make([]eventPart, len(f.Categories))
	for i, c := range f.Categories {
		parts[i] = eventPart{index: dynamo.IndexGSI1, pkAttr: dynamo.AttrGSI1P, skAttr: dynamo.AttrGSI1S, pk: dynamo.EventCatPK(orgID, c)}
	}
	return parts
}

type partResult struct {
	events []audit.Event
	// last is the id of the last event the Query read, where reading stops; "" when the
	// Query reached the end of the range.
	last string
	read int
}

// queryPart runs one Query of part: events with ids from lo (inclusive) to hi (exclusive,
// "" for none), newest first, reading at most limit of them, keeping those that contain q.
// It is eventually consistent: half the price, and an event log may lag by a moment.
func (s *Store) queryPart(ctx context.Context, part eventPart, lo, hi string, limit int, q string) (partResult, error) {
	top := audit.MaxID
	if hi != "" {
		prev, ok := audit.PrevID(hi)
		if !ok {
			return partResult{}, nil
		}
		top = prev
	}
	if top < lo {
		return partResult{}, nil
	}
	b := expression.NewBuilder().WithKeyCondition(expression.Key(part.pkAttr).Equal(expression.Value(part.pk)).
		And(expression.Key(part.skAttr).Between(expression.Value(lo), expression.Value(top))))
	if q != "" {
		b = b.WithFilter(expression.Name(attrSearch).Contains(q))
	}
	expr, err := b.Build()
	if err != nil {
		return partResult{}, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	if part.index != "" {
		in.IndexName = aws.String(part.index)
	}
	out, err := s.Client.Query(ctx, in)
	if err != nil {
		return partResult{}, fmt.Errorf("query events: %w", err)
	}
	r := partResult{events: make([]audit.Event, 0, len(out.Items)), read: int(out.ScannedCount)}
	for _, av := range out.Items {
		e, err := dynamo.DecodeEvent(av)
		if err != nil {
			return partResult{}, err
		}
		r.events = append(r.events, e)
	}
	if last, ok := out.LastEvaluatedKey[part.skAttr].(*types.AttributeValueMemberS); ok {
		r.last = last.Value
	}
	return r, nil
}

// inParallel runs fn(0) … fn(n-1) at once and joins their errors.
func inParallel(n int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
