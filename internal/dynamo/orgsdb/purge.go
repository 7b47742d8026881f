package orgsdb

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/vendorportal/orgs/internal/dynamo"
)

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
			":pk":    &types.AttributeValueMemberS{Value: PkPurgeDays},
			":first": &types.AttributeValueMemberS{Value: SkPurgeDay},
			":last":  &types.AttributeValueMemberS{Value: SkPurgeDay + cutoffDay},
		},
		ConsistentRead: aws.Bool(true),
		Limit:          aws.Int32(PurgeDaysPerRun),
	})
	if err != nil {
		return nil, fmt.Errorf("query purge days: %w", err)
	}
	indexed := map[string]bool{}
	var days []string
	for _, av := range out.Items {
		var it PurgeDayItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, err
		}
		indexed[it.Day] = true
		days = append(days, it.Day)
	}
	for d := PurgeLookbackDays; d >= 0; d-- {
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
			IndexName:              aws.String(dynamo.IndexGSI3),
			KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK < :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: PurgeShard(at)},
				":cutoff": &types.AttributeValueMemberS{Value: dynamo.SortTime(cutoff)},
			},
			Limit: aws.Int32(int32(max - len(ids))),
		})
		if err != nil {
			return nil, fmt.Errorf("query deleted orgs: %w", err)
		}
		if len(out.Items) == 0 && indexed[day] && day < cutoffDay {
			// Nothing left of that day, and no deletion can land on it any more.
			if _, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(s.Table), Key: dynamo.Key(PkPurgeDays, SkPurgeDay+day),
			}); err != nil {
				return nil, fmt.Errorf("delete purge day %s: %w", day, err)
			}
		}
		for _, av := range out.Items {
			var it OrgItem
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
			doomed = append(doomed, dynamo.Key(pk, sk))
		}
	}
	for _, pk := range []string{dynamo.EventPK(orgID), dynamo.OrgPK(orgID)} {
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
				if it.SK == dynamo.SkMeta {
					continue
				}
				if it.UserID != "" && it.PK == dynamo.OrgPK(orgID) {
					add(dynamo.UserPK(it.UserID), dynamo.UserOrgSK(orgID))
				}
				add(it.PK, it.SK)
			}
		}
	}
	done := len(doomed) < budget
	if done {
		add(dynamo.OrgPK(orgID), dynamo.SkMeta)
	}
	return done, s.BatchDelete(ctx, doomed)
}
