package dynamo

import (
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/orgs"
)

// maxTxnItems is DynamoDB's limit on the items of one transaction; maxCopyItems is the most
// items one membership's copy adds (memberIdentity).
const (
	MaxTxnItems  = 100
	MaxCopyItems = 5
)

var (
	ErrProfileChanged    = apperr.New(apperr.Conflict, "your profile was changed meanwhile; reload and try again")
	ErrMembershipChanged = orgs.ErrAccountJoined
)

// The tombstone of a deleted account: USER#<userId> / DELETED, for as long as the user's
// tokens may still be valid.
const (
	SkDeleted    = "DELETED"
	TombstoneTTL = 48 * time.Hour
)
