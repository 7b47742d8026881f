package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	Keys
	Day string `dynamodbav:"day"`
}

// purgeDay adds the index item of the day of a deletion at at.
func (t *Txn) PurgeDay(at time.Time) {
	day := at.UTC().Format(time.DateOnly)
	t.Put(PurgeDayItem{Keys: Keys{PK: PkPurgeDays, SK: SkPurgeDay + day}, Day: day}, expression.ConditionBuilder{}, nil)
}

// batchDelete deletes keys 25 at a time, retrying what the service leaves unprocessed.
func (s *Store) BatchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for start := 0; start < len(keys); start += 25 {
		var reqs []types.WriteRequest
		for _, k := range keys[start:min(start+25, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		pending := map[string][]types.WriteRequest{s.Table: reqs}
		for len(pending) > 0 {
			out, err := s.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("batch delete: %w", err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
