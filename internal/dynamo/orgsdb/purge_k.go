package orgsdb

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/vendorportal/orgs/internal/dynamo"
)

// The purge's index of days: PURGE / DAY#<yyyy-mm-dd>, one item per day on which an org was
// deleted, written in the deletion's transaction (every deletion of that day puts the same
// item) and removed by the job once that day's GSI3 shard is empty and wholly due. The job
// reads it oldest day first, so an org is purged however late the job runs (a fixed look-back
// would lose the deletions older than it), and what a run reads grows with the days that
// still hold due deletions, not with the days elapsed or the size of the table.
const (
	PkPurgeDays = "PURGE"
	SkPurgeDay  = "DAY#"
	// purgeDaysPerRun bounds the days one run looks at; the oldest go first, the rest wait.
	PurgeDaysPerRun = 10
	// purgeLookbackDays: the days before the due day that a run also looks at whether or not
	// they are indexed, for orgs deleted before the index existed.
	PurgeLookbackDays = 7
)

type PurgeDayItem struct {
	dynamo.Keys
	Day string `dynamodbav:"day"`
}

// PurgeDay adds the index item of the day of a deletion at at.
func PurgeDay(t *dynamo.Txn, at time.Time) {
	day := at.UTC().Format(time.DateOnly)
	t.Put(PurgeDayItem{Keys: dynamo.Keys{PK: PkPurgeDays, SK: SkPurgeDay + day}, Day: day}, expression.ConditionBuilder{}, nil)
}
