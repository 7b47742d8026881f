package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
)

// Idempotency keys. A request that carries one has a claim in its context; the first
// transaction the request writes also writes the claim's record, so the record exists exactly
// when the change does. The record names what the change created (the target of its event),
// and a replay of the request is answered from that: the store reports it as a *Replay.
//
//	IDEM#<hash of caller, route, key>   IDEM   fingerprint of the body, the created target
//
// The record lives a day (TTL); the authorization step of org routes reads it with the
// membership, at no extra cost.

// SkIdempotency is the sort key of an idempotency record.
const SkIdempotency = "IDEM"

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

type idempotencyClaim struct {
	pk          string
	fingerprint string
	// used: a transaction with the record has been written.
	used bool
}

type claimKey struct{}

// WithIdempotencyKey returns a context whose first write claims the key for the caller and the
// route; fingerprint identifies the request's body.
func WithIdempotencyKey(ctx context.Context, caller, route, key, fingerprint string) context.Context {
	sum := sha256.Sum256([]byte(caller + "\x00" + route + "\x00" + key))
	return context.WithValue(ctx, claimKey{}, &idempotencyClaim{pk: "IDEM#" + hex.EncodeToString(sum[:]), fingerprint: fingerprint})
}

func claimFrom(ctx context.Context) *idempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*idempotencyClaim)
	return c
}

// Replay is the error of a write whose idempotency key was used before: the first request
// with it created Target in org OrgID from a body with Fingerprint.
type Replay struct {
	Fingerprint string
	OrgID       string
	Target      audit.Target
}

func (r *Replay) Error() string {
	return fmt.Sprintf("idempotency key used before (created %s %s)", r.Target.Type, r.Target.ID)
}

type idempotencyItem struct {
	Keys
	Fingerprint string    `dynamodbav:"fingerprint"`
	OrgID       string    `dynamodbav:"orgId"`
	TargetType  string    `dynamodbav:"targetType"`
	TargetID    string    `dynamodbav:"targetId"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
}

func (it idempotencyItem) replay() *Replay {
	return &Replay{Fingerprint: it.Fingerprint, OrgID: it.OrgID, Target: audit.Target{Type: it.TargetType, ID: it.TargetID}}
}

// claim adds the context's idempotency record, if any and not written yet, as the first item of
// the transaction, so that a replay is what a failed transaction reports first.
func (t *Txn) claim(ctx context.Context) {
	c := claimFrom(ctx)
	if c == nil || c.used || t.ev == nil {
		return
	}
	it := idempotencyItem{
		Keys:        Keys{PK: c.pk, SK: SkIdempotency, TTL: t.ev.OccurredAt.Add(IdempotencyTTL).Unix()},
		Fingerprint: c.fingerprint, OrgID: t.ev.OrgID, TargetType: t.ev.Target.Type, TargetID: t.ev.Target.ID,
		CreatedAt: t.ev.OccurredAt,
	}
	// A record past its day is taken over: TTL deletes it only up to two days late.
	n := len(t.Items)
	t.Put(it, Absent().Or(Attr(AttrTTL).LessThanEqual(Val(t.ev.OccurredAt.Unix()))), errReplayed)
	if len(t.Items) == n {
		return // t.err says why
	}
	claim := t.Items[n]
	claim.Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	t.Items = append([]types.TransactWriteItem{claim}, t.Items[:n]...)
	t.OnFail = append([]error{errReplayed}, t.OnFail[:n]...)
}

// errReplayed marks the claim's item in onFail; run turns it into the *Replay it read.
var errReplayed = fmt.Errorf("idempotency record exists")

// ReplayFrom decodes the record a failed claim returned, or that the authorization step read:
// nil when it is past its day (at now), and so no longer answers for the key.
func ReplayFrom(item map[string]types.AttributeValue, now time.Time) error {
	var it idempotencyItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	if it.TTL <= now.Unix() {
		return nil
	}
	return it.replay()
}

// IdempotencyKey is the record's key for the context's claim, or nil.
func IdempotencyKey(ctx context.Context) map[string]types.AttributeValue {
	if c := claimFrom(ctx); c != nil {
		return Key(c.pk, SkIdempotency)
	}
	return nil
}

// WithoutIdempotencyKey returns ctx without its claim, for reading what a replay answers with.
func WithoutIdempotencyKey(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, (*idempotencyClaim)(nil))
}
