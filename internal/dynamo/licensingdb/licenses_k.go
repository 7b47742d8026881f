package licensingdb

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
)

// SeatSet is a one-element string set.
func SeatSet(v string) expression.ValueBuilder {
	return expression.Value(&types.AttributeValueMemberSS{Value: []string{v}})
}

// SeatsAsRead holds while the member item's seats are as many as read, so that a removal frees
// every seat the member holds (a seat given meanwhile fails the removal: try again).
func SeatsAsRead(seats []string) expression.ConditionBuilder {
	if len(seats) == 0 {
		return expression.AttributeNotExists(dynamo.Attr("seatLicenses"))
	}
	return expression.Size(dynamo.Attr("seatLicenses")).Equal(dynamo.Val(len(seats)))
}

// FreeSeats adds to a removal of m what frees m's seats: each seat item, m's place in each
// license's holders and in the org's license summary. At MaxSeatsPerMember seats that is
// 2×40 + 1 items, which leaves a removal's other items room under the 100 a transaction holds.
func FreeSeats(t *dynamo.Txn, orgID string, m orgs.Member) {
	t.SummarizeSeatsFreed(orgID, m.UserID, m.Seats)
	for _, lic := range m.Seats {
		t.Delete(dynamo.Key(dynamo.OrgPK(orgID), dynamo.SeatSK(lic, m.UserID)), expression.ConditionBuilder{}, nil)
		t.Update(dynamo.Key(dynamo.OrgPK(orgID), dynamo.LicenseSK(lic)),
			expression.Delete(dynamo.Attr("seatHolders"), SeatSet(m.UserID)).Add(dynamo.Attr("seatsUsed"), dynamo.Val(-1)),
			expression.Contains(dynamo.Attr("seatHolders"), m.UserID), orgs.ErrMemberChanged)
	}
}
