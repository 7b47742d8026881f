package orgsdb

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// searchItem is a copy of a membership under another key, for search.
type searchItem struct {
	dynamo.MemberItem
	SearchBy string `dynamodbav:"searchBy"`
}

func newNameEntry(m orgs.Member) searchItem {
	it := searchItem{MemberItem: dynamo.NewMemberItem(m), SearchBy: dynamo.SearchByName}
	sortKey := strings.ToLower(m.Name) + "#" + m.UserID
	it.Keys = dynamo.Keys{
		PK: dynamo.OrgPK(m.OrgID), SK: dynamo.SkNameEntry + m.UserID,
		GSI2PK: dynamo.MemberSearchRolePK(m.OrgID, m.Role), GSI2SK: sortKey,
		GSI3PK: dynamo.MemberSearchPK(m.OrgID), GSI3SK: sortKey,
	}
	return it
}

func newEmailEntry(m orgs.Member) searchItem {
	it := searchItem{MemberItem: dynamo.NewMemberItem(m), SearchBy: dynamo.SearchByEmail}
	it.Keys = dynamo.Keys{
		PK: dynamo.OrgPK(m.OrgID), SK: dynamo.SkEmailEntry + m.UserID,
		GSI2PK: dynamo.MemberSearchRolePK(m.OrgID, m.Role), GSI2SK: strings.ToLower(m.Email) + "#" + m.UserID,
	}
	return it
}

// EmailGuardItem records that an address is a member's, so that a write can check in its
// own transaction that an invitee is not a member yet. It also carries the member's role and
// status, kept in step with the member item by every write that changes them, so that a tool's
// sign-in (email + org token) finds the member by address in its one read.
//
// TokensSince (orgs.Member.TokensSince) is there for the same sign-in: a personal token made
// before it no longer signs in. A new guard takes it from the membership (its JoinedAt when it
// has none), so that a member who leaves and comes back, or whose address changes, starts with
// no live token.
type EmailGuardItem struct {
	dynamo.Keys
	UserID      string    `dynamodbav:"userId"`
	Role        string    `dynamodbav:"role"`
	Status      string    `dynamodbav:"status,omitempty"`
	TokensSince time.Time `dynamodbav:"tokensSince,omitempty"`
}

func NewEmailGuardItem(m orgs.Member) EmailGuardItem {
	since := m.TokensSince
	if since.IsZero() {
		since = m.JoinedAt
	}
	return EmailGuardItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(m.OrgID), SK: dynamo.EmailGuardSK(m.Email)}, UserID: m.UserID, Role: string(m.Role), Status: string(m.Status),
		TokensSince: since}
}

// MemberEntries adds what goes with every membership besides its two sides: the search
// entries and the email guard (ifTaken when another member has the address).
func MemberEntries(t *dynamo.Txn, m orgs.Member, ifTaken error) {
	t.Put(newNameEntry(m), expression.ConditionBuilder{}, nil)
	t.Put(newEmailEntry(m), expression.ConditionBuilder{}, nil)
	t.PutNew(NewEmailGuardItem(m), ifTaken)
}
