package orgsdb

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/vendorportal/orgs/internal/apperr"
)

// errOrgChanged: the org is no longer what the caller saw.
var ErrOrgChanged = apperr.New(apperr.Conflict, "the organization was changed or deleted meanwhile; reload and try again")

// OwnedBy is the condition that a handle guard belongs to the org.
func OwnedBy(orgID string) expression.ConditionBuilder {
	return expression.Name("orgId").Equal(expression.Value(orgID))
}

// PurgeShard is the GSI3 partition of the orgs deleted on day at.
func PurgeShard(at time.Time) string { return "PURGE#" + at.UTC().Format(time.DateOnly) }
