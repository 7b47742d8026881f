package accountdb

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
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/membersdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// The pending email change of a user: USER#<userId> / EMAIL_CHANGE, one at a time, removed
// by DynamoDB's TTL some time after it expires (its expiry is checked on every read).
const skEmailChange = "EMAIL_CHANGE"

type emailChangeItem struct {
	dynamo.Keys
	NewEmail  string    `dynamodbav:"newEmail"`
	TokenHash string    `dynamodbav:"tokenHash"`
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
	MessageID string    `dynamodbav:"messageId,omitempty"`
}

func newEmailChangeItem(userID string, ch orgs.EmailChange) emailChangeItem {
	return emailChangeItem{
		Keys:     dynamo.Keys{PK: dynamo.UserPK(userID), SK: skEmailChange, TTL: ch.ExpiresAt.Add(24 * time.Hour).Unix()},
		NewEmail: ch.NewEmail, TokenHash: ch.TokenHash, ExpiresAt: ch.ExpiresAt, MessageID: ch.MessageID,
	}
}

func (it emailChangeItem) change() *orgs.EmailChange {
	return &orgs.EmailChange{NewEmail: it.NewEmail, TokenHash: it.TokenHash, ExpiresAt: it.ExpiresAt, MessageID: it.MessageID}
}

// UpdateProfile implements orgs.Store. The profile, the event and the first memberships'
// copies of the name go in one transaction; a user in more orgs than fit in it gets the rest
// in further transactions (the copies are for display and search; the profile is the truth).
func (s *Store) UpdateProfile(ctx context.Context, acc orgs.Account, after orgs.Profile, ev audit.Event) error {
	t := s.Txn()
	t.UpdateDiff(dynamo.NewProfileItem(acc.Profile), dynamo.NewProfileItem(after), expression.ConditionBuilder{}, dynamo.ErrProfileChanged)
	t.Event(ev)
	return s.runWithCopies(ctx, t, identityCopies(acc, after))
}

// identityCopies are the updates that copy a profile's email and name onto each of the
// account's memberships (see memberIdentity); none when neither changed.
func identityCopies(acc orgs.Account, after orgs.Profile) []func(*dynamo.Txn) {
	if after.Email == acc.Profile.Email && after.Name == acc.Profile.Name {
		return nil
	}
	var copies []func(*dynamo.Txn)
	for _, m := range acc.Memberships {
		copies = append(copies, func(t *dynamo.Txn) { membersdb.MemberIdentity(t, m, acc.Profile, after) })
	}
	return copies
}

// runWithCopies writes t and the copies of a profile change onto the memberships. When they
// all fit, that is one transaction. When they don't (a user in many orgs), the copies go
// first, in transactions of their own, and t, the profile with its event, last: the copies
// are idempotent, so a change that fails half-way leaves the profile as it was, and trying
// again redoes the copies and then the change.
func (s *Store) runWithCopies(ctx context.Context, t *dynamo.Txn, copies []func(*dynamo.Txn)) error {
	if len(t.Items)+len(copies)*dynamo.MaxCopyItems <= dynamo.MaxTxnItems {
		for _, c := range copies {
			c(t)
		}
		return t.Run(ctx, s.Client)
	}
	for len(copies) > 0 {
		ct := s.Txn()
		for len(copies) > 0 && len(ct.Items)+dynamo.MaxCopyItems <= dynamo.MaxTxnItems {
			copies[0](ct)
			copies = copies[1:]
		}
		if err := ct.Run(ctx, s.Client); err != nil {
			return fmt.Errorf("copy profile change onto memberships: %w", err)
		}
	}
	return t.Run(ctx, s.Client)
}

// SaveEmailChange implements orgs.Store.
func (s *Store) SaveEmailChange(ctx context.Context, userID string, ch orgs.EmailChange, ev audit.Event, limit ratelimit.Use, link outbox.Message) error {
	t := s.Txn()
	t.Put(newEmailChangeItem(userID, ch), expression.ConditionBuilder{}, nil)
	t.Limit(limit)
	t.Outbox(ev.OccurredAt, link)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// EmailChangeOf implements orgs.Store: one consistent GetItem.
func (s *Store) EmailChangeOf(ctx context.Context, userID string) (*orgs.EmailChange, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.UserPK(userID), skEmailChange), ConsistentRead: aws.Bool(true),
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
	t := s.Txn()
	t.Update(dynamo.Key(dynamo.UserPK(userID), skEmailChange), expression.Set(dynamo.Attr("tokenHash"), dynamo.Val(hash)),
		dynamo.Exists().And(dynamo.Attr("messageId").Equal(dynamo.Val(messageID))), orgs.ErrEmailChangeMoved)
	return t.Run(ctx, s.Client)
}

// ConfirmEmailChange implements orgs.Store.
func (s *Store) ConfirmEmailChange(ctx context.Context, acc orgs.Account, after orgs.Profile, ch orgs.EmailChange, ev audit.Event, notice outbox.Message) error {
	t := s.Txn()
	t.Delete(dynamo.Key(dynamo.UserPK(acc.Profile.ID), skEmailChange),
		expression.Name("tokenHash").Equal(expression.Value(ch.TokenHash)),
		apperr.New(apperr.Gone, "this confirmation link was used already"))
	t.UpdateDiff(dynamo.NewProfileItem(acc.Profile), dynamo.NewProfileItem(after), expression.ConditionBuilder{}, dynamo.ErrProfileChanged)
	if notice.ID != "" { // none when the profile caught up with the identity provider first
		t.Outbox(ev.OccurredAt, notice)
	}
	t.Event(ev)
	return s.runWithCopies(ctx, t, identityCopies(acc, after))
}

type tombstoneItem struct {
	dynamo.Keys
	DeletedAt time.Time `dynamodbav:"deletedAt"`
}

// DeleteAccountData implements orgs.Store.
func (s *Store) DeleteAccountData(ctx context.Context, acc orgs.Account, at time.Time) error {
	uid := acc.Profile.ID
	t := s.Txn()
	t.Put(tombstoneItem{Keys: dynamo.Keys{PK: dynamo.UserPK(uid), SK: dynamo.SkDeleted, TTL: at.Add(dynamo.TombstoneTTL).Unix()}, DeletedAt: at}, expression.ConditionBuilder{}, nil)
	// Only while no membership was added since acc was read (every add counts itself in
	// joins: membership): one added meanwhile would be left behind (the caller reads the
	// account again and goes on).
	joins := expression.AttributeNotExists(dynamo.Attr("joins"))
	if acc.Profile.Joins > 0 {
		joins = dynamo.Attr("joins").Equal(dynamo.Val(acc.Profile.Joins))
	}
	t.Delete(dynamo.Key(dynamo.UserPK(uid), dynamo.SkProfile), joins, orgs.ErrAccountJoined)
	t.Delete(dynamo.Key(dynamo.UserPK(uid), skEmailChange), expression.ConditionBuilder{}, nil)
	if err := t.Run(ctx, s.Client); err != nil {
		return err
	}
	var rest []map[string]types.AttributeValue
	for _, m := range acc.Memberships {
		rest = append(rest, dynamo.Key(dynamo.UserPK(uid), dynamo.UserOrgSK(m.OrgID)))
	}
	return s.BatchDelete(ctx, rest)
}
