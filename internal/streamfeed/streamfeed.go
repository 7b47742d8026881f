// Package streamfeed runs the stream processor on one machine: it reads a table's stream from
// DynamoDB Local through the DynamoDB Streams API and hands each shard's records to the
// handler as Lambda's event source mapping does, as real events.DynamoDBEvent payloads (the
// records of transactions included: each item a transaction writes is a record of its own).
// Local mode and the tests use it; in AWS the event source mapping does this.
//
// Like the mapping it honours partial batch responses: a record the handler reports failed is
// handed over again, with the records after it in its shard, up to MaxRetries times; then it
// is dropped with a log line (in AWS it would go to the on-failure queue), and the scheduled
// job re-drives the outbox message it carried.
package streamfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/vendorportal/orgs/internal/dynamo"
)

// Handler is the stream processor's Lambda handler.
type Handler func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// NewClient returns a DynamoDB Streams client for the DynamoDB Local at endpoint, with cfg's
// region, credentials and app id.
func NewClient(cfg aws.Config, endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// Feeder feeds one stream to one handler.
type Feeder struct {
	Client    *dynamodbstreams.Client
	StreamARN string
	Handler   Handler
	Region    string
	Log       *slog.Logger
	// BatchSize is the most records of one invocation (100 when 0, the mapping's default).
	BatchSize int
	// Poll is the wait between reads of an idle stream (200 ms when 0).
	Poll time.Duration
	// MaxRetries bounds how often a failed record is handed over again (3 when 0).
	MaxRetries int
	// FromLatest starts the shards open at the first read at their end instead of their
	// beginning: `make run` over a table kept across restarts does not replay a day's records
	// (the scheduled job re-drives what was missed).
	FromLatest bool

	mu     sync.Mutex
	shards map[string]*shard
	primed bool
}

type shard struct {
	id, parent string
	iterator   string
	// started: the iterator is set; closed: the shard ended and everything in it was handed over.
	started, closed bool
	// backlog are records to hand over again after a failure.
	backlog []events.DynamoDBEventRecord
	retries int
}

func (f *Feeder) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

// Run feeds the stream until ctx ends.
func (f *Feeder) Run(ctx context.Context) {
	poll := f.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	for ctx.Err() == nil {
		n, err := f.pass(ctx)
		if err != nil && ctx.Err() == nil {
			f.log().WarnContext(ctx, "stream feed", "error", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
		}
	}
}

// Drain feeds what the stream holds now, and what the handler's own writes add, until a pass
// over every shard finds nothing new: tests call it to have the follow-up work of what they
// just wrote done before they look.
func (f *Feeder) Drain(ctx context.Context) error {
	for {
		n, err := f.pass(ctx)
		if err != nil {
			return err
		}
		if n == 0 && !f.hasBacklog() {
			return nil
		}
	}
}

func (f *Feeder) hasBacklog() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.shards {
		if len(s.backlog) > 0 {
			return true
		}
	}
	return false
}

// pass reads every open shard once and hands over what it found; it returns how many
// records it handed over. One pass at a time.
func (f *Feeder) pass(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.discover(ctx); err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, s := range f.shards {
		if s.closed || !f.ready(s) {
			continue
		}
		n, err := f.read(ctx, s)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// ready: a shard is read once its parent is done (or gone), so records of one item stay in order.
func (f *Feeder) ready(s *shard) bool {
	p, ok := f.shards[s.parent]
	return s.parent == "" || !ok || p.closed
}

// discover lists the stream's shards and takes up the new ones.
func (f *Feeder) discover(ctx context.Context) error {
	if f.shards == nil {
		f.shards = map[string]*shard{}
	}
	var start *string
	for {
		out, err := f.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(f.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := f.shards[id]; !ok {
				f.shards[id] = &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
				if !f.primed && f.FromLatest {
					f.shards[id].started = false
					f.shards[id].iterator = "latest"
				}
			}
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			break
		}
		start = out.StreamDescription.LastEvaluatedShardId
	}
	f.primed = true
	return nil
}

func (f *Feeder) read(ctx context.Context, s *shard) (int, error) {
	if len(s.backlog) > 0 {
		return f.deliver(ctx, s, s.backlog)
	}
	if !s.started {
		typ := types.ShardIteratorTypeTrimHorizon
		if s.iterator == "latest" {
			typ = types.ShardIteratorTypeLatest
		}
		out, err := f.Client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(f.StreamARN), ShardId: aws.String(s.id), ShardIteratorType: typ,
		})
		if err != nil {
			return 0, fmt.Errorf("shard iterator of %s: %w", s.id, err)
		}
		s.iterator, s.started = aws.ToString(out.ShardIterator), true
	}
	if s.iterator == "" {
		s.closed = true
		return 0, nil
	}
	limit := f.BatchSize
	if limit <= 0 {
		limit = 100
	}
	out, err := f.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(s.iterator), Limit: aws.Int32(int32(limit))})
	var expired *types.ExpiredIteratorException
	if errors.As(err, &expired) {
		s.started = false // take a new one next pass
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get records of %s: %w", s.id, err)
	}
	s.iterator = aws.ToString(out.NextShardIterator)
	if len(out.Records) == 0 {
		if s.iterator == "" {
			s.closed = true
		}
		return 0, nil
	}
	recs := make([]events.DynamoDBEventRecord, 0, len(out.Records))
	for _, r := range out.Records {
		er, err := Convert(r, f.StreamARN, f.Region)
		if err != nil {
			return 0, err
		}
		recs = append(recs, er)
	}
	return f.deliver(ctx, s, recs)
}

// deliver invokes the handler with recs and keeps, from the first failed record on, what
// must be handed over again.
func (f *Feeder) deliver(ctx context.Context, s *shard, recs []events.DynamoDBEventRecord) (int, error) {
	resp, err := f.Handler(ctx, events.DynamoDBEvent{Records: recs})
	failedAt := -1
	if err != nil {
		failedAt = 0
	} else {
		for _, fail := range resp.BatchItemFailures {
			for i, r := range recs {
				if r.Change.SequenceNumber == fail.ItemIdentifier && (failedAt < 0 || i < failedAt) {
					failedAt = i
				}
			}
		}
	}
	if failedAt < 0 {
		s.backlog, s.retries = nil, 0
		return len(recs), nil
	}
	maxRetries := f.MaxRetries
	if maxRetries <= 0 {
		maxRetries = 3
	}
	if s.retries >= maxRetries {
		f.log().ErrorContext(ctx, "stream records dropped after retries (the scheduled job re-drives their outbox messages)",
			"shard", s.id, "first", recs[failedAt].Change.SequenceNumber, "records", len(recs)-failedAt, "error", err)
		s.backlog, s.retries = nil, 0
		return len(recs), nil
	}
	s.backlog, s.retries = recs[failedAt:], s.retries+1
	return len(recs), err
}

// Convert turns a record of the DynamoDB Streams API into the record Lambda hands over.
func Convert(r types.Record, streamARN, region string) (events.DynamoDBEventRecord, error) {
	out := events.DynamoDBEventRecord{
		AWSRegion: aws.ToString(r.AwsRegion), EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: aws.ToString(r.EventSource), EventVersion: aws.ToString(r.EventVersion), EventSourceArn: streamARN,
	}
	if out.AWSRegion == "" {
		out.AWSRegion = region
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	if d := r.Dynamodb; d != nil {
		var err error
		c := &out.Change
		if d.ApproximateCreationDateTime != nil {
			c.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
		c.SequenceNumber, c.SizeBytes, c.StreamViewType = aws.ToString(d.SequenceNumber), aws.ToInt64(d.SizeBytes), string(d.StreamViewType)
		if c.Keys, err = image(d.Keys); err != nil {
			return out, err
		}
		if c.NewImage, err = image(d.NewImage); err != nil {
			return out, err
		}
		if c.OldImage, err = image(d.OldImage); err != nil {
			return out, err
		}
	}
	return out, nil
}

// image is a record's image as Lambda hands it over: the SDK's conversion to DynamoDB's
// attribute values, then the store's to Lambda's (dynamo.ToStreamImage).
func image(m map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	av, err := attributevalue.FromDynamoDBStreamsMap(emptyMaps(m))
	if err != nil {
		return nil, err
	}
	return dynamo.ToStreamImage(av)
}

// emptyMaps gives back the empty maps of m: DynamoDB Local's stream hands an empty map
// ({"M":{}}, an event's empty details) over in a form the streams client decodes to no value
// at all.
func emptyMaps(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = emptyMap(v)
	}
	return out
}

func emptyMap(v types.AttributeValue) types.AttributeValue {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: emptyMaps(x.Value)}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(x.Value))
		for i, e := range x.Value {
			l[i] = emptyMap(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return v
}
