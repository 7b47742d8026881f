package orgsdb

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
	"github.com/vendorportal/orgs/internal/dynamo"
)

// DeletedOrgsDue implements orgs.Store: the orgs deleted before cutoff, found through the
// deletion marker's day shards on GSI3, the days taken from the purge's index, oldest first
// (only what is due is read; nothing is scanned). A day wholly before cutoff whose shard is
// empty leaves the index.
func (s *Store) DeletedOrgsDue(ctx context.Context, cutoff time.Time, max int) ([]string, error) {
	cutoffDay := cutoff.UTC().Format(time.DateOnly)
	dq := dynamo.Query{
		What: "purge days", Key: dynamo.KeyIs(dynamo.AttrPK, PkPurgeDays).And(expression.Key(dynamo.AttrSK).Between(expression.Value(SkPurgeDay), expression.Value(SkPurgeDay+cutoffDay))),
		Consistent: true, Limit: PurgeDaysPerRun,
	}
	days, _, err := dynamo.PageAs(ctx, s.Store, dq, "", func(it PurgeDayItem) string { return it.Day })
	if err != nil {
		return nil, err
	}
	indexed := map[string]bool{}
	for _, day := range days {
		indexed[day] = true
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
		q := dynamo.Query{
			What: "deleted orgs", Index: dynamo.IndexGSI3,
			Key:   dynamo.KeyIs(dynamo.AttrGSI3P, PurgeShard(at)).And(expression.Key(dynamo.AttrGSI3S).LessThan(expression.Value(dynamo.SortTime(cutoff)))),
			Limit: max - len(ids),
		}
		orgIDs, _, err := dynamo.PageAs(ctx, s.Store, q, "", func(it OrgItem) string { return it.ID })
		if err != nil {
			return nil, err
		}
		if len(orgIDs) == 0 && indexed[day] && day < cutoffDay {
			// Nothing left of that day, and no deletion can land on it any more.
			if _, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(s.Table), Key: dynamo.Key(PkPurgeDays, SkPurgeDay+day),
			}); err != nil {
				return nil, fmt.Errorf("delete purge day %s: %w", day, err)
			}
		}
		ids = append(ids, orgIDs...)
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
		if len(doomed) >= budget {
			break
		}
		q := dynamo.Query{What: "org " + orgID, Key: dynamo.KeyIs(dynamo.AttrPK, pk), Projection: []string{dynamo.AttrPK, dynamo.AttrSK, "userId"}}
		for page, err := range s.QueryPages(ctx, q) {
			if err != nil {
				return false, err
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
			if len(doomed) >= budget {
				break
			}
		}
	}
	done := len(doomed) < budget
	if done {
		add(dynamo.OrgPK(orgID), dynamo.SkMeta)
	}
	return done, s.BatchDelete(ctx, doomed)
}
