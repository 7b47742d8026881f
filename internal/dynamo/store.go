// Package dynamo is the single-table DynamoDB store. It implements the Store interfaces the
// domain packages declare; each of its writes is one TransactWriteItems holding the change,
// its uniqueness guards, its counters and its event.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
}

// New returns a Store for the named table.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{Client: client, Table: table}
}

// txn collects the items of one TransactWriteItems and, for each, the error to return when
// that item's condition is what cancelled the transaction.
type Txn struct {
	table  string
	Items  []types.TransactWriteItem
	onFail []error
	Err    error
	// ev is the transaction's event.
	ev *audit.Event
}

func (s *Store) Txn() *Txn { return &Txn{table: s.Table} }

// put adds an item written only if no item has its key yet; ifExists is returned when one does.
func (t *Txn) PutNew(item any, ifExists error) {
	t.Put(item, expression.AttributeNotExists(expression.Name(AttrPK)), ifExists)
}

// put adds an item, written only when cond holds (cond may be the zero value: no condition).
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

// event adds an event item; event ids are unique, so its condition never fails in practice.
func (t *Txn) Event(e audit.Event) {
	t.ev = &e
	t.PutNew(NewEventItem(e), fmt.Errorf("event %s already written", e.ID))
}

// run writes the transaction. When a condition cancels it, the error registered for the first
// failing item is returned.
func (t *Txn) Run(ctx context.Context, client *dynamodb.Client) error {
	t.claim(ctx)
	if t.Err != nil {
		return t.Err
	}
	err := t.write(ctx, client)
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		for i, r := range cancelled.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(t.onFail) && t.onFail[i] != nil {
				if d, ok := t.onFail[i].(*Diagnosis); ok {
					return d.Why(r.Item)
				}
				if t.onFail[i] == errReplayed {
					if err := ReplayFrom(r.Item, t.ev.OccurredAt); err != nil {
						return err
					}
					return apperr.New(apperr.Conflict, "a request with this Idempotency-Key was just made; try again")
				}
				return t.onFail[i]
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

// account adds the items of a new account, unless the user's account was deleted (its
// tombstone: the user's tokens outlive it).
func (t *Txn) Account(a orgs.NewAccount) {
	t.Check(Key(UserPK(a.Profile.ID), SkDeleted), Absent(), orgs.ErrAccountDeleted)
	t.PutNew(NewProfileItem(a.Profile), orgs.ErrAccountExists)
	t.PutNew(NewHandleItem(a.Org.Handle, a.Org.ID), orgs.ErrPersonalHandleTaken)
	// The personal org and its one member, written with the profile they belong to.
	t.PutNew(NewOrgItem(a.Org), fmt.Errorf("org %s exists", a.Org.ID))
	t.memberItems(a.Member, a.Org.Kind, fmt.Errorf("member %s of %s exists", a.Member.UserID, a.Org.ID))
	t.Event(a.Event)
}

// membership is the one way a membership is added to a user's account, whatever brings it
// (an org's creation, an invite's acceptance, provisioning's creates, bulk and import rows,
// auto-join, SCIM, the legacy migration): the member on both sides with its search entries
// and email guard, with the account itself when it is new (acc), or else on condition that
// the account exists, counting the membership in the profile's joins (joining). The account's
// deletion is conditioned on those joins, so an add racing a deletion ends one way only:
// the add fails (noAccount) or the deletion does, never a member left without an account.
// exists is the error when the user or the address is a member already.
func (t *Txn) Membership(m orgs.Member, kind orgs.Kind, acc *orgs.NewAccount, noAccount, exists error) {
	if acc != nil {
		t.Account(*acc)
	} else {
		t.joining(m.UserID, noAccount)
	}
	t.memberItems(m, kind, exists)
}

// memberItems adds a membership's own items. Only membership and a new account's first
// membership (its personal org, written with the profile) use it.
func (t *Txn) memberItems(m orgs.Member, kind orgs.Kind, exists error) {
	t.PutNew(NewMemberItem(m), exists)
	t.PutNew(NewUserOrgItem(m, kind), exists)
	t.MemberEntries(m, exists)
}

// joining makes a write that adds a membership to the user's existing account hold only
// while the account exists (noAccount otherwise), and counts the membership in the profile's
// joins, on which the account's deletion is conditioned: a join and a deletion never both
// succeed unseen.
func (t *Txn) joining(userID string, noAccount error) {
	t.Update(Key(UserPK(userID), SkProfile), expression.Add(Attr("joins"), Val(1)), Exists(), noAccount)
}

// Orgs implements orgs.Store with consistent BatchGetItem calls of up to 100 keys.
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	var out []orgs.Org
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, id := range chunk {
			ks[i] = Key(OrgPK(id), SkMeta)
		}
		items, err := s.BatchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var it OrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out = append(out, it.Org())
		}
	}
	return out, nil
}

// batchGet reads up to 100 keys consistently, asking again for any the service left
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
