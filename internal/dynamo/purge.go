package dynamo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
	pkPurgeDays = "PURGE"
	skPurgeDay  = "DAY#"
	// purgeDaysPerRun bounds the days one run looks at; the oldest go first, the rest wait.
	purgeDaysPerRun = 10
	// purgeLookbackDays: the days before the due day that a run also looks at whether or not
	// they are indexed, for orgs deleted before the index existed.
	purgeLookbackDays = 7
)

type purgeDayItem struct {
	keys
	Day string `dynamodbav:"day"`
}

// purgeDay adds the index item of the day of a deletion at at.
func (t *txn) purgeDay(at time.Time) {
	day := at.UTC().Format(time.DateOnly)
	t.put(purgeDayItem{keys: keys{PK: pkPurgeDays, SK: skPurgeDay + day}, Day: day}, expression.ConditionBuilder{}, nil)
}

// DeletedOrgsDue implements orgs.Store: the orgs deleted before cutoff, found through the
// deletion marker's day shards on GSI3, the days taken from the purge's index, oldest first
// (only what is due is read; nothing is scanned). A day wholly before cutoff whose shard is
// empty leaves the index.
func (s *Store) DeletedOrgsDue(ctx context.Context, cutoff time.Time, max int) ([]string, error) {
	cutoffDay := cutoff.UTC().Format(time.DateOnly)
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :first AND :last"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: pkPurgeDays},
			":first": &types.AttributeValueMemberS{Value: skPurgeDay},
			":last":  &types.AttributeValueMemberS{Value: skPurgeDay + cutoffDay},
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(purgeDaysPerRun),
	})
	if err != nil {
		return nil, fmt.Errorf("query purge days: %w", err)
	}
	indexed := map[string]bool{}
	var days []string
	for _, av := range out.Items {
		var it purgeDayItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, err
		}
		indexed[it.Day] = true
		days = append(days, it.Day)
	}
	for d := purgeLookbackDays; d >= 0; d-- {
		if day := cutoff.AddDate(0, 0, -d).UTC().Format(time.DateOnly); !indexed[day] {
			days = append(days, day)
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)

	var ids []string
	for _, day := range days {
		if len(ids) >= max {
			break
		}
		at, _ := time.Parse(time.DateOnly, day)
		out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.Table),
			IndexName:              aws.String(IndexGSI3),
			KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK < :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: purgeShard(at)},
				":cutoff": &types.AttributeValueMemberS{Value: sortTime(cutoff)},
			},
			Limit: aws.Int32(int32(max - len(ids))),
		})
		if err != nil {
			return nil, fmt.Errorf("query deleted orgs: %w", err)
		}
		if len(out.Items) == 0 && indexed[day] && day < cutoffDay {
			// Nothing left of that day, and no deletion can land on it any more.
			if _, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(s.Table), Key: key(pkPurgeDays, skPurgeDay+day),
			}); err != nil {
				return nil, fmt.Errorf("delete purge day %s: %w", day, err)
			}
		}
		for _, av := range out.Items {
			var it orgItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			ids = append(ids, it.ID)
		}
	}
	return ids, nil
}

// PurgeOrg implements orgs.Store: it deletes up to budget items of a deleted org — its
// members (both sides), everything else in its partition, its events — and the org item, the
// marker, last. It reports whether the org is gone; a later run resumes where this one ended.
func (s *Store) PurgeOrg(ctx context.Context, orgID string, budget int) (bool, error) {
	var doomed []map[string]types.AttributeValue
	seen := map[string]bool{}
	add := func(pk, sk string) {
		if !seen[pk+"\x00"+sk] {
			seen[pk+"\x00"+sk] = true
			doomed = append(doomed, key(pk, sk))
		}
	}
	for _, pk := range []string{eventPK(orgID), orgPK(orgID)} {
		p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
			ProjectionExpression:      aws.String("PK, SK, userId"),
		})
		for p.HasMorePages() && len(doomed) < budget {
			page, err := p.NextPage(ctx)
			if err != nil {
				return false, fmt.Errorf("query org %s: %w", orgID, err)
			}
			for _, av := range page.Items {
				var it struct {
					PK, SK string
					UserID string `dynamodbav:"userId"`
				}
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return false, err
				}
				if it.SK == skMeta {
					continue
				}
				if it.UserID != "" && it.PK == orgPK(orgID) {
					add(userPK(it.UserID), userOrgSK(orgID))
				}
				add(it.PK, it.SK)
			}
		}
	}
	done := len(doomed) < budget
	if done {
		add(orgPK(orgID), skMeta)
	}
	return done, s.batchDelete(ctx, doomed)
}

// batchDelete deletes keys 25 at a time, retrying what the service leaves unprocessed.
func (s *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
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
