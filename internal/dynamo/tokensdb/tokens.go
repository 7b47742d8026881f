package tokensdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The org access token's items:
//
//	ORG#<orgId>  TOKEN               the token's state: version, nonce, createdAt/By, lastUsedAt/Ip.
//	                                 Never the token: it is derived under the server's secret
//	                                 (package tokens). Absent until the first regeneration or
//	                                 use: the org then has its initial token (version 0).
//	ORG#<orgId>  TOKENUSE#<yyyy-mm-dd>  the day's count of successful tool sign-ins (usage),
//	                                 updated in each sign-in's transaction; TTL after 40 days
//	ORG#<orgId>  LICENSES            the org's licenses as the entitlements and the usage read
//	                                 them (entitlements.go), kept by the licensing writes
//	CATALOG      PUBLIC              the catalog's public products (entitlements.go), kept by
//	                                 the catalog writes
//
// A tool's sign-in reads, by key, in one BatchGetItem: the org, TOKEN, the member's email guard
// (ORG#<orgId>/EMAIL#<email>: userId, role, status), LICENSES, CATALOG/PUBLIC and the email's
// failure counter of the minute (limits.go: ratelimit.ToolSignInFailures, scope
// <orgId>#<email>), then writes its outcome in one transaction. The
// token itself names the org (package tokens), so no lookup comes first.
const (
	skOrgToken  = "TOKEN"
	skTokenUse  = "TOKENUSE#"
	tokenUseTTL = 40 * 24 * time.Hour
)

func tokenUseSK(day string) string { return skTokenUse + day }

type orgTokenItem struct {
	dynamo.Keys
	Version        int       `dynamodbav:"version"`
	Nonce          string    `dynamodbav:"nonce,omitempty"`
	CreatedAt      time.Time `dynamodbav:"createdAt,omitempty"`
	CreatedByID    string    `dynamodbav:"createdById,omitempty"`
	CreatedByEmail string    `dynamodbav:"createdByEmail,omitempty"`
	LastUsedAt     time.Time `dynamodbav:"lastUsedAt,omitempty"`
	LastUsedIP     string    `dynamodbav:"lastUsedIp,omitempty"`
}

func newOrgTokenItem(orgID string, st tokens.State) orgTokenItem {
	return orgTokenItem{
		Keys:    dynamo.Keys{PK: dynamo.OrgPK(orgID), SK: skOrgToken},
		Version: st.Version, Nonce: st.Nonce, CreatedAt: st.CreatedAt,
		CreatedByID: st.CreatedBy.ID, CreatedByEmail: st.CreatedBy.Email,
	}
}

func (it orgTokenItem) state() *tokens.State {
	return &tokens.State{
		Version: it.Version, Nonce: it.Nonce, CreatedAt: it.CreatedAt,
		CreatedBy:  orgs.Person{ID: it.CreatedByID, Email: it.CreatedByEmail},
		LastUsedAt: it.LastUsedAt, LastUsedIP: it.LastUsedIP,
	}
}

// tokenAt holds while the org's token is at version: an absent item or version is version 0.
func tokenAt(version int) expression.ConditionBuilder {
	if version == 0 {
		return expression.AttributeNotExists(dynamo.Attr("version")).Or(dynamo.Attr("version").Equal(dynamo.Val(0)))
	}
	return dynamo.Attr("version").Equal(dynamo.Val(version))
}

type tokenUseItem struct {
	dynamo.Keys
	Count int `dynamodbav:"count"`
}

// tokenStateRead reads the org's token state with the authorization step (planRead): a
// *tokens.State, nil while the org has its initial token.
func tokenStateRead(orgID string) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{{PK: dynamo.OrgPK(orgID), SK: skOrgToken}}, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		it, err := dynamo.DecodeAs("token state", items[0], orgTokenItem.state)
		if it == nil || err != nil {
			return (*tokens.State)(nil), err
		}
		return *it, nil
	}}
}

// usageRead reads what the usage route counts with the authorization step (planRead): the
// org's licenses and the token-use counter of each of r.Days, a tokens.UsageFacts.
func usageRead(orgID string, r tokens.UsageRead) dynamo.ReadPlan {
	ks := []dynamo.Keys{{PK: dynamo.OrgPK(orgID), SK: dynamo.SkLicenses}}
	for _, d := range r.Days {
		ks = append(ks, dynamo.Keys{PK: dynamo.OrgPK(orgID), SK: tokenUseSK(d)})
	}
	return dynamo.ReadPlan{Keys: ks, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		facts := tokens.UsageFacts{TokenUses: map[string]int{}}
		if items[0] != nil {
			ls, err := licensesFrom(items[0])
			if err != nil {
				return nil, err
			}
			facts.Licenses = ls
		}
		for i, d := range r.Days {
			n, err := dynamo.DecodeAs("token use", items[1+i], func(it tokenUseItem) int { return it.Count })
			if err != nil {
				return nil, err
			}
			if n != nil {
				facts.TokenUses[d] = *n
			}
		}
		return facts, nil
	}}
}

var _ tokens.Store = (*Store)(nil)

// RecordView implements tokens.Store.
func (s *Store) RecordView(ctx context.Context, actor orgs.Acting, orgID string, version int, ev audit.Event) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, orgID, actor, orgsdb.OrgChange{})
	t.Check(dynamo.Key(dynamo.OrgPK(orgID), skOrgToken), tokenAt(version), tokens.ErrTokenChanged)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// SaveToken implements tokens.Store.
func (s *Store) SaveToken(ctx context.Context, actor orgs.Acting, orgID string, version int, next tokens.State, ev audit.Event, msgs []outbox.Message) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, orgID, actor, orgsdb.OrgChange{})
	t.Put(newOrgTokenItem(orgID, next), tokenAt(version), tokens.ErrTokenChanged)
	t.Event(ev)
	t.Outbox(ev.OccurredAt, msgs...)
	return t.Run(ctx, s.Client)
}

// ResetAuth implements tokens.Store.
// The org's SCIM token goes in the same transaction: the reset is the compromise button, and
// a SCIM token may give anyone any role.
func (s *Store) ResetAuth(ctx context.Context, actor orgs.Acting, orgID string, at time.Time, version int, next tokens.State, ev audit.Event, msgs []outbox.Message) error {
	t := s.Txn()
	orgsdb.ActorAsRead(t, orgID, actor, orgsdb.OrgChange{Set: map[string]any{"authResetAt": at.UTC()}})
	t.Put(newOrgTokenItem(orgID, next), tokenAt(version), tokens.ErrTokenChanged)
	t.Delete(dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkSCIMToken), expression.ConditionBuilder{}, nil)
	t.Event(ev)
	t.Outbox(ev.OccurredAt, msgs...)
	return t.Run(ctx, s.Client)
}

// SignIn implements tokens.Store: one consistent BatchGetItem.
func (s *Store) SignIn(ctx context.Context, orgID, email string, minute time.Time, personalID string) (tokens.SignIn, error) {
	ks := []map[string]types.AttributeValue{
		dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta), dynamo.Key(dynamo.OrgPK(orgID), skOrgToken), dynamo.Key(dynamo.OrgPK(orgID), dynamo.EmailGuardSK(email)),
		dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkLicenses), dynamo.Key(dynamo.PublicCatalogPK, dynamo.SkPublicCatalog), dynamo.LimitKey(signInFailure(orgID, email, minute, tokens.FailedSignInLimit)),
	}
	if personalID != "" {
		ks = append(ks, dynamo.Key(dynamo.OrgPK(orgID), skPersonal+personalID))
	}
	items, err := s.BatchGet(ctx, ks)
	if err != nil {
		return tokens.SignIn{}, err
	}
	var in tokens.SignIn
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return tokens.SignIn{}, err
		}
		var err error
		switch {
		case k.SK == dynamo.SkMeta:
			var it orgsdb.OrgItem
			err = attributevalue.UnmarshalMap(av, &it)
			in.Org = it.Org()
		case k.SK == skOrgToken:
			var it orgTokenItem
			err = attributevalue.UnmarshalMap(av, &it)
			in.Token = it.state()
		case strings.HasPrefix(k.SK, dynamo.SkEmailGuard):
			var it orgsdb.EmailGuardItem
			err = attributevalue.UnmarshalMap(av, &it)
			in.Member = &orgs.Member{OrgID: orgID, UserID: it.UserID, Email: email, Role: roles.Role(it.Role), Status: orgs.Status(it.Status),
				TokensSince: it.TokensSince}
		case strings.HasPrefix(k.SK, skPersonal):
			var it personalItem
			err = attributevalue.UnmarshalMap(av, &it)
			tok := it.token()
			in.Personal = &tok
		case k.SK == dynamo.SkLicenses:
			in.Licenses, err = licensesFrom(av)
		case k.PK == dynamo.PublicCatalogPK:
			in.Public, err = publicFrom(av)
		case k.SK == dynamo.SkLimit:
			var it struct {
				Count int `dynamodbav:"count"`
			}
			err = attributevalue.UnmarshalMap(av, &it)
			in.Failures = it.Count
		}
		if err != nil {
			return tokens.SignIn{}, err
		}
	}
	return in, nil
}

// RecordUse implements tokens.Store. Every sign-in of an org updates its TOKEN item and the
// day's counter, so two at the same instant may collide (TransactionConflict): the write is
// tried once more before the tool is asked to retry.
func (s *Store) RecordUse(ctx context.Context, u tokens.Use) error {
	t := s.Txn()
	lastUse := expression.Set(dynamo.Attr("lastUsedAt"), dynamo.Val(u.At.UTC())).Set(dynamo.Attr("lastUsedIp"), dynamo.Val(u.IP))
	if u.Personal != nil {
		t.Update(dynamo.Key(dynamo.OrgPK(u.OrgID), skPersonal+u.Personal.ID), lastUse,
			dynamo.Exists().And(dynamo.Attr("ownerId").Equal(dynamo.Val(u.Member.UserID))), tokens.ErrSignInChanged)
		t.Check(dynamo.Key(dynamo.OrgPK(u.OrgID), dynamo.SkMeta), dynamo.OrgLive().And(roleStillAllowsTokens(u.Role)), tokens.ErrSignInChanged)
	} else {
		t.Update(dynamo.Key(dynamo.OrgPK(u.OrgID), skOrgToken), lastUse, tokenAt(u.Version), tokens.ErrSignInChanged)
	}
	t.Check(dynamo.Key(dynamo.OrgPK(u.OrgID), dynamo.EmailGuardSK(u.Member.Email)),
		dynamo.Attr("userId").Equal(dynamo.Val(u.Member.UserID)).And(dynamo.Attr("role").Equal(dynamo.Val(string(u.Member.Role)))).
			And(expression.AttributeNotExists(dynamo.Attr("status")).Or(dynamo.Attr("status").NotEqual(dynamo.Val(string(orgs.StatusSuspended))))),
		tokens.ErrSignInChanged)
	if u.Personal == nil {
		// The usage counts the org token's sign-ins.
		day := u.At.UTC().Format(time.DateOnly)
		t.Update(dynamo.Key(dynamo.OrgPK(u.OrgID), tokenUseSK(day)),
			expression.Add(dynamo.Attr("count"), dynamo.Val(1)).Set(dynamo.Attr("ttl"), dynamo.Val(u.At.Add(tokenUseTTL).Unix())),
			expression.ConditionBuilder{}, nil)
	}
	t.Event(u.Event)
	err := t.Run(ctx, s.Client)
	if isTxnConflict(err) {
		err = t.Run(ctx, s.Client)
	}
	if isTxnConflict(err) {
		return apperr.New(apperr.Unavailable, "too many sign-ins at once; try again")
	}
	return err
}

// roleStillAllowsTokens holds while the custom role d (nil: a built-in role, always) still
// allows products.access and has not lost it since it was read: an edit that takes the
// permission away (even if it gives it back meanwhile) ends a personal token's sign-in at
// once, whatever else changes in the org's roles.
func roleStillAllowsTokens(d *roles.Definition) expression.ConditionBuilder {
	if d == nil {
		return dynamo.Exists()
	}
	path := "customRoles." + string(d.ID) + "."
	since := expression.AttributeNotExists(dynamo.Attr(path + "tokensSince"))
	if !d.TokensSince.IsZero() {
		since = dynamo.Attr(path + "tokensSince").Equal(dynamo.Val(d.TokensSince))
	}
	return expression.Contains(dynamo.Attr(path+"permissions"), string(roles.ProductsAccess)).And(since)
}

func isTxnConflict(err error) bool {
	return apperr.Is(err, apperr.Conflict) && strings.Contains(apperr.MessageOf(err), "another change")
}

// RecordRejection implements tokens.Store.
func (s *Store) RecordRejection(ctx context.Context, r tokens.Rejection) error {
	t := s.Txn()
	t.Limit(signInFailure(r.OrgID, r.Email, r.Minute, r.Limit))
	t.Event(r.Event)
	return t.Run(ctx, s.Client)
}

// PendingInvites implements tokens.Store: one Query that counts the live invites that expire
// after now (the live bucket holds pending and expired ones, by expiry).
func (s *Store) PendingInvites(ctx context.Context, orgID string, now time.Time) (int, error) {
	kc := dynamo.KeyIs(dynamo.AttrGSI1P, dynamo.InviteBucketPK(orgID, dynamo.BucketLive)).
		And(expression.Key(dynamo.AttrGSI1S).GreaterThan(expression.Value(dynamo.SortTime(now))))
	return s.QueryCount(ctx, dynamo.Query{What: "pending invites", Index: dynamo.IndexGSI1, Key: kc})
}

var _ tokens.FanOutStore = (*Store)(nil)

// Admins implements tokens.FanOutStore: the admin role's index partition, all pages.
func (s *Store) Admins(ctx context.Context, orgID string) ([]tokens.Recipient, error) {
	var out []tokens.Recipient
	err := s.queryIndex(ctx, dynamo.IndexGSI2, dynamo.AttrGSI2P, dynamo.MemberRolePK(orgID, roles.Admin), func(it dynamo.MemberItem) {
		if it.Status != string(orgs.StatusSuspended) {
			out = append(out, tokens.Recipient{UserID: it.UserID, Email: it.Email})
		}
	})
	return out, err
}

// MemberIDs implements tokens.FanOutStore: the org's member index partition, all pages.
func (s *Store) MemberIDs(ctx context.Context, orgID string) ([]string, error) {
	var out []string
	err := s.queryIndex(ctx, dynamo.IndexGSI1, dynamo.AttrGSI1P, dynamo.OrgPK(orgID)+"#M", func(it dynamo.MemberItem) { out = append(out, it.UserID) })
	return out, err
}

func (s *Store) queryIndex(ctx context.Context, index, pkName, pk string, each func(dynamo.MemberItem)) error {
	q := dynamo.Query{What: index, Index: index, Key: dynamo.KeyIs(pkName, pk)}
	return s.QueryEach(ctx, q, func(av map[string]types.AttributeValue) error {
		var it dynamo.MemberItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		each(it)
		return nil
	})
}

// PutFanOut implements tokens.FanOutStore: transactions of up to 100 new messages; when one is
// cancelled because some of its messages exist (a fan-out run before), those are written one
// by one, each only if absent.
func (s *Store) PutFanOut(ctx context.Context, now time.Time, msgs []outbox.Message) error {
	errExists := errors.New("outbox message exists")
	for start := 0; start < len(msgs); start += dynamo.MaxTxnItems {
		chunk := msgs[start:min(start+dynamo.MaxTxnItems, len(msgs))]
		t := s.Txn()
		for _, m := range chunk {
			t.PutNew(dynamo.NewOutboxItem(m, now), errExists)
		}
		err := t.Run(ctx, s.Client)
		if !errors.Is(err, errExists) {
			if err != nil {
				return err
			}
			continue
		}
		for _, m := range chunk {
			one := s.Txn()
			one.PutNew(dynamo.NewOutboxItem(m, now), errExists)
			if err := one.Run(ctx, s.Client); err != nil && !errors.Is(err, errExists) {
				return err
			}
		}
	}
	return nil
}

// RecordEvents implements tokens.SignInStore: events alone, in transactions of up to 100
// (events that record something outside the table, such as a sign-in at the identity provider).
func (s *Store) RecordEvents(ctx context.Context, evs []audit.Event) error {
	for start := 0; start < len(evs); start += dynamo.MaxTxnItems {
		t := s.Txn()
		for _, e := range evs[start:min(start+dynamo.MaxTxnItems, len(evs))] {
			t.PutNew(dynamo.NewEventItem(e), fmt.Errorf("event %s already written", e.ID))
		}
		if err := t.Run(ctx, s.Client); err != nil {
			return err
		}
	}
	return nil
}

// signInFailure is one refused tool sign-in of email at the org, counted per minute
// (ratelimit.ToolSignInFailures, at most limit).
func signInFailure(orgID, email string, minute time.Time, limit int) ratelimit.Use {
	return ratelimit.Use{Rule: ratelimit.ToolSignInFailures.WithMax(limit), Scope: orgID + "#" + strings.ToLower(email), N: 1, At: minute}
}

// tokenReads registers the reads of tokens (org tokens, personal tokens) with the
// authorization step.
func tokenReads(k *dynamo.Store) {
	dynamo.RegisterRead(k, func(orgID string, _ tokens.StateRead) dynamo.ReadPlan { return tokenStateRead(orgID) })
	dynamo.RegisterRead(k, usageRead)
	dynamo.RegisterRead(k, mineRead)
	dynamo.RegisterRead(k, personalRead)
}
