package dynamo

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
)

// Rate-limit counters: one item per key and fixed window, added to in the transaction of the
// change it counts, on condition that it stays within the limit; TTL removes it after the window.
//
//	ORG#<orgId>  SIGNINFAIL#<email>#<minute>   a tool's refused sign-ins for one email in one
//	                                           minute (RFC 3339, to the minute)
//
// (A minimal counter for the failed tool sign-ins; the general counters of the reliability
// work may replace it.)
const skFailure = "SIGNINFAIL#"

type counterItem struct {
	keys
	Count int `dynamodbav:"count"`
}

func failureKey(orgID, email string, minute time.Time) map[string]types.AttributeValue {
	return key(orgPK(orgID), skFailure+strings.ToLower(email)+"#"+minute.UTC().Format("2006-01-02T15:04Z"))
}

// failure adds one to the email's refused sign-ins of the minute, while it stays at most
// limit (a RateLimited error otherwise).
func (t *txn) failure(orgID, email string, minute time.Time, limit int) {
	t.update(failureKey(orgID, email, minute),
		expression.Add(attr("count"), val(1)).Set(attr("ttl"), val(minute.Add(2*time.Minute).Unix())),
		expression.AttributeNotExists(attr("count")).Or(attr("count").LessThan(val(limit))),
		apperr.New(apperr.RateLimited, "too many failed sign-ins for this email; try again in a minute"))
}
