package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/ratelimit"
)

// The counters of the abuse limits (package ratelimit):
//
//	LIMIT#<rule>#<scope>#<window start, Unix seconds>  LIMIT   uses so far in the window
//	                             (count); ttl an hour after the window ends.
//
// A use adds to the counter only while the sum stays within the rule's Max: in the
// transaction of the change it limits (txn.limit), or on its own (Store.Use), one conditional
// update either way. A counter is one item per scope and window, so concurrent uses of one
// scope conflict on it: transactions retry such conflicts (txn.run), standalone uses are
// plain updates, which DynamoDB serializes.
const SkLimit = "LIMIT"

func LimitKey(u ratelimit.Use) map[string]types.AttributeValue {
	return Key("LIMIT#"+u.Rule.Name+"#"+u.Scope+"#"+strconv.FormatInt(u.WindowStart().Unix(), 10), SkLimit)
}

// limitUpdate is the counter's update and the condition that keeps it within Max.
func limitUpdate(u ratelimit.Use) (expression.UpdateBuilder, expression.ConditionBuilder) {
	upd := expression.Add(Attr("count"), Val(u.N)).Set(Attr(AttrTTL), Val(u.WindowEnd().Add(time.Hour).Unix()))
	cond := expression.AttributeNotExists(Attr("count")).Or(Attr("count").LessThanEqual(Val(u.Rule.Max - u.N)))
	return upd, cond
}

// Limit adds a use of a limit, and of each limit it also counts against (u.Also), to the
// transaction: the transaction fails with the Exceeded error of the first that it would pass.
func (t *Txn) Limit(u ratelimit.Use) {
	if u.N <= 0 {
		return
	}
	for _, one := range u.Each() {
		if one.N > one.Rule.Max {
			t.Err = errors.Join(t.Err, one.Exceeded())
			return
		}
		upd, cond := limitUpdate(one)
		t.Update(LimitKey(one), upd, cond, one.Exceeded())
	}
}

// Use records a use of a limit on its own, with one conditional update (a transaction when
// it counts against other limits too): the use's Exceeded error when it would pass the
// limit, nothing counted then.
func (s *Store) Use(ctx context.Context, u ratelimit.Use) error {
	if u.N <= 0 {
		return nil
	}
	if len(u.Also) > 0 {
		t := s.Txn()
		t.Limit(u)
		return t.Run(ctx, s.Client)
	}
	if u.N > u.Rule.Max {
		return u.Exceeded()
	}
	upd, cond := limitUpdate(u)
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: LimitKey(u),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return u.Exceeded()
	}
	if err != nil {
		return fmt.Errorf("count %s use: %w", u.Rule.Name, err)
	}
	return nil
}

// Release gives n uses back (a bulk request whose items failed after its uses were counted),
// never below zero, to each limit u counted against.
func (s *Store) Release(ctx context.Context, u ratelimit.Use) error {
	if u.N <= 0 {
		return nil
	}
	if len(u.Also) > 0 {
		var errs []error
		for _, one := range u.Each() {
			errs = append(errs, s.Release(ctx, one))
		}
		return errors.Join(errs...)
	}
	expr, err := expression.NewBuilder().WithUpdate(expression.Add(Attr("count"), Val(-u.N))).
		WithCondition(Attr("count").GreaterThanEqual(Val(u.N))).Build()
	if err != nil {
		return err
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: LimitKey(u),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("release %s uses: %w", u.Rule.Name, err)
	}
	return nil
}
