package dynamo

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Member search. A member list is always one Query of one index partition, whatever the
// filter, so that a page costs the same in an org of ten members or of a million:
//
//	no filter        GSI1 ORG#<org>#M            the member items, by email
//	role             GSI2 ORG#<org>#M#<role>     the member items, by email
//	q                GSI3 ORG#<org>#MS           the member items (by email) and the name
//	                                             entries (by name), one sorted range
//	role and q       GSI2 ORG#<org>#MS#<role>    the email and the name entries of the role
//
// A search is begins_with(q) on the sort key, so the email and the name matches come back
// merged in one ordered range; a member whose email and name both match is there twice, and
// a filter drops the name entry of a member whose email matches too. The entries are full
// copies of the membership, so a page needs no second read.
const (
	SkNameEntry  = "MSEARCH#NAME#"
	SkEmailEntry = "MSEARCH#EMAIL#"
	SkEmailGuard = "EMAIL#"
	// searchByName marks the name entries, which the search filter looks at.
	SearchByName  = "name"
	searchByEmail = "email"
)

func MemberSearchPK(orgID string) string                   { return OrgPK(orgID) + "#MS" }
func MemberRolePK(orgID string, r roles.Role) string       { return OrgPK(orgID) + "#M#" + string(r) }
func MemberSearchRolePK(orgID string, r roles.Role) string { return OrgPK(orgID) + "#MS#" + string(r) }
func EmailGuardSK(email string) string                     { return SkEmailGuard + strings.ToLower(email) }

// searchItem is a copy of a membership under another key, for search.
type searchItem struct {
	MemberItem
	SearchBy string `dynamodbav:"searchBy"`
}

func newNameEntry(m orgs.Member) searchItem {
	it := searchItem{MemberItem: NewMemberItem(m), SearchBy: SearchByName}
	sortKey := strings.ToLower(m.Name) + "#" + m.UserID
	it.Keys = Keys{
		PK: OrgPK(m.OrgID), SK: SkNameEntry + m.UserID,
		GSI2PK: MemberSearchRolePK(m.OrgID, m.Role), GSI2SK: sortKey,
		GSI3PK: MemberSearchPK(m.OrgID), GSI3SK: sortKey,
	}
	return it
}

func newEmailEntry(m orgs.Member) searchItem {
	it := searchItem{MemberItem: NewMemberItem(m), SearchBy: searchByEmail}
	it.Keys = Keys{
		PK: OrgPK(m.OrgID), SK: SkEmailEntry + m.UserID,
		GSI2PK: MemberSearchRolePK(m.OrgID, m.Role), GSI2SK: strings.ToLower(m.Email) + "#" + m.UserID,
	}
	return it
}

// emailGuardItem records that an address is a member's, so that a write can check in its
// own transaction that an invitee is not a member yet. It also carries the member's role and
// status, kept in step with the member item by every write that changes them, so that a tool's
// sign-in (email + org token) finds the member by address in its one read.
//
// TokensSince (orgs.Member.TokensSince) is there for the same sign-in: a personal token made
// before it no longer signs in. A new guard takes it from the membership (its JoinedAt when it
// has none), so that a member who leaves and comes back, or whose address changes, starts with
// no live token.
type EmailGuardItem struct {
	Keys
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
	return EmailGuardItem{Keys: Keys{PK: OrgPK(m.OrgID), SK: EmailGuardSK(m.Email)}, UserID: m.UserID, Role: string(m.Role), Status: string(m.Status),
		TokensSince: since}
}

// memberEntries adds what goes with every membership besides its two sides: the search
// entries and the email guard (ifTaken when another member has the address).
func (t *Txn) MemberEntries(m orgs.Member, ifTaken error) {
	t.Put(newNameEntry(m), expression.ConditionBuilder{}, nil)
	t.Put(newEmailEntry(m), expression.ConditionBuilder{}, nil)
	t.PutNew(NewEmailGuardItem(m), ifTaken)
}

// statusIs holds while the member item's status is s (absent or "active" being active).
func StatusIs(s orgs.Status) expression.ConditionBuilder {
	if s == orgs.StatusSuspended {
		return Attr("status").Equal(Val(string(orgs.StatusSuspended)))
	}
	return expression.AttributeNotExists(Attr("status")).Or(Attr("status").NotEqual(Val(string(orgs.StatusSuspended))))
}

// orgLive holds while the org exists and is not deleted. A live org's deletedAt is absent or
// the zero time (which is how the org item stores "not deleted").
func OrgLive() expression.ConditionBuilder {
	return Exists().And(expression.AttributeNotExists(Attr("deletedAt")).Or(Attr("deletedAt").Equal(Val(time.Time{}))))
}
