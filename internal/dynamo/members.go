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
	SearchByEmail = "email"
)

func MemberSearchPK(orgID string) string                   { return OrgPK(orgID) + "#MS" }
func MemberRolePK(orgID string, r roles.Role) string       { return OrgPK(orgID) + "#M#" + string(r) }
func MemberSearchRolePK(orgID string, r roles.Role) string { return OrgPK(orgID) + "#MS#" + string(r) }
func EmailGuardSK(email string) string                     { return SkEmailGuard + strings.ToLower(email) }

// StatusIs holds while the member item's status is s (absent or "active" being active).
func StatusIs(s orgs.Status) expression.ConditionBuilder {
	if s == orgs.StatusSuspended {
		return Attr("status").Equal(Val(string(orgs.StatusSuspended)))
	}
	return expression.AttributeNotExists(Attr("status")).Or(Attr("status").NotEqual(Val(string(orgs.StatusSuspended))))
}

// OrgLive holds while the org exists and is not deleted. A live org's deletedAt is absent or
// the zero time (which is how the org item stores "not deleted").
func OrgLive() expression.ConditionBuilder {
	return Exists().And(expression.AttributeNotExists(Attr("deletedAt")).Or(Attr("deletedAt").Equal(Val(time.Time{}))))
}
