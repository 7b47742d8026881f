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
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// Provisioning's items:
//
//	ORG#<orgId>       META      the org item also holds autoJoin, userProperties (the
//	                            definitions) and domains (each with its TXT value and, while a
//	                            code is under way, the code's MAC and tries left): small, and
//	                            read by the authorization step with the org
//	DOMAIN#<domain>   DOMAIN    the guard: the domain is verified by this org (→ orgId); one
//	                            org per verified domain, and what /v1/me/suggested-orgs and
//	                            /join look up (a GetItem by the caller's email domain)
//	ORG#<orgId>       IMPORT#<importId>         an import job: its counters and status
//	ORG#<orgId>       IMPORT#<importId>#ROW#<n> one row's outcome (written with the row's member)
const (
	skDomain    = "DOMAIN"
	skImport    = "IMPORT#"
	skImportRow = "#ROW#"
)

func domainPK(d string) string { return "DOMAIN#" + d }

var _ provisioning.Store = (*Store)(nil)

type userPropertyItem struct {
	Key      string `dynamodbav:"key"`
	Label    string `dynamodbav:"label"`
	Type     string `dynamodbav:"type"`
	Required bool   `dynamodbav:"required"`
}

type domainItem struct {
	Name          string    `dynamodbav:"name"`
	Status        string    `dynamodbav:"status"`
	Primary       bool      `dynamodbav:"primary"`
	VerifiedBy    string    `dynamodbav:"verifiedBy,omitempty"`
	TXTValue      string    `dynamodbav:"txt"`
	CreatedAt     time.Time `dynamodbav:"createdAt"`
	VerifiedAt    time.Time `dynamodbav:"verifiedAt,omitempty"`
	CodeHash      string    `dynamodbav:"codeHash,omitempty"`
	CodeExpiresAt time.Time `dynamodbav:"codeExpiresAt,omitempty"`
	CodeTries     int       `dynamodbav:"codeTries,omitempty"`
}

// provisioning copies provisioning's settings of o onto the org item.
func (it *orgItem) provisioning(o orgs.Org) {
	if o.AutoJoin != "" && o.AutoJoin != orgs.AutoJoinOff {
		it.AutoJoin = string(o.AutoJoin)
	}
	for _, p := range o.UserProperties {
		it.UserProperties = append(it.UserProperties, userPropertyItem{Key: p.Key, Label: p.Label, Type: string(p.Type), Required: p.Required})
	}
	for _, d := range o.Domains {
		it.Domains = append(it.Domains, domainItem{
			Name: d.Name, Status: string(d.Status), Primary: d.Primary, VerifiedBy: d.VerifiedBy, TXTValue: d.TXTValue,
			CreatedAt: d.CreatedAt, VerifiedAt: d.VerifiedAt,
			CodeHash: d.CodeHash, CodeExpiresAt: d.CodeExpiresAt, CodeTries: d.CodeTries,
		})
	}
}

// provisioningOf reads provisioning's settings from the org item into o.
func (it orgItem) provisioningOf(o *orgs.Org) {
	o.AutoJoin = orgs.AutoJoin(it.AutoJoin).Or()
	for _, p := range it.UserProperties {
		o.UserProperties = append(o.UserProperties, orgs.UserProperty{Key: p.Key, Label: p.Label, Type: orgs.PropertyType(p.Type), Required: p.Required})
	}
	for _, d := range it.Domains {
		by := d.VerifiedBy
		if d.Status == string(orgs.DomainVerified) && by == "" {
			// Verified before the method was recorded: nothing proves it was DNS.
			by = orgs.VerifiedByEmail
		}
		o.Domains = append(o.Domains, orgs.Domain{
			Name: d.Name, Status: orgs.DomainStatus(d.Status), Primary: d.Primary, VerifiedBy: by, TXTValue: d.TXTValue,
			CreatedAt: d.CreatedAt, VerifiedAt: d.VerifiedAt,
			CodeHash: d.CodeHash, CodeExpiresAt: d.CodeExpiresAt, CodeTries: d.CodeTries,
		})
	}
}

type domainGuardItem struct {
	keys
	OrgID  string `dynamodbav:"orgId"`
	Domain string `dynamodbav:"domain"`
}

// errProvisioningChanged: the org's settings are no longer what the caller read.
var errProvisioningChanged = apperr.New(apperr.Conflict, "the organization's settings were changed meanwhile; reload and try again")

// SaveOrg implements provisioning.Store.
func (s *Store) SaveOrg(ctx context.Context, w provisioning.OrgWrite) error {
	t := s.txn()
	if !t.updateDiff(newOrgItem(w.Before), newOrgItem(w.After), orgLive(), errProvisioningChanged) {
		return nil
	}
	switch guard := (domainGuardItem{keys: keys{PK: domainPK(w.Claim), SK: skDomain}, OrgID: w.After.ID, Domain: w.Claim}); {
	case w.Claim != "" && w.Take != nil:
		// The guard passes from the org that loses the domain, with that org's change.
		t.put(guard, ownedBy(w.Take.Before.ID), errProvisioningChanged)
		t.updateDiff(newOrgItem(w.Take.Before), newOrgItem(w.Take.After), expression.ConditionBuilder{}, errProvisioningChanged)
		t.putNew(newEventItem(w.Take.Event), fmt.Errorf("event %s already written", w.Take.Event.ID))
		t.outbox(w.Take.Event.OccurredAt, w.Take.Outbox...)
	case w.Claim != "":
		t.putNew(guard, provisioning.ErrDomainTaken)
	}
	if w.Release != "" {
		t.delete(key(domainPK(w.Release), skDomain), absent().Or(ownedBy(w.After.ID)), errProvisioningChanged)
	}
	if w.Actor.UserID != "" {
		t.memberStill(w.After.ID, w.Actor)
	}
	if w.Event != nil {
		t.event(*w.Event)
	}
	t.outbox(time.Now(), w.Outbox...)
	if w.Budget != nil {
		t.limit(*w.Budget)
	}
	return t.run(ctx, s.Client)
}

// DomainOwner implements provisioning.Store: one GetItem of the domain's guard.
func (s *Store) DomainOwner(ctx context.Context, domain string) (string, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(domainPK(domain), skDomain), ConsistentRead: aws.Bool(true),
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
		key(orgPK(orgID), skMeta), key(orgPK(orgID), memberSK(userID)),
		key(userPK(userID), skProfile), key(userPK(userID), skDeleted),
	}
	if domain != "" {
		ks = append(ks, key(domainPK(domain), skDomain))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return provisioning.JoinContext{}, err
	}
	var jc provisioning.JoinContext
	deleted := false
	for _, av := range items {
		var k keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return jc, err
		}
		switch {
		case k.SK == skMeta:
			var it orgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return jc, err
			}
			o := it.org()
			jc.Org = &o
		case k.SK == skProfile:
			var it profileItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return jc, err
			}
			p := it.profile()
			jc.Profile = &p
		case k.SK == skDeleted:
			deleted = true
		case k.SK == skDomain:
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
	t := s.txn()
	t.addMember(w)
	return t.run(ctx, s.Client)
}

// addMember adds the items of a new membership (membership: with the account when it is
// new, else on condition that it exists, ErrNoProfile), the counters, the acting member's
// role, the event and the outbox messages.
func (t *txn) addMember(w provisioning.MemberWrite) {
	m := w.Member
	t.membership(m, orgs.Shared, w.Account, provisioning.ErrNoProfile, orgs.ErrAlreadyMember)
	// The org's counters, its role's holder count, and (for a custom role) the roles as read.
	org := orgChange{shared: true, roles: w.Roles}
	org.give(m, +1)
	t.orgItem(m.OrgID, org)
	if m.ExternalID != "" {
		// SCIM's hint from the identity provider's id to the member (dynamo/scim.go), so that
		// a filter by externalId finds a member created with one.
		t.put(extIDItem{keys: keys{PK: orgPK(m.OrgID), SK: skExtID + m.ExternalID}, UserID: m.UserID}, expression.ConditionBuilder{}, nil)
	}
	if w.Actor.UserID != "" && w.Actor.UserID != m.UserID {
		t.memberStill(m.OrgID, w.Actor)
	}
	t.event(w.Event)
	t.outbox(w.Event.OccurredAt, w.Outbox...)
	if w.Budget != nil {
		t.limit(*w.Budget)
	}
}

// createdBy makes the write hold only while the user's account records orgID as the org
// that created it (orgs.Profile.CreatedByOrg): the provisioned-member rule, decided in the
// transaction that acts on the member's sign-in or details.
func (t *txn) createdBy(orgID, userID string) {
	t.check(key(userPK(userID), skProfile), attr("createdByOrg").Equal(val(orgID)), orgs.ErrNotProvisioned)
}

// HasProfile implements provisioning.Store: one GetItem.
func (s *Store) HasProfile(ctx context.Context, userID string) (bool, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(userPK(userID), skProfile), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String(attrPK),
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
	t := s.txn()
	t.check(key(orgPK(m.OrgID), memberSK(m.UserID)), attr("role").Equal(val(string(m.Role))), orgs.ErrMemberChanged)
	t.createdBy(m.OrgID, m.UserID)
	if actor.Member.UserID != "" && actor.Member.UserID != m.UserID {
		t.actorAsRead(m.OrgID, actor, orgChange{})
	}
	t.event(ev)
	t.outbox(ev.OccurredAt, msgs...)
	if budget != nil {
		t.limit(*budget)
	}
	return t.run(ctx, s.Client)
}
