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

	"github.com/vendorportal/orgs/internal/outbox"
)

// The outbox's items:
//
//	OUTBOX#<messageId>  OUTBOX   one piece of follow-up work (outbox.Message), written in the
//	                             transaction of the change it follows; the table's stream hands
//	                             it to the stream processor.
//	                             GSI3 while pending or running: DUE#OUTBOX#<yyyy-mm-dd> / <dueAt>#<id>
//	                               dueAt: a new message's insertGrace after its creation (the
//	                               job's safety net should the stream never deliver it), a
//	                               retry's time, or a claimed attempt's lease.
//	                             ttl once done (doneRetention) or failed (failedRetention).
//	OUTBOX_CURSOR       OUTBOX_CURSOR  the oldest day shard of GSI3 that may still hold a due
//	                             message: the job reads from there to today, and moves it on
//	                             past each day it emptied (a day that is over never gets new
//	                             messages: a due time is never in the past when written).
//
// So the job's reads grow with the due messages and the days since its last run, never with
// the table, and a message due on a day long past is still found, however late the job runs.
const (
	skOutbox        = "OUTBOX"
	pkOutboxCursor  = "OUTBOX_CURSOR"
	insertGrace     = time.Minute
	doneRetention   = 7 * 24 * time.Hour
	failedRetention = 30 * 24 * time.Hour
	// cursorSettle is how long after a day ends before the job may move the cursor past it,
	// leaving room for the index's propagation and the writers' clocks.
	cursorSettle = time.Hour
)

// outboxEpoch is a day before any outbox message can be due: the job's cursor starts there,
// so the first run on a table reads each day since once (a few hundred empty Queries, once
// in the table's life) and no message is left behind however late that run comes.
var outboxEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func outboxPK(id string) string { return "OUTBOX#" + id }

// IsOutboxKey reports whether a partition key is an outbox message's.
func IsOutboxKey(pk string) bool { return len(pk) > len("OUTBOX#") && pk[:len("OUTBOX#")] == "OUTBOX#" }

func outboxShard(day time.Time) string { return "DUE#OUTBOX#" + day.UTC().Format(time.DateOnly) }

func outboxDueKeys(id string, due time.Time) (string, string) {
	return outboxShard(due), sortTime(due) + "#" + id
}

// outboxItem is an outbox message at rest. Times that conditions compare are sortTime
// strings ("" when unset).
type outboxItem struct {
	keys
	ID         string    `dynamodbav:"id"`
	OrgID      string    `dynamodbav:"orgId,omitempty"`
	Kind       string    `dynamodbav:"kind"`
	Body       []byte    `dynamodbav:"body"`
	Status     string    `dynamodbav:"status"`
	Attempts   int       `dynamodbav:"attempts"`
	NotBefore  string    `dynamodbav:"notBefore,omitempty"`
	LeaseUntil string    `dynamodbav:"leaseUntil,omitempty"`
	LastError  string    `dynamodbav:"lastError,omitempty"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
}

func stampOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return sortTime(t)
}

func parseStamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func newOutboxItem(m outbox.Message, now time.Time) outboxItem {
	it := outboxItem{
		ID: m.ID, OrgID: m.OrgID, Kind: string(m.Kind), Body: m.Body, Status: string(outbox.StatusPending),
		Attempts: m.Attempts, NotBefore: stampOrEmpty(m.NotBefore), CreatedAt: now,
	}
	due := now.Add(insertGrace)
	if m.NotBefore.After(due) {
		due = m.NotBefore
	}
	it.PK, it.SK = outboxPK(m.ID), skOutbox
	it.GSI3PK, it.GSI3SK = outboxDueKeys(m.ID, due)
	return it
}

func (it outboxItem) message() outbox.Message {
	return outbox.Message{
		ID: it.ID, OrgID: it.OrgID, Kind: outbox.Kind(it.Kind), Body: it.Body,
		NotBefore: parseStamp(it.NotBefore), Attempts: it.Attempts,
		Status: outbox.Status(it.Status), LeaseUntil: parseStamp(it.LeaseUntil), LastError: it.LastError,
	}
}

// DecodeOutboxMessage decodes an outbox item as the table (or a stream image) holds it.
func DecodeOutboxMessage(av map[string]types.AttributeValue) (outbox.Message, error) {
	var it outboxItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return outbox.Message{}, fmt.Errorf("decode outbox item: %w", err)
	}
	return it.message(), nil
}

// outbox adds messages to the transaction: they are written with the change, or not at all.
func (t *txn) outbox(now time.Time, msgs ...outbox.Message) {
	for _, m := range msgs {
		t.putNew(newOutboxItem(m, now), fmt.Errorf("outbox message %s exists", m.ID))
	}
}

var _ outbox.Store = (*Store)(nil)

// PutOutbox writes messages on their own (tests, and work that follows no change of the
// table's own); a change's messages go into its transaction instead.
func (s *Store) PutOutbox(ctx context.Context, now time.Time, msgs ...outbox.Message) error {
	t := s.txn()
	t.outbox(now, msgs...)
	return t.run(ctx, s.Client)
}

// OutboxMessage reads one message (tests and tools).
func (s *Store) OutboxMessage(ctx context.Context, id string) (outbox.Message, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(outboxPK(id), skOutbox), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return outbox.Message{}, fmt.Errorf("get outbox message: %w", err)
	}
	if out.Item == nil {
		return outbox.Message{}, fmt.Errorf("outbox message %s: not found", id)
	}
	return DecodeOutboxMessage(out.Item)
}

// asRead holds while the message is in the state m says it was read in.
func asRead(m outbox.Message) expression.ConditionBuilder {
	return attr("status").Equal(val(string(m.Status))).And(attr("attempts").Equal(val(m.Attempts)))
}

// Claim implements outbox.Store.
func (s *Store) Claim(ctx context.Context, m outbox.Message, now, lease time.Time) (outbox.Message, error) {
	at := val(sortTime(now))
	pending := attr("status").Equal(val(string(outbox.StatusPending))).
		And(expression.AttributeNotExists(attr("notBefore")).Or(attr("notBefore").LessThanEqual(at)))
	lapsed := attr("status").Equal(val(string(outbox.StatusRunning))).And(attr("leaseUntil").LessThanEqual(at))
	cond := attr("attempts").Equal(val(m.Attempts)).And(pending.Or(lapsed))
	pk, sk := outboxDueKeys(m.ID, lease)
	upd := expression.Set(attr("status"), val(string(outbox.StatusRunning))).
		Set(attr("attempts"), val(m.Attempts+1)).
		Set(attr("leaseUntil"), val(sortTime(lease))).
		Set(attr(attrGSI3P), val(pk)).Set(attr(attrGSI3S), val(sk))
	if err := s.updateOutbox(ctx, m.ID, upd, cond); err != nil {
		return outbox.Message{}, err
	}
	m.Status, m.Attempts, m.LeaseUntil = outbox.StatusRunning, m.Attempts+1, lease
	return m, nil
}

// Done implements outbox.Store.
func (s *Store) Done(ctx context.Context, m outbox.Message, now time.Time) error {
	upd := expression.Set(attr("status"), val(string(outbox.StatusDone))).
		Set(attr(attrTTL), val(now.Add(doneRetention).Unix())).
		Remove(attr("leaseUntil")).Remove(attr(attrGSI3P)).Remove(attr(attrGSI3S))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

// Retry implements outbox.Store.
func (s *Store) Retry(ctx context.Context, m outbox.Message, at time.Time, reason string) error {
	pk, sk := outboxDueKeys(m.ID, at)
	upd := expression.Set(attr("status"), val(string(outbox.StatusPending))).
		Set(attr("notBefore"), val(sortTime(at))).
		Set(attr("lastError"), val(truncate(reason, 500))).
		Set(attr(attrGSI3P), val(pk)).Set(attr(attrGSI3S), val(sk)).
		Remove(attr("leaseUntil"))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

// GiveUp implements outbox.Store.
func (s *Store) GiveUp(ctx context.Context, m outbox.Message, now time.Time, reason string) error {
	upd := expression.Set(attr("status"), val(string(outbox.StatusFailed))).
		Set(attr("lastError"), val(truncate(reason, 500))).
		Set(attr(attrTTL), val(now.Add(failedRetention).Unix())).
		Remove(attr("leaseUntil")).Remove(attr(attrGSI3P)).Remove(attr(attrGSI3S))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Store) updateOutbox(ctx context.Context, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond.And(exists())).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(outboxPK(id), skOutbox),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return outbox.ErrNotClaimable
	}
	if err != nil {
		return fmt.Errorf("update outbox message %s: %w", id, err)
	}
	return nil
}

type outboxCursorItem struct {
	keys
	Day string `dynamodbav:"day"`
}

// EachDue implements outbox.Store: a GetItem of the cursor, then one Query per day shard
// from the cursor's day to today, each reading only the messages due by now.
func (s *Store) EachDue(ctx context.Context, now time.Time, fn func(outbox.Message) error) error {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(pkOutboxCursor, pkOutboxCursor), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get outbox cursor: %w", err)
	}
	start := outboxEpoch
	if out.Item != nil {
		var c outboxCursorItem
		if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
			return err
		}
		if d, err := time.Parse(time.DateOnly, c.Day); err == nil {
			start = d
		}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	cursor, moving := start, true
	for day := start; !day.After(today); day = day.AddDate(0, 0, 1) {
		clean, err := s.eachDueIn(ctx, day, now, fn)
		if err != nil {
			return err
		}
		// The cursor moves past a day only while every earlier day was emptied too.
		if moving && clean && now.Sub(day.AddDate(0, 0, 1)) >= cursorSettle {
			cursor = day.AddDate(0, 0, 1)
		} else {
			moving = false
		}
	}
	if cursor.After(start) {
		return s.moveOutboxCursor(ctx, cursor)
	}
	return nil
}

// eachDueIn calls fn with the messages due by now in one day's shard; clean reports whether
// fn took every one without an error (so the shard is empty now).
func (s *Store) eachDueIn(ctx context.Context, day, now time.Time, fn func(outbox.Message) error) (bool, error) {
	kc := expression.Key(attrGSI3P).Equal(expression.Value(outboxShard(day))).
		And(expression.Key(attrGSI3S).LessThan(expression.Value(sortTime(now) + "$")))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return false, err
	}
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(IndexGSI3),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	clean := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("query due outbox messages: %w", err)
		}
		for _, av := range page.Items {
			m, err := DecodeOutboxMessage(av)
			if err != nil {
				return false, err
			}
			if err := fn(m); err != nil {
				clean = false
			}
		}
	}
	return clean, nil
}

func (s *Store) moveOutboxCursor(ctx context.Context, day time.Time) error {
	d := day.Format(time.DateOnly)
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(attr("day"), val(d))).
		WithCondition(expression.AttributeNotExists(attr("day")).Or(attr("day").LessThan(val(d)))).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(pkOutboxCursor, pkOutboxCursor),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // another run moved it as far or further
	}
	if err != nil {
		return fmt.Errorf("move outbox cursor: %w", err)
	}
	return nil
}
