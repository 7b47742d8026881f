package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The licensing items (package licensing):
//
//	CATALOG            PRODUCT#<productId>   a catalog product: the whole catalog is one Query
//	                                         of one partition (public products for entitlements)
//	ORG#<orgId>        LICENSE#<licenseId>   a license. Every license of an org is one Query:
//	                                         PK = ORG#<orgId>, begins_with(SK, "LICENSE#").
//	                                         Copied from the catalog: productName, availability.
//	                                         Times: startsAt, endsAt (absent = no end), revokedAt,
//	                                         expiredAt (the job's record), dueAt: fixed-width
//	                                         sortTime strings. nodeLimit, seatLimit: numbers,
//	                                         absent = unlimited (seatLimit absent = every member
//	                                         with products.access). seatHolders: string set of
//	                                         the user ids holding a seat (absent when none),
//	                                         seatsUsed its size: "does user U hold a seat" is
//	                                         contains(seatHolders, U) on the item itself.
//	                                         version: bumped by every change but seats.
//	                                         GSI3, while something is due: DUE#LICENSE#<yyyy-mm-dd>
//	                                           / <dueAt>#<orgId>#<licenseId>
//	ORG#<orgId>        SEAT#<licenseId>#<userId>  a seat (userId, email, assignedAt), written in
//	                                         the transaction that adds userId to seatHolders
//	ORG#<orgId>        TRIAL#<productId>     the guard: one trial per product per org, ever,
//	                                         with the Master Service Agreement's acceptance
//	ORG#<orgId>        MEMBER#<userId>       (items.go) carries seatLicenses, the string set of
//	USER#<userId>      ORG#<orgId>             the licenses where the member holds a seat, on
//	                                         both sides: a removal frees them without a read
//	JOB#LICENSES       WATERMARK             the first day shard of the due index that may still
//	                                         hold something due (day: yyyy-mm-dd)
//
// Every seat change updates the license item, the seat item and both sides of the membership
// in one transaction; the license's update holds only while seatsUsed < seatLimit, so
// concurrent assigns can never pass the limit.
const (
	CatalogPK        = "CATALOG"
	SkProductPrefix  = "PRODUCT#"
	SkLicensePrefix  = "LICENSE#"
	skSeatPrefix     = "SEAT#"
	SkTrialPrefix    = "TRIAL#"
	LicenseJobPK     = "JOB#LICENSES"
	SkWatermark      = "WATERMARK"
	LicenseDuePrefix = "DUE#LICENSE#"
)

func LicenseSK(id string) string             { return SkLicensePrefix + id }
func SeatPrefix(licenseID string) string     { return skSeatPrefix + licenseID + "#" }
func SeatSK(licenseID, userID string) string { return SeatPrefix(licenseID) + userID }

// GetAs reads the item pk/sk, an I, consistently and returns what to makes of it; absent when
// there is none.
func GetAs[I, V any](ctx context.Context, s *Store, pk, sk string, to func(I) V, absent error) (V, error) {
	var zero V
	av, err := s.GetItem(ctx, pk, sk)
	if err != nil {
		return zero, err
	}
	v, err := DecodeAs(sk, av, to)
	switch {
	case err != nil:
		return zero, err
	case v == nil:
		return zero, absent
	}
	return *v, nil
}

// GetItem reads one item, consistently; nil when there is none.
func (s *Store) GetItem(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: Key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	return out.Item, nil
}
