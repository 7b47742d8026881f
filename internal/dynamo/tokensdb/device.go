package tokensdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The device flow's items (package tokens, device.go), both with a TTL an hour after expiry:
//
//	DEVICE#<sha256 of the device code>  DEVICE    the grant: org, client, status, last poll,
//	                                              the approver and the token the approval made
//	                                              (its id: the text is made again at the poll)
//	DEVCODE#<user code>                 DEVCODE   the live user code, pointing at its grant,
//	                                              deleted by the approval or the denial
const (
	skDevice   = "DEVICE"
	skDevCode  = "DEVCODE"
	deviceTTL  = time.Hour
	devicePKOf = "DEVICE#"
	devCodePKx = "DEVCODE#"
)

type deviceItem struct {
	dynamo.Keys
	Hash           string    `dynamodbav:"hash"`
	UserCode       string    `dynamodbav:"userCode"`
	OrgID          string    `dynamodbav:"orgId"`
	OrgHandle      string    `dynamodbav:"orgHandle"`
	ClientID       string    `dynamodbav:"clientId"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	ExpiresAt      string    `dynamodbav:"expiresAt"`
	Status         string    `dynamodbav:"status"`
	LastPolledAt   string    `dynamodbav:"lastPolledAt,omitempty"`
	ApproverID     string    `dynamodbav:"approverId,omitempty"`
	ApproverEmail  string    `dynamodbav:"approverEmail,omitempty"`
	TokenID        string    `dynamodbav:"tokenId,omitempty"`
	TokenExpiresAt time.Time `dynamodbav:"tokenExpiresAt,omitempty"`
}

func (it deviceItem) grant() tokens.DeviceGrant {
	exp, _ := time.Parse(dynamo.SortTimeLayout, it.ExpiresAt)
	var polled time.Time
	if it.LastPolledAt != "" {
		polled, _ = time.Parse(dynamo.SortTimeLayout, it.LastPolledAt)
	}
	return tokens.DeviceGrant{
		Hash: it.Hash, UserCode: it.UserCode, OrgID: it.OrgID, OrgHandle: it.OrgHandle, ClientID: it.ClientID,
		CreatedAt: it.CreatedAt, ExpiresAt: exp, Status: tokens.DeviceStatus(it.Status), LastPolledAt: polled,
		Approver: orgs.Person{ID: it.ApproverID, Email: it.ApproverEmail}, TokenID: it.TokenID, TokenExpiresAt: it.TokenExpiresAt,
	}
}

type devCodeItem struct {
	dynamo.Keys
	Hash      string    `dynamodbav:"hash"`
	OrgID     string    `dynamodbav:"orgId"`
	OrgHandle string    `dynamodbav:"orgHandle"`
	ClientID  string    `dynamodbav:"clientId"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	ExpiresAt string    `dynamodbav:"expiresAt"`
}

func deviceKey(hash string) map[string]types.AttributeValue {
	return dynamo.Key(devicePKOf+hash, skDevice)
}
func devCodeKey(code string) map[string]types.AttributeValue {
	return dynamo.Key(devCodePKx+code, skDevCode)
}

var _ tokens.DeviceStore = (*Store)(nil)

// DeviceOrg implements tokens.DeviceStore: the handle's guard and the limit's counter, in one
// BatchGetItem.
func (s *Store) DeviceOrg(ctx context.Context, handle string, limit ratelimit.Use) (string, int, error) {
	items, err := s.BatchGet(ctx, []map[string]types.AttributeValue{dynamo.Key(dynamo.HandlePK(handle), dynamo.SkHandle), dynamo.LimitKey(limit)})
	if err != nil {
		return "", 0, err
	}
	orgID, used := "", 0
	for _, av := range items {
		var it struct {
			dynamo.Keys
			OrgID string `dynamodbav:"orgId"`
			Count int    `dynamodbav:"count"`
		}
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return "", 0, err
		}
		if it.SK == dynamo.SkHandle {
			orgID = it.OrgID
		} else {
			used = it.Count
		}
	}
	return orgID, used, nil
}

// PutDevice implements tokens.DeviceStore.
func (s *Store) PutDevice(ctx context.Context, g tokens.DeviceGrant, limit ratelimit.Use) error {
	ttl := g.ExpiresAt.Add(deviceTTL).Unix()
	t := s.Txn()
	t.PutNew(deviceItem{
		Keys: dynamo.Keys{PK: devicePKOf + g.Hash, SK: skDevice, TTL: ttl},
		Hash: g.Hash, UserCode: g.UserCode, OrgID: g.OrgID, OrgHandle: g.OrgHandle, ClientID: g.ClientID,
		CreatedAt: g.CreatedAt, ExpiresAt: dynamo.SortTime(g.ExpiresAt), Status: string(g.Status),
	}, fmt.Errorf("device grant %s exists", g.Hash))
	// A user code of a grant that expired may be used again before TTL removes its item.
	t.Put(devCodeItem{Keys: dynamo.Keys{PK: devCodePKx + g.UserCode, SK: skDevCode, TTL: ttl}, Hash: g.Hash, OrgID: g.OrgID,
		OrgHandle: g.OrgHandle, ClientID: g.ClientID, CreatedAt: g.CreatedAt, ExpiresAt: dynamo.SortTime(g.ExpiresAt)},
		dynamo.Absent().Or(dynamo.Attr("expiresAt").LessThanEqual(dynamo.Val(dynamo.SortTime(g.CreatedAt)))), tokens.ErrUserCodeTaken)
	t.Limit(limit)
	return t.Run(ctx, s.Client)
}

// Device implements tokens.DeviceStore.
func (s *Store) Device(ctx context.Context, hash string) (*tokens.DeviceGrant, error) {
	g, err := dynamo.GetAs(ctx, s.Store, devicePKOf+hash, skDevice, deviceItem.grant, errNoDevice)
	if errors.Is(err, errNoDevice) {
		return nil, nil
	}
	return &g, err
}

var errNoDevice = errors.New("no such device grant")

// Polled implements tokens.DeviceStore.
func (s *Store) Polled(ctx context.Context, hash string, prev, at time.Time) error {
	cond := dynamo.Exists().And(expression.AttributeNotExists(dynamo.Attr("lastPolledAt")))
	if !prev.IsZero() {
		cond = dynamo.Exists().And(dynamo.Attr("lastPolledAt").Equal(dynamo.Val(dynamo.SortTime(prev))))
	}
	t := s.Txn()
	t.Update(deviceKey(hash), expression.Set(dynamo.Attr("lastPolledAt"), dynamo.Val(dynamo.SortTime(at))), cond, tokens.ErrPolledMeanwhile)
	return t.Run(ctx, s.Client)
}

// Issue implements tokens.DeviceStore.
func (s *Store) Issue(ctx context.Context, hash string) error {
	t := s.Txn()
	t.Update(deviceKey(hash), expression.Set(dynamo.Attr("status"), dynamo.Val(string(tokens.DeviceIssued))),
		dynamo.Attr("status").Equal(dynamo.Val(string(tokens.DeviceApproved))), tokens.ErrDeviceIssued)
	return t.Run(ctx, s.Client)
}

// UserCode implements tokens.DeviceStore: the user code, which carries what the grant's
// approval needs, and the failures' counter, in one BatchGetItem.
func (s *Store) UserCode(ctx context.Context, code string, now time.Time, failures ratelimit.Use) (*tokens.DeviceGrant, int, error) {
	items, err := s.BatchGet(ctx, []map[string]types.AttributeValue{devCodeKey(code), dynamo.LimitKey(failures)})
	if err != nil {
		return nil, 0, err
	}
	var g *tokens.DeviceGrant
	used := 0
	for _, av := range items {
		var it struct {
			devCodeItem
			Count int `dynamodbav:"count"`
		}
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, 0, err
		}
		if it.SK != skDevCode {
			used = it.Count
			continue
		}
		if it.ExpiresAt > dynamo.SortTime(now) {
			exp, _ := time.Parse(dynamo.SortTimeLayout, it.ExpiresAt)
			g = &tokens.DeviceGrant{Hash: it.Hash, UserCode: code, OrgID: it.OrgID, OrgHandle: it.OrgHandle, ClientID: it.ClientID,
				CreatedAt: it.CreatedAt, ExpiresAt: exp, Status: tokens.DevicePending}
		}
	}
	return g, used, nil
}

// CountFailure implements tokens.DeviceStore.
func (s *Store) CountFailure(ctx context.Context, failures ratelimit.Use) error {
	t := s.Txn()
	t.Limit(failures)
	return t.Run(ctx, s.Client)
}

// Approve implements tokens.DeviceStore.
func (s *Store) Approve(ctx context.Context, g tokens.DeviceGrant, tok tokens.PersonalToken, live []tokens.PersonalToken, version int, actor orgs.Acting, ev audit.Event) error {
	t := s.Txn()
	t.PutNew(newPersonalItem(tok), fmt.Errorf("personal token %s exists", tok.ID))
	t.Put(personalIndex(tok.OrgID, tok.Owner.ID, live, version), indexAt(version), tokens.ErrPersonalChanged)
	orgsdb.ActorAsRead(t, tok.OrgID, actor, orgsdb.OrgChange{})
	t.Update(deviceKey(g.Hash),
		expression.Set(dynamo.Attr("status"), dynamo.Val(string(tokens.DeviceApproved))).Set(dynamo.Attr("approverId"), dynamo.Val(g.Approver.ID)).
			Set(dynamo.Attr("approverEmail"), dynamo.Val(g.Approver.Email)).Set(dynamo.Attr("tokenId"), dynamo.Val(g.TokenID)).Set(dynamo.Attr("tokenExpiresAt"), dynamo.Val(g.TokenExpiresAt.UTC())),
		dynamo.Attr("status").Equal(dynamo.Val(string(tokens.DevicePending))), errDeviceGone)
	t.Delete(devCodeKey(g.UserCode), dynamo.Attr("hash").Equal(dynamo.Val(g.Hash)), errDeviceGone)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

// Deny implements tokens.DeviceStore.
func (s *Store) Deny(ctx context.Context, g tokens.DeviceGrant, actor orgs.Member, ev audit.Event) error {
	t := s.Txn()
	t.Update(deviceKey(g.Hash), expression.Set(dynamo.Attr("status"), dynamo.Val(string(tokens.DeviceDenied))),
		dynamo.Attr("status").Equal(dynamo.Val(string(tokens.DevicePending))), errDeviceGone)
	t.Delete(devCodeKey(g.UserCode), dynamo.Attr("hash").Equal(dynamo.Val(g.Hash)), errDeviceGone)
	t.MemberStill(g.OrgID, actor)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}

var errDeviceGone = tokens.ErrDeviceDecided

// Org implements tokens.DeviceStore: the same read as licensingdb's Org (licensing.ErrOrgGone
// when there is no such org).
func (s *Store) Org(ctx context.Context, orgID string) (orgs.Org, error) {
	return dynamo.GetAs(ctx, s.Store, dynamo.OrgPK(orgID), dynamo.SkMeta, orgsdb.OrgItem.Org, licensing.ErrOrgGone)
}
