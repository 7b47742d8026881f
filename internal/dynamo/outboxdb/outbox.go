package outboxdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/outbox"
)

var _ outbox.Store = (*Store)(nil)

// PutOutbox writes messages on their own (tests, and work that follows no change of the
// table's own); a change's messages go into its transaction instead.
func (s *Store) PutOutbox(ctx context.Context, now time.Time, msgs ...outbox.Message) error {
	t := s.Txn()
	t.Outbox(now, msgs...)
	return t.Run(ctx, s.Client)
}

// OutboxMessage reads one message (tests and tools).
func (s *Store) OutboxMessage(ctx context.Context, id string) (outbox.Message, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.OutboxPK(id), dynamo.SkOutbox), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return outbox.Message{}, fmt.Errorf("get outbox message: %w", err)
	}
	if out.Item == nil {
		return outbox.Message{}, fmt.Errorf("outbox message %s: not found", id)
	}
	return dynamo.DecodeOutboxMessage(out.Item)
}

// asRead holds while the message is in the state m says it was read in.
func asRead(m outbox.Message) expression.ConditionBuilder {
	return dynamo.Attr("status").Equal(dynamo.Val(string(m.Status))).And(dynamo.Attr("attempts").Equal(dynamo.Val(m.Attempts)))
}

// Claim implements outbox.Store.
func (s *Store) Claim(ctx context.Context, m outbox.Message, now, lease time.Time) (outbox.Message, error) {
	at := dynamo.Val(dynamo.SortTime(now))
	pending := dynamo.Attr("status").Equal(dynamo.Val(string(outbox.StatusPending))).
		And(expression.AttributeNotExists(dynamo.Attr("notBefore")).Or(dynamo.Attr("notBefore").LessThanEqual(at)))
	lapsed := dynamo.Attr("status").Equal(dynamo.Val(string(outbox.StatusRunning))).And(dynamo.Attr("leaseUntil").LessThanEqual(at))
	cond := dynamo.Attr("attempts").Equal(dynamo.Val(m.Attempts)).And(pending.Or(lapsed))
	pk, sk := dynamo.OutboxDueKeys(m.ID, lease)
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(outbox.StatusRunning))).
		Set(dynamo.Attr("attempts"), dynamo.Val(m.Attempts+1)).
		Set(dynamo.Attr("leaseUntil"), dynamo.Val(dynamo.SortTime(lease))).
		Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(pk)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(sk))
	if err := s.updateOutbox(ctx, m.ID, upd, cond); err != nil {
		return outbox.Message{}, err
	}
	m.Status, m.Attempts, m.LeaseUntil = outbox.StatusRunning, m.Attempts+1, lease
	return m, nil
}

// Done implements outbox.Store.
func (s *Store) Done(ctx context.Context, m outbox.Message, now time.Time) error {
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(outbox.StatusDone))).
		Set(dynamo.Attr(dynamo.AttrTTL), dynamo.Val(now.Add(dynamo.DoneRetention).Unix())).
		Remove(dynamo.Attr("leaseUntil")).Remove(dynamo.Attr(dynamo.AttrGSI3P)).Remove(dynamo.Attr(dynamo.AttrGSI3S))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

// Retry implements outbox.Store.
func (s *Store) Retry(ctx context.Context, m outbox.Message, at time.Time, reason string) error {
	pk, sk := dynamo.OutboxDueKeys(m.ID, at)
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(outbox.StatusPending))).
		Set(dynamo.Attr("notBefore"), dynamo.Val(dynamo.SortTime(at))).
		Set(dynamo.Attr("lastError"), dynamo.Val(truncate(reason, 500))).
		Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(pk)).Set(dynamo.Attr(dynamo.AttrGSI3S), dynamo.Val(sk)).
		Remove(dynamo.Attr("leaseUntil"))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

// GiveUp implements outbox.Store.
func (s *Store) GiveUp(ctx context.Context, m outbox.Message, now time.Time, reason string) error {
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(outbox.StatusFailed))).
		Set(dynamo.Attr("lastError"), dynamo.Val(truncate(reason, 500))).
		Set(dynamo.Attr(dynamo.AttrTTL), dynamo.Val(now.Add(dynamo.FailedRetention).Unix())).
		Remove(dynamo.Attr("leaseUntil")).Remove(dynamo.Attr(dynamo.AttrGSI3P)).Remove(dynamo.Attr(dynamo.AttrGSI3S))
	return s.updateOutbox(ctx, m.ID, upd, asRead(m))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Store) updateOutbox(ctx context.Context, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond.And(dynamo.Exists())).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.OutboxPK(id), dynamo.SkOutbox),
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

// dueMark is the outbox job's place in the due index, the cursor (see dynamo/outbox.go).
var dueMark = dynamo.DayWatermark{
	PK: dynamo.PkOutboxCursor, SK: dynamo.PkOutboxCursor, Settle: dynamo.CursorSettle,
	First: func(time.Time) time.Time { return dynamo.OutboxEpoch },
}

// EachDue implements outbox.Store: a GetItem of the cursor, then one Query per day shard
// from the cursor's day to today, each reading only the messages due by now, and an
// UpdateItem of the cursor when it moves.
func (s *Store) EachDue(ctx context.Context, now time.Time, fn func(outbox.Message) error) error {
	return dueMark.Walk(ctx, s.Store, now, func(day time.Time) (bool, error) {
		return s.eachDueIn(ctx, day, now, fn)
	})
}

// eachDueIn calls fn with the messages due by now in one day's shard; clean reports whether
// fn took every one without an error (so the shard is empty now).
func (s *Store) eachDueIn(ctx context.Context, day, now time.Time, fn func(outbox.Message) error) (bool, error) {
	clean := true
	err := s.QueryEach(ctx, dynamo.DueQuery("outbox messages", dynamo.OutboxShard(day), now), func(av map[string]types.AttributeValue) error {
		m, err := dynamo.DecodeOutboxMessage(av)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			clean = false
		}
		return nil
	})
	return clean && err == nil, err
}
