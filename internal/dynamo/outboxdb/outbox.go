package outboxdb

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

type outboxCursorItem struct {
	dynamo.Keys
	Day string `dynamodbav:"day"`
}

// EachDue implements outbox.Store: a GetItem of the cursor, then one Query per day shard
// from the cursor's day to today, each reading only the messages due by now.
func (s *Store) EachDue(ctx context.Context, now time.Time, fn func(outbox.Message) error) error {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.PkOutboxCursor, dynamo.PkOutboxCursor), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get outbox cursor: %w", err)
	}
	start := dynamo.OutboxEpoch
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
		if moving && clean && now.Sub(day.AddDate(0, 0, 1)) >= dynamo.CursorSettle {
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
	kc := expression.Key(dynamo.AttrGSI3P).Equal(expression.Value(dynamo.OutboxShard(day))).
		And(expression.Key(dynamo.AttrGSI3S).LessThan(expression.Value(dynamo.SortTime(now) + "$")))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return false, err
	}
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(dynamo.IndexGSI3),
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
			m, err := dynamo.DecodeOutboxMessage(av)
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
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(dynamo.Attr("day"), dynamo.Val(d))).
		WithCondition(expression.AttributeNotExists(dynamo.Attr("day")).Or(dynamo.Attr("day").LessThan(dynamo.Val(d)))).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.PkOutboxCursor, dynamo.PkOutboxCursor),
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
