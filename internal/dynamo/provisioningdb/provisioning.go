package provisioningdb

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
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/dynamo/scimdb"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

var _ provisioning.Store = (*Store)(nil)

type domainGuardItem struct {
	dynamo.Keys
	OrgID  string `dynamodbav:"orgId"`
	Domain string `dynamodbav:"domain"`
}

// errProvisioningChanged: the org's settings are no longer what the caller read.
var errProvisioningChanged = apperr.New(apperr.Conflict, "the organization's settings were changed meanwhile; reload and try again")

// SaveOrg implements provisioning.Store.
func (s *Store) SaveOrg(ctx context.Context, w provisioning.OrgWrite) error {
	t := s.Txn()
	if !t.UpdateDiff(orgsdb.NewOrgItem(w.Before), orgsdb.NewOrgItem(w.After), dynamo.OrgLive(), errProvisioningChanged) {
		return nil
	}
	switch guard := (domainGuardItem{Keys: dynamo.Keys{PK: orgsdb.DomainPK(w.Claim), SK: orgsdb.SkDomain}, OrgID: w.After.ID, Domain: w.Claim}); {
	case w.Claim != "" && w.Take != nil:
		// The guard passes from the org that loses the domain, with that org's change.
		t.Put(guard, orgsdb.OwnedBy(w.Take.Before.ID), errProvisioningChanged)
		t.UpdateDiff(orgsdb.NewOrgItem(w.Take.Before), orgsdb.NewOrgItem(w.Take.After), expression.ConditionBuilder{}, errProvisioningChanged)
		t.PutNew(dynamo.NewEventItem(w.Take.Event), fmt.Errorf("event %s already written", w.Take.Event.ID))
		t.Outbox(w.Take.Event.OccurredAt, w.Take.Outbox...)
	case w.Claim != "":
		t.PutNew(guard, provisioning.ErrDomainTaken)
	}
	if w.Release != "" {
		t.Delete(dynamo.Key(orgsdb.DomainPK(w.Release), orgsdb.SkDomain), dynamo.Absent().Or(orgsdb.OwnedBy(w.After.ID)), errProvisioningChanged)
	}
	if w.Actor.UserID != "" {
		t.MemberStill(w.After.ID, w.Actor)
	}
	if w.Event != nil {
		t.Event(*w.Event)
	}
	t.Outbox(time.Now(), w.Outbox...)
	if w.Budget != nil {
		t.Limit(*w.Budget)
	}
	return t.Run(ctx, s.Client)
}

// DomainOwner implements provisioning.Store: one GetItem of the domain's guard.
func (s *Store) DomainOwner(ctx context.Context, domain string) (string, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(orgsdb.DomainPK(domain), orgsdb.SkDomain), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("get domain guard: %w", err)
	}
	if out.Item == nil {
		return "", apperr.New(apperr.NotFound, "no organization has verified %s", domain)
	}
	var it domainGuardItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return "", err
	}
	return it.OrgID, nil
}

// JoinContext implements provisioning.Store: one BatchGetItem of the org, the user's
// membership of it, the user's profile and the domain's guard.
func (s *Store) JoinContext(ctx context.Context, orgID, userID, domain string) (provisioning.JoinContext, error) {
	ks := []map[string]types.AttributeValue{
		dynamo.Key(dynamo.OrgPK(orgID), dynamo.SkMeta), dynamo.Key(dynamo.OrgPK(orgID), dynamo.MemberSK(userID)),
		dynamo.Key(dynamo.UserPK(userID), dynamo.SkProfile), dynamo.Key(dynamo.UserPK(userID), dynamo.SkDeleted),
	}
	if domain != "" {
		ks = append(ks, dynamo.Key(orgsdb.DomainPK(domain), orgsdb.SkDomain))
	}
	items, err := s.BatchGet(ctx, ks)
	if err != nil {
		return provisioning.JoinContext{}, err
	}
	var jc provisioning.JoinContext
	deleted := false
	for _, av := range items {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return jc, err
		}
		switch {
		case k.SK == dynamo.SkMeta:
			var it orgsdb.OrgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return jc, err
			}
			o := it.Org()
			jc.Org = &o
		case k.SK == dynamo.SkProfile:
			var it dynamo.ProfileItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return jc, err
			}
			p := it.Profile()
			jc.Profile = &p
		case k.SK == dynamo.SkDeleted:
			deleted = true
		case k.SK == orgsdb.SkDomain:
			var it domainGuardItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return jc, err
			}
			jc.DomainOwner = it.OrgID
		default:
			jc.Member = true
		}
	}
	if jc.Profile == nil && deleted {
		return jc, orgs.ErrAccountDeleted
	}
	return jc, nil
}

// AddMember implements provisioning.Store.
func (s *Store) AddMember(ctx context.Context, w provisioning.MemberWrite) error {
	t := s.Txn()
	addMember(t, w)
	return t.Run(ctx, s.Client)
}

// addMember adds the items of a new membership (membership: with the account when it is
// new, else on condition that it exists, ErrNoProfile), the counters, the acting member's
// role, the event and the outbox messages.
func addMember(t *dynamo.Txn, w provisioning.MemberWrite) {
	m := w.Member
	orgsdb.Membership(t, m, orgs.Shared, w.Account, provisioning.ErrNoProfile, orgs.ErrAlreadyMember)
	// The org's counters, its role's holder count, and (for a custom role) the roles as read.
	org := orgsdb.OrgChange{Shared: true, Roles: w.Roles}
	org.Give(m, +1)
	orgsdb.ChangeOrg(t, m.OrgID, org)
	if m.ExternalID != "" {
		// SCIM's hint from the identity provider's id to the member (dynamo/scim.go), so that
		// a filter by externalId finds a member created with one.
		t.Put(scimdb.ExtIDItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(m.OrgID), SK: scimdb.SkExtID + m.ExternalID}, UserID: m.UserID}, expression.ConditionBuilder{}, nil)
	}
	if w.Actor.UserID != "" && w.Actor.UserID != m.UserID {
		t.MemberStill(m.OrgID, w.Actor)
	}
	t.Event(w.Event)
	t.Outbox(w.Event.OccurredAt, w.Outbox...)
	if w.Budget != nil {
		t.Limit(*w.Budget)
	}
}

// HasProfile implements provisioning.Store: one GetItem.
func (s *Store) HasProfile(ctx context.Context, userID string) (bool, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: dynamo.Key(dynamo.UserPK(userID), dynamo.SkProfile), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String(dynamo.AttrPK),
	})
	if err != nil {
		return false, fmt.Errorf("get profile: %w", err)
	}
	return out.Item != nil, nil
}

// MemberEvent implements provisioning.Store: writes an event about a member with the outbox
// messages it comes with (a password reset: the email), on condition that the member is still
// there with the role read, the member's account was created by the org, the actor still
// holds their role and the org's custom roles are as read (the outrank rule judged on both:
// orgs.Access.MayActOn).
func (s *Store) MemberEvent(ctx context.Context, actor orgs.Acting, m orgs.Member, ev audit.Event, msgs []outbox.Message, budget *ratelimit.Use) error {
	t := s.Txn()
	t.Check(dynamo.Key(dynamo.OrgPK(m.OrgID), dynamo.MemberSK(m.UserID)), dynamo.Attr("role").Equal(dynamo.Val(string(m.Role))), orgs.ErrMemberChanged)
	orgsdb.CreatedBy(t, m.OrgID, m.UserID)
	if actor.Member.UserID != "" && actor.Member.UserID != m.UserID {
		orgsdb.ActorAsRead(t, m.OrgID, actor, orgsdb.OrgChange{})
	}
	t.Event(ev)
	t.Outbox(ev.OccurredAt, msgs...)
	if budget != nil {
		t.Limit(*budget)
	}
	return t.Run(ctx, s.Client)
}
