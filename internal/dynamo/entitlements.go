package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// What a tool's sign-in reads of the licensing, by key, in its one BatchGetItem:
//
//	ORG#<orgId>  LICENSES    the org's license summary: per license an attribute
//	                         lic_<licenseId> (a map: productId, productName, type, startsAt,
//	                         endsAt, nodeLimit, seatLimit, revoked) and, while it has seats
//	                         held, seats_<licenseId> (the string set of the holders' user ids)
//	CATALOG      PUBLIC      the public products: per product an attribute pub_<productId>
//	                         holding its name
//
// One attribute per license, seat set or product, so that each licensing write keeps the
// summary in step with one more item in its own transaction, without reading it first:
// summarizeLicense on a grant, trial, change or revocation (GrantLicense, StartTrial,
// UpdateLicense); summarizeSeat on a seat assigned or released (a top-level string set, which
// ADD and DELETE change); summarizeSeatsFreed where a removal or suspension frees a member's
// seats (freeSeats); summarizeProduct on a catalog write (PutProduct). The job's expiry
// changes nothing here: a license's status is computed at read time from its dates. Like the
// license item, the summary keeps the product name the license was granted with. An item
// stays well under 400 KB up to about ten thousand seats.
const (
	SkLicenses      = "LICENSES"
	PublicCatalogPK = "CATALOG"
	SkPublicCatalog = "PUBLIC"
	AttrLicense     = "lic_"
	AttrSeats       = "seats_"
	AttrPublic      = "pub_"
)

func SummaryKey(orgID string) map[string]types.AttributeValue { return Key(OrgPK(orgID), SkLicenses) }

// SummarizeSeatsFreed records in the org's summary that userID holds no seat of the licenses
// any more: one update of the item for them all, since a transaction may touch it only once.
func (t *Txn) SummarizeSeatsFreed(orgID, userID string, licenseIDs []string) {
	if len(licenseIDs) == 0 {
		return
	}
	set := &types.AttributeValueMemberSS{Value: []string{userID}}
	var upd expression.UpdateBuilder
	for _, lic := range licenseIDs {
		upd = upd.Delete(Attr(AttrSeats+lic), expression.Value(set))
	}
	t.Update(SummaryKey(orgID), upd, expression.ConditionBuilder{}, nil)
}
