package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// The pending email change of a user: USER#<userId> / EMAIL_CHANGE, one at a time, removed
// by DynamoDB's TTL some time after it expires (its expiry is checked on every read).
const skEmailChange = "EMAIL_CHANGE"

type emailChangeItem struct {
	keys
	NewEmail  string    `dynamodbav:"newEmail"`
	TokenHash string    `dynamodbav:"tokenHash"`
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
	MessageID string    `dynamodbav:"messageId,omitempty"`
}

func newEmailChangeItem(userID string, ch orgs.EmailChange) emailChangeItem {
	return emailChangeItem{
		keys:     keys{PK: userPK(userID), SK: skEmailChange, TTL: ch.ExpiresAt.Add(24 * time.Hour).Unix()},
		NewEmail: ch.NewEmail, TokenHash: ch.TokenHash, ExpiresAt: ch.ExpiresAt, MessageID: ch.MessageID,
	}
}

func (it emailChangeItem) change() *orgs.EmailChange {
	return &orgs.EmailChange{NewEmail: it.NewEmail, TokenHash: it.TokenHash, ExpiresAt: it.ExpiresAt, MessageID: it.MessageID}
}

// maxTxnItems is DynamoDB's limit on the items of one transaction; maxCopyItems is the most
// items one membership's copy adds (memberIdentity).
const (
	maxTxnItems  = 100
	maxCopyItems = 5
)

// UpdateProfile implements orgs.Store. The profile, the event and the first memberships'
// copies of the name go in one transaction; a user in more orgs than fit in it gets the rest
// in further transactions (the copies are for display and search; the profile is the truth).
func (s *Store) UpdateProfile(ctx context.Context, acc orgs.Account, after orgs.Profile, ev audit.Event) error {
	t := s.txn()
	t.updateDiff(newProfileItem(acc.Profile), newProfileItem(after), expression.ConditionBuilder{}, errProfileChanged)
	t.event(ev)
	return s.runWithCopies(ctx, t, identityCopies(acc, after))
}

// identityCopies are the updates that copy a profile's email and name onto each of the
// account's memberships (see memberIdentity); none when neither changed.
func identityCopies(acc orgs.Account, after orgs.Profile) []func(*txn) {
	if after.Email == acc.Profile.Email && after.Name == acc.Profile.Name {
		return nil
	}
	var copies []func(*txn)
	for _, m := range acc.Memberships {
		copies = append(copies, func(t *txn) { t.memberIdentity(m, acc.Profile, after) })
	}
	return copies
}

// runWithCopies writes t and the copies of a profile change onto the memberships. When they
// all fit, that is one transaction. When they don't (a user in many orgs), the copies go
// first, in transactions of their own, and t, the profile with its event, last: the copies
// are idempotent, so a change that fails half-way leaves the profile as it was, and trying
// again redoes the copies and then the change.
func (s *Store) runWithCopies(ctx context.Context, t *txn, copies []func(*txn)) error {
	if len(t.items)+len(copies)*maxCopyItems <= maxTxnItems {
		for _, c := range copies {
			c(t)
		}
		return t.run(ctx, s.Client)
	}
	for len(copies) > 0 {
		ct := s.txn()
		for len(copies) > 0 && len(ct.items)+maxCopyItems <= maxTxnItems {
			copies[0](ct)
			copies = copies[1:]
		}
		if err := ct.run(ctx, s.Client); err != nil {
			return fmt.Errorf("copy profile change onto memberships: %w", err)
		}
	}
	return t.run(ctx, s.Client)
}

var (
	errProfileChanged    = apperr.New(apperr.Conflict, "your profile was changed meanwhile; reload and try again")
	errMembershipChanged = orgs.ErrAccountJoined
)

// SaveEmailChange implements orgs.Store.
func (s *Store) SaveEmailChange(ctx context.Context, userID string, ch orgs.EmailChange, ev audit.Event, limit ratelimit.Use, link outbox.Message) error {
	t := s.txn()
	t.put(newEmailChangeItem(userID, ch), expression.ConditionBuilder{}, nil)
	t.limit(limit)
	t.outbox(ev.OccurredAt, link)
	t.event(ev)
	return t.run(ctx, s.Client)
}

// EmailChangeOf implements orgs.Store: one consistent GetItem.
func (s *Store) EmailChangeOf(ctx context.Context, userID string) (*orgs.EmailChange, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(userPK(userID), skEmailChange), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get email change: %w", err)
	}
	if out.Item == nil {
		return nil, nil
	}
	var it emailChangeItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, err
	}
	return it.change(), nil
}

// SetEmailChangeToken implements orgs.Store.
func (s *Store) SetEmailChangeToken(ctx context.Context, userID, messageID, hash string) error {
	t := s.txn()
	t.update(key(userPK(userID), skEmailChange), expression.Set(attr("tokenHash"), val(hash)),
		exists().And(attr("messageId").Equal(val(messageID))), orgs.ErrEmailChangeMoved)
	return t.run(ctx, s.Client)
}

// ConfirmEmailChange implements orgs.Store.
func (s *Store) ConfirmEmailChange(ctx context.Context, acc orgs.Account, after orgs.Profile, ch orgs.EmailChange, ev audit.Event, notice outbox.Message) error {
	t := s.txn()
	t.delete(key(userPK(acc.Profile.ID), skEmailChange),
		expression.Name("tokenHash").Equal(expression.Value(ch.TokenHash)),
		apperr.New(apperr.Gone, "this confirmation link was used already"))
	t.updateDiff(newProfileItem(acc.Profile), newProfileItem(after), expression.ConditionBuilder{}, errProfileChanged)
	if notice.ID != "" { // none when the profile caught up with the identity provider first
		t.outbox(ev.OccurredAt, notice)
	}
	t.event(ev)
	return s.runWithCopies(ctx, t, identityCopies(acc, after))
}

// The tombstone of a deleted account: USER#<userId> / DELETED, for as long as the user's
// tokens may still be valid.
const (
	skDeleted    = "DELETED"
	tombstoneTTL = 48 * time.Hour
)

type tombstoneItem struct {
	keys
	DeletedAt time.Time `dynamodbav:"deletedAt"`
}

// DeleteAccountData implements orgs.Store.
func (s *Store) DeleteAccountData(ctx context.Context, acc orgs.Account, at time.Time) error {
	uid := acc.Profile.ID
	t := s.txn()
	t.put(tombstoneItem{keys: keys{PK: userPK(uid), SK: skDeleted, TTL: at.Add(tombstoneTTL).Unix()}, DeletedAt: at}, expression.ConditionBuilder{}, nil)
	// Only while no membership was added since acc was read (every add counts itself in
	// joins: membership): one added meanwhile would be left behind (the caller reads the
	// account again and goes on).
	joins := expression.AttributeNotExists(attr("joins"))
	if acc.Profile.Joins > 0 {
		joins = attr("joins").Equal(val(acc.Profile.Joins))
	}
	t.delete(key(userPK(uid), skProfile), joins, orgs.ErrAccountJoined)
	t.delete(key(userPK(uid), skEmailChange), expression.ConditionBuilder{}, nil)
	if err := t.run(ctx, s.Client); err != nil {
		return err
	}
	var rest []map[string]types.AttributeValue
	for _, m := range acc.Memberships {
		rest = append(rest, key(userPK(uid), userOrgSK(m.OrgID)))
	}
	return s.batchDelete(ctx, rest)
}
