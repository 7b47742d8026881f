package dynamo

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The transaction's other kinds of item, next to put: update, delete and a bare condition.

// Update adds an update of the item at k, made only when cond holds (cond may be unset).
func (t *Txn) Update(k map[string]types.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder, onFail error) {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() {
		b = b.WithCondition(cond)
	}
	expr, err := b.Build()
	if err != nil {
		t.Err = errors.Join(t.Err, fmt.Errorf("update expression: %w", err))
		return
	}
	t.add(types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(t.table), Key: k,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}}, onFail)
}

// Delete adds a deletion of the item at k, made only when cond holds (cond may be unset).
func (t *Txn) Delete(k map[string]types.AttributeValue, cond expression.ConditionBuilder, onFail error) {
	if c, names, values, ok := t.condition(cond); ok {
		t.add(types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(t.table), Key: k,
			ConditionExpression: c, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}}, onFail)
	}
}

// Check adds a condition on the item at k that the transaction needs but does not change.
func (t *Txn) Check(k map[string]types.AttributeValue, cond expression.ConditionBuilder, onFail error) {
	if c, names, values, ok := t.condition(cond); ok {
		t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(t.table), Key: k,
			ConditionExpression: c, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}}, onFail)
	}
}

// condition builds cond for a write item; an unset cond is no condition. It reports false,
// with t.err set, when cond can't be built.
func (t *Txn) condition(cond expression.ConditionBuilder) (*string, map[string]string, map[string]types.AttributeValue, bool) {
	if !cond.IsSet() {
		return nil, nil, nil, true
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		t.Err = errors.Join(t.Err, fmt.Errorf("condition expression: %w", err))
		return nil, nil, nil, false
	}
	return expr.Condition(), expr.Names(), expr.Values(), true
}

// add appends an item and the error its failed condition means.
func (t *Txn) add(item types.TransactWriteItem, onFail error) {
	t.Items = append(t.Items, item)
	t.OnFail = append(t.OnFail, onFail)
}

// sortTimeLayout writes times at a fixed width, so that comparing the strings compares the
// times: in sort keys and in attributes that conditions compare (RFC 3339 with a variable
// fraction does not sort: "…:00.5Z" < "…:00Z").
const SortTimeLayout = "2006-01-02T15:04:05.000000000Z"

// SortTime formats t for sort keys and conditions.
func SortTime(t time.Time) string { return t.UTC().Format(SortTimeLayout) }

// Stamp is a time stored as a sortTime string, for attributes that conditions compare.
type Stamp time.Time

func (s Stamp) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: SortTime(time.Time(s))}, nil
}

func (s *Stamp) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	v, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("stamp: want a string, got %T", av)
	}
	t, err := time.Parse(time.RFC3339Nano, v.Value)
	if err != nil {
		return err
	}
	*s = Stamp(t)
	return nil
}

func (s Stamp) Time() time.Time { return time.Time(s) }

// Condition shorthands.
func Attr(name string) expression.NameBuilder { return expression.Name(name) }
func Val(v any) expression.ValueBuilder       { return expression.Value(v) }
func Exists() expression.ConditionBuilder     { return expression.AttributeExists(Attr(AttrPK)) }
func Absent() expression.ConditionBuilder     { return expression.AttributeNotExists(Attr(AttrPK)) }
