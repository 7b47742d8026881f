// Package dynamo is the single-table DynamoDB store. It implements the Store interfaces the
// domain packages declare; each of its writes is one TransactWriteItems holding the change,
// its uniqueness guards, its counters and its event.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
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
	"github.com/vendorportal/orgs/internal/roles"
)

// Store reads and writes the table.
type Store struct {
	Client *dynamodb.Client
	Table  string
}

// New returns a Store for the named table.
func New(client *dynamodb.Client, table string) *Store {
	ticketReads()
	webhookReads()
	licensingReads()
	tokenReads()
	return &Store{Client: client, Table: table}
}

var _ orgs.Store = (*Store)(nil)

// txn collects the items of one TransactWriteItems and, for each, the error to return when
// that item's condition is what cancelled the transaction.
type txn struct {
	table  string
	items  []types.TransactWriteItem
	onFail []error
	err    error
	// ev is the transaction's event.
	ev *audit.Event
}

func (s *Store) txn() *txn { return &txn{table: s.Table} }

// put adds an item written only if no item has its key yet; ifExists is returned when one does.
func (t *txn) putNew(item any, ifExists error) {
	t.put(item, expression.AttributeNotExists(expression.Name(attrPK)), ifExists)
}

// put adds an item, written only when cond holds (cond may be the zero value: no condition).
func (t *txn) put(item any, cond expression.ConditionBuilder, onFail error) {
	av, err := marshalMap(item)
	if err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("marshal %T: %w", item, err))
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
func (t *txn) event(e audit.Event) {
	t.ev = &e
	t.putNew(newEventItem(e), fmt.Errorf("event %s already written", e.ID))
}

// run writes the transaction. When a condition cancels it, the error registered for the first
// failing item is returned.
func (t *txn) run(ctx context.Context, client *dynamodb.Client) error {
	t.claim(ctx)
	if t.err != nil {
		return t.err
	}
	err := t.write(ctx, client)
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		for i, r := range cancelled.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" && i < len(t.onFail) && t.onFail[i] != nil {
				if d, ok := t.onFail[i].(*diagnosis); ok {
					return d.why(r.Item)
				}
				if t.onFail[i] == errReplayed {
					if err := replayFrom(r.Item, t.ev.OccurredAt); err != nil {
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
func (t *txn) write(ctx context.Context, client *dynamodb.Client) error {
	wait := conflictBase
	for attempt := 1; ; attempt++ {
		_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
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

// Account implements orgs.Store: one consistent Query of the user's partition.
func (s *Store) Account(ctx context.Context, userID string) (orgs.Account, error) {
	var acc orgs.Account
	found, deleted := false, false
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: userPK(userID)}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return acc, fmt.Errorf("query account: %w", err)
		}
		for _, av := range page.Items {
			var k keys
			if err := attributevalue.UnmarshalMap(av, &k); err != nil {
				return acc, err
			}
			switch {
			case k.SK == skDeleted:
				deleted = true
			case k.SK == skEmailChange:
				var it emailChangeItem
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return acc, err
				}
				acc.EmailChange = it.change()
			case k.SK == skProfile:
				var it profileItem
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return acc, err
				}
				acc.Profile, found = it.profile(), true
			case strings.HasPrefix(k.SK, "ORG#"):
				var it userOrgItem
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return acc, err
				}
				acc.Memberships = append(acc.Memberships, orgs.Membership{
					OrgID: it.OrgID, Kind: orgs.Kind(it.Kind), Role: roles.Role(it.Role), JoinedAt: it.JoinedAt,
					Seats:  it.SeatLicenses,
					Status: orgs.Status(it.Status),
				})
			}
		}
	}
	if !found && deleted {
		return acc, orgs.ErrAccountDeleted
	}
	if !found {
		return acc, apperr.New(apperr.NotFound, "no profile for user")
	}
	return acc, nil
}

// CreateAccount implements orgs.Store.
func (s *Store) CreateAccount(ctx context.Context, a orgs.NewAccount) error {
	t := s.txn()
	t.account(a)
	return t.run(ctx, s.Client)
}

// account adds the items of a new account, unless the user's account was deleted (its
// tombstone: the user's tokens outlive it).
func (t *txn) account(a orgs.NewAccount) {
	t.check(key(userPK(a.Profile.ID), skDeleted), absent(), orgs.ErrAccountDeleted)
	t.putNew(newProfileItem(a.Profile), orgs.ErrAccountExists)
	t.putNew(newHandleItem(a.Org.Handle, a.Org.ID), orgs.ErrPersonalHandleTaken)
	// The personal org and its one member, written with the profile they belong to.
	t.putNew(newOrgItem(a.Org), fmt.Errorf("org %s exists", a.Org.ID))
	t.memberItems(a.Member, a.Org.Kind, fmt.Errorf("member %s of %s exists", a.Member.UserID, a.Org.ID))
	t.event(a.Event)
}

// membership is the one way a membership is added to a user's account, whatever brings it
// (an org's creation, an invite's acceptance, provisioning's creates, bulk and import rows,
// auto-join, SCIM, the legacy migration): the member on both sides with its search entries
// and email guard, with the account itself when it is new (acc), or else on condition that
// the account exists, counting the membership in the profile's joins (joining). The account's
// deletion is conditioned on those joins, so an add racing a deletion ends one way only:
// the add fails (noAccount) or the deletion does, never a member left without an account.
// exists is the error when the user or the address is a member already.
func (t *txn) membership(m orgs.Member, kind orgs.Kind, acc *orgs.NewAccount, noAccount, exists error) {
	if acc != nil {
		t.account(*acc)
	} else {
		t.joining(m.UserID, noAccount)
	}
	t.memberItems(m, kind, exists)
}

// memberItems adds a membership's own items. Only membership and a new account's first
// membership (its personal org, written with the profile) use it.
func (t *txn) memberItems(m orgs.Member, kind orgs.Kind, exists error) {
	t.putNew(newMemberItem(m), exists)
	t.putNew(newUserOrgItem(m, kind), exists)
	t.memberEntries(m, exists)
}

// joining makes a write that adds a membership to the user's existing account hold only
// while the account exists (noAccount otherwise), and counts the membership in the profile's
// joins, on which the account's deletion is conditioned: a join and a deletion never both
// succeed unseen.
func (t *txn) joining(userID string, noAccount error) {
	t.update(key(userPK(userID), skProfile), expression.Add(attr("joins"), val(1)), exists(), noAccount)
}

// CreateOrg implements orgs.Store: the org, its handle, its creator's membership (with the
// creator's account on their first call) and its event.
func (s *Store) CreateOrg(ctx context.Context, o orgs.Org, creator orgs.Member, ev audit.Event, account *orgs.NewAccount) error {
	t := s.txn()
	t.membership(creator, o.Kind, account, orgs.ErrAccountDeleted, fmt.Errorf("member %s of %s exists", creator.UserID, o.ID))
	t.putNew(newHandleItem(o.Handle, o.ID), orgs.ErrHandleTaken)
	t.putNew(newOrgItem(o), fmt.Errorf("org %s exists", o.ID))
	t.event(ev)
	return t.run(ctx, s.Client)
}

// Orgs implements orgs.Store with consistent BatchGetItem calls of up to 100 keys.
func (s *Store) Orgs(ctx context.Context, ids []string) ([]orgs.Org, error) {
	var out []orgs.Org
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, id := range chunk {
			ks[i] = key(orgPK(id), skMeta)
		}
		items, err := s.batchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var it orgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out = append(out, it.org())
		}
	}
	return out, nil
}

// batchGet reads up to 100 keys consistently, asking again for any the service left
// unprocessed (rare: only under throttling).
func (s *Store) batchGet(ctx context.Context, ks []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
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

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}
