package tokensdb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The personal tool tokens' items:
//
//	ORG#<orgId>  PAT#<tokenId>     one token: owner, name, times, last use. Never the token's
//	                               text, which enciphers the org and token ids under the
//	                               server's key (package tokens). TTL 30 days after expiry.
//	ORG#<orgId>  PATS#<ownerId>    the owner's index in the org: per token an entry of the map
//	                               tokens (name, createdAt, expiresAt) and a version, which the
//	                               writes that change it condition on, so that the ten-token
//	                               limit and the unique names hold under races
//
// A tool's sign-in with a personal token reads PAT#<tokenId> in its one BatchGetItem
// (tokens.go: SignIn), since the token's text names both ids. The owner's routes read their
// index with the authorization step (tokens.MineRead), an admin's revocation the token
// (tokens.PersonalRead).
const (
	skPersonal      = "PAT#"
	skPersonalIndex = "PATS#"
	personalTTL     = 30 * 24 * time.Hour
)

type personalItem struct {
	dynamo.Keys
	TokenID    string    `dynamodbav:"tokenId"`
	OwnerID    string    `dynamodbav:"ownerId"`
	OwnerEmail string    `dynamodbav:"ownerEmail"`
	Name       string    `dynamodbav:"name"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	// ExpiresAt is a sortTime, which conditions and filters compare as strings.
	ExpiresAt  string    `dynamodbav:"expiresAt"`
	LastUsedAt time.Time `dynamodbav:"lastUsedAt,omitempty"`
	LastUsedIP string    `dynamodbav:"lastUsedIp,omitempty"`
}

func newPersonalItem(t tokens.PersonalToken) personalItem {
	return personalItem{
		Keys:    dynamo.Keys{PK: dynamo.OrgPK(t.OrgID), SK: skPersonal + t.ID, TTL: t.ExpiresAt.Add(personalTTL).Unix()},
		TokenID: t.ID, OwnerID: t.Owner.ID, OwnerEmail: t.Owner.Email, Name: t.Name,
		CreatedAt: t.CreatedAt, ExpiresAt: dynamo.SortTime(t.ExpiresAt),
	}
}

func (it personalItem) token() tokens.PersonalToken {
	exp, _ := time.Parse(dynamo.SortTimeLayout, it.ExpiresAt)
	return tokens.PersonalToken{
		ID: it.TokenID, OrgID: orgIDOf(it.PK), Owner: orgs.Person{ID: it.OwnerID, Email: it.OwnerEmail}, Name: it.Name,
		CreatedAt: it.CreatedAt, ExpiresAt: exp, LastUsedAt: it.LastUsedAt, LastUsedIP: it.LastUsedIP,
	}
}

// orgIDOf is the org id of an ORG#<orgId> partition key.
func orgIDOf(pk string) string { return pk[len(dynamo.OrgPK("")):] }

type personalEntry struct {
	Name      string    `dynamodbav:"name"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
}

type personalIndexItem struct {
	dynamo.Keys
	Version int                      `dynamodbav:"version"`
	Tokens  map[string]personalEntry `dynamodbav:"tokens"`
}

// personalIndex is the owner's index holding live, the version after version.
func personalIndex(orgID, ownerID string, live []tokens.PersonalToken, version int) personalIndexItem {
	idx := personalIndexItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(orgID), SK: skPersonalIndex + ownerID}, Version: version + 1, Tokens: map[string]personalEntry{}}
	for _, l := range live {
		idx.Tokens[l.ID] = personalEntry{Name: l.Name, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt}
	}
	return idx
}

func personalIndexKey(orgID, ownerID string) map[string]types.AttributeValue {
	return dynamo.Key(dynamo.OrgPK(orgID), skPersonalIndex+ownerID)
}

// indexAt holds while the owner's index is at version (absent: version 0).
func indexAt(version int) expression.ConditionBuilder {
	if version == 0 {
		return expression.AttributeNotExists(dynamo.Attr("version")).Or(dynamo.Attr("version").Equal(dynamo.Val(0)))
	}
	return dynamo.Attr("version").Equal(dynamo.Val(version))
}

// mineRead reads the owner's index with the authorization step (planRead): a tokens.Mine.
func mineRead(orgID string, r tokens.MineRead) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), func(id string) string { return skPersonalIndex + id }, r.OwnerID)},
		Decode: func(items []map[string]types.AttributeValue) (any, error) {
			it, err := dynamo.DecodeAs("personal token index", items[0], func(it personalIndexItem) tokens.Mine {
				m := tokens.Mine{Version: it.Version}
				for id, e := range it.Tokens {
					m.Tokens = append(m.Tokens, tokens.PersonalToken{ID: id, OrgID: orgID, Name: e.Name, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt})
				}
				return m
			})
			if it == nil || err != nil {
				return tokens.Mine{}, err
			}
			return *it, nil
		}}
}

// personalRead reads one token of the org with the authorization step (planRead): a
// *tokens.PersonalToken, nil when absent.
func personalRead(orgID string, r tokens.PersonalRead) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), func(id string) string { return skPersonal + id }, r.ID)},
		Decode: func(items []map[string]types.AttributeValue) (any, error) {
			it, err := dynamo.DecodeAs("personal token", items[0], personalItem.token)
			if it == nil || err != nil {
				return (*tokens.PersonalToken)(nil), err
			}
			return it, nil
		}}
}

var _ tokens.PersonalStore = (*Store)(nil)

// CreatePersonal implements tokens.PersonalStore.
func (s *Store) CreatePersonal(ctx context.Context, tok tokens.PersonalToken, live []tokens.PersonalToken, version int, actor orgs.Acting, ev audit.Event) error {
	t := s.Txn()
	t.PutNew(newPersonalItem(tok), fmt.Errorf("personal token %s exists", tok.ID))
	t.Put(personalIndex(tok.OrgID, tok.Owner.ID, live, version), indexAt(version), tokens.ErrPersonalChanged)
	orgsdb.ActorAsRead(t, tok.OrgID, actor, orgsdb.OrgChange{})
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// PersonalTokens implements tokens.PersonalStore: one BatchGetItem.
func (s *Store) PersonalTokens(ctx context.Context, orgID string, ids []string) ([]tokens.PersonalToken, error) {
	ks := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		ks[i] = dynamo.Key(dynamo.OrgPK(orgID), skPersonal+id)
	}
	items, err := s.BatchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := make([]tokens.PersonalToken, 0, len(items))
	for _, av := range items {
		var it personalItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode personal token: %w", err)
		}
		out = append(out, it.token())
	}
	return out, nil
}

// RevokePersonal implements tokens.PersonalStore.
func (s *Store) RevokePersonal(ctx context.Context, tok tokens.PersonalToken, actor orgs.Member, ev audit.Event) error {
	t := s.Txn()
	t.Delete(dynamo.Key(dynamo.OrgPK(tok.OrgID), skPersonal+tok.ID), dynamo.Exists().And(dynamo.Attr("ownerId").Equal(dynamo.Val(tok.Owner.ID))),
		apperr.New(apperr.NotFound, "token not found"))
	t.Update(personalIndexKey(tok.OrgID, tok.Owner.ID),
		expression.Remove(expression.Name("tokens."+tok.ID)).Add(dynamo.Attr("version"), dynamo.Val(1)), dynamo.Exists(), tokens.ErrPersonalChanged)
	t.MemberStill(tok.OrgID, actor)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// OrgPersonalTokens implements tokens.PersonalStore: one Query of the org's partition.
func (s *Store) OrgPersonalTokens(ctx context.Context, orgID string, now time.Time, p paging.Request) (tokens.PersonalPage, error) {
	q := dynamo.Query{
		What: "personal tokens", Key: dynamo.KeyPrefix(dynamo.OrgPK(orgID), skPersonal),
		Filter: dynamo.Attr("expiresAt").GreaterThan(dynamo.Val(dynamo.SortTime(now))), Limit: p.Limit, Consistent: true,
	}
	list, next, err := dynamo.PageAs(ctx, s.Store, q, p.After, personalItem.token)
	return tokens.PersonalPage{Tokens: list, Next: next}, err
}
