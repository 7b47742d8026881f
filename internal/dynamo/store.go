// Package dynamo is the single-table DynamoDB store. It implements the Store interfaces the
// domain packages declare; each of its writes is one TransactWriteItems holding the change,
// its uniqueness guards, its counters and its event.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Store reads and writes the table.
type Store struct {
	Client *dynamodb.Client
	Table  string
	// reads are the kinds of orgs.Read the capability stores made over this one registered
	// (RegisterRead).
	reads *readRegistry
}

// New returns a Store for the named table.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{Client: client, Table: table, reads: &readRegistry{plans: map[reflect.Type]func(string, orgs.Read) ReadPlan{}}}
}

// Txn collects the items of one TransactWriteItems and, for each, the error to return when
// that item's condition is what cancelled the transaction.
type Txn struct {
	table  string
	Items  []types.TransactWriteItem
	OnFail []error
	Err    error
	// ev is the transaction's event.
	ev *audit.Event
}

func (s *Store) Txn() *Txn { return &Txn{table: s.Table} }

// put adds an item written only if no item has its key yet; ifExists is returned when one does.
func (t *Txn) PutNew(item any, ifExists error) {
	t.Put(item, expression.AttributeNotExists(expression.Name(AttrPK)), ifExists)
}

// Put adds an item, written only when cond holds (cond may be the zero value: no condition).
func (t *Txn) Put(item any, cond expression.ConditionBuilder, onFail error) {
	av, err := MarshalMap(item)
	if err != nil {
		t.Err = errors.Join(t.Err, fmt.Errorf("marshal %T: %w", item, err))
		return
	}
	if c, names, values, ok := t.condition(cond); ok {
		t.add(types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(t.table), Item: av,
			ConditionExpression: c, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}}, onFail)
	}
}

// Event adds an event item; event ids are unique, so its condition never fails in practice.
func (t *Txn) Event(e audit.Event) {
	t.ev = &e
	t.PutNew(NewEventItem(e), fmt.Errorf("event %s already written", e.ID))
}

// Run writes the transaction. When a condition cancels it, the error registered for the first
// failing item is returned.
func (t *Txn) Run(ctx context.Context, client *dynamodb.Client) error {
	t.checkCredential(ctx)
	t.claim(ctx)
	if t.Err != nil {
		return t.Err
	}
	err := t.write(ctx, client)
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		for i, r := range cancelled.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(t.OnFail) && t.OnFail[i] != nil {
				if d, ok := t.OnFail[i].(*Diagnosis); ok {
					return d.Why(r.Item)
				}
				if t.OnFail[i] == errReplayed {
					if err := ReplayFrom(r.Item, t.ev.OccurredAt); err != nil {
						return err
					}
					return apperr.New(apperr.Conflict, "a request with this Idempotency-Key was just made; try again")
				}
				return t.OnFail[i]
			}
		}
		if conflicted(cancelled) {
			return &apperr.Error{Kind: apperr.Unavailable, RetryAfter: time.Second,
				Message: "other changes to the same data kept this one from completing; try again in a moment", Err: err}
		}
	}
	if err != nil {
		return fmt.Errorf("transact write: %w", err)
	}
	if c := claimFrom(ctx); c != nil && t.ev != nil {
		c.used = true
	}
	return nil
}

// Conflicts: a transaction touching an item that another transaction holds at that moment
// (a hot item: the org's member count while many invitees accept at once) is cancelled with
// TransactionConflict and has written nothing, so it is tried again, up to conflictAttempts
// times, after a jittered wait that doubles from conflictBase. The SDK's retryer does not
// retry it: to the SDK it is a client error.
const (
	conflictAttempts = 8
	conflictBase     = 15 * time.Millisecond
)

// write sends the transaction, trying again while it is cancelled only by conflicts.
func (t *Txn) write(ctx context.Context, client *dynamodb.Client) error {
	wait := conflictBase
	for attempt := 1; ; attempt++ {
		_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.Items})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) || !conflicted(cancelled) || attempt == conflictAttempts {
			return err
		}
		conflictRetries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait/2 + rand.N(wait)):
		}
		wait *= 2
	}
}

// conflicted reports whether a cancellation was caused by a conflict and by no failed
// condition (which retrying can't change).
func conflicted(c *types.TransactionCanceledException) bool {
	conflict := false
	for _, r := range c.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// conflictRetries counts the transactions tried again after a conflict, in this process.
var conflictRetries atomic.Int64

// ConflictRetries returns how many transactions this process tried again after a conflict.
func ConflictRetries() int64 { return conflictRetries.Load() }

// BatchGet reads up to 100 keys consistently, asking again for any the service left
// unprocessed (rare: only under throttling).
func (s *Store) BatchGet(ctx context.Context, ks []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.Table: {Keys: ks, ConsistentRead: aws.Bool(true)}}
	var out []map[string]types.AttributeValue
	for len(req) > 0 {
		res, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		out = append(out, res.Responses[s.Table]...)
		req = res.UnprocessedKeys
	}
	return out, nil
}

func Key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
