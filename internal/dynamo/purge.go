package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// purgeLookbackDays is how many day shards before the due day the job still looks at, so
// that a job that did not run for a while catches up.
const purgeLookbackDays = 7

// DeletedOrgsDue implements orgs.Store: the orgs deleted before cutoff, found through the
// deletion marker's day shards on GSI3 (only what is due is read; nothing is scanned).
func (s *Store) DeletedOrgsDue(ctx context.Context, cutoff time.Time, max int) ([]string, error) {
	var ids []string
	for d := purgeLookbackDays; d >= 0 && len(ids) < max; d-- {
		day := cutoff.AddDate(0, 0, -d)
		out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.Table),
			IndexName:              aws.String(IndexGSI3),
			KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK < :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: purgeShard(day)},
				":cutoff": &types.AttributeValueMemberS{Value: sortTime(cutoff)},
			},
			Limit: aws.Int32(int32(max - len(ids))),
		})
		if err != nil {
			return nil, fmt.Errorf("query deleted orgs: %w", err)
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
