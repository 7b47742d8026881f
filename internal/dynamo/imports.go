package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// Imports (key layout in provisioning.go): each row's outcome is an item of its own, written
// in the row's transaction, which is what makes a retried chunk skip it. The job item is not
// counted up by the rows (one item written by every row's transaction would make them
// conflict): its progress is the count of its rows' items, read with it in one Query.

var _ provisioning.ImportStore = (*Store)(nil)

func importSK(id string) string { return skImport + id }
func importRowSK(id string, index int) string {
	return fmt.Sprintf("%s%s%s%04d", skImport, id, skImportRow, index)
}

type importItem struct {
	keys
	ID             string                    `dynamodbav:"id"`
	OrgID          string                    `dynamodbav:"orgId"`
	Status         string                    `dynamodbav:"status"`
	Total          int                       `dynamodbav:"total"`
	Created        int                       `dynamodbav:"created"`
	Failed         int                       `dynamodbav:"failed"`
	CreatedAt      time.Time                 `dynamodbav:"createdAt"`
	CreatedByID    string                    `dynamodbav:"createdById"`
	CreatedByEmail string                    `dynamodbav:"createdByEmail"`
	Checked        []provisioning.RowOutcome `dynamodbav:"checked,omitempty"`
}

type importRowItem struct {
	keys
	provisioning.RowOutcome
}

// MembersByEmail implements provisioning.ImportStore: the email guards, 100 to a BatchGetItem.
func (s *Store) MembersByEmail(ctx context.Context, orgID string, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(emails); start += 100 {
		chunk := emails[start:min(start+100, len(emails))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, e := range chunk {
			ks[i] = key(orgPK(orgID), emailGuardSK(e))
		}
		items, err := s.batchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var k keys
			if err := attributevalue.UnmarshalMap(av, &k); err != nil {
				return nil, err
			}
			out[strings.TrimPrefix(k.SK, skEmailGuard)] = true
		}
	}
	return out, nil
}

// StartImport implements provisioning.ImportStore.
func (s *Store) StartImport(ctx context.Context, job provisioning.ImportJob, ev audit.Event, msgs []outbox.Message, budget ratelimit.Use) error {
	t := s.txn()
	t.putNew(importItem{
		keys: keys{PK: orgPK(job.OrgID), SK: importSK(job.ID)},
		ID:   job.ID, OrgID: job.OrgID, Status: job.Status, Total: job.Total, Failed: job.Failed,
		CreatedAt:   job.CreatedAt,
		CreatedByID: job.CreatedBy.ID, CreatedByEmail: job.CreatedBy.Email, Checked: job.Results,
	}, fmt.Errorf("import %s exists", job.ID))
	t.check(key(orgPK(job.OrgID), skMeta), orgLive(), errOrgChanged)
	t.event(ev)
	t.outbox(ev.OccurredAt, msgs...)
	t.limit(budget)
	return t.run(ctx, s.Client)
}

// Import implements provisioning.ImportStore: one Query of the job and its rows' outcomes.
func (s *Store) Import(ctx context.Context, orgID, importID string) (provisioning.ImportJob, error) {
	kc := expression.Key(attrPK).Equal(expression.Value(orgPK(orgID))).And(expression.Key(attrSK).BeginsWith(importSK(importID)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return provisioning.ImportJob{}, err
	}
	var job provisioning.ImportJob
	found := false
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return job, fmt.Errorf("query import: %w", err)
		}
		for _, av := range page.Items {
			var k keys
			if err := attributevalue.UnmarshalMap(av, &k); err != nil {
				return job, err
			}
			if k.SK == importSK(importID) {
				var it importItem
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return job, err
				}
				found = true
				job.ID, job.OrgID, job.Status, job.Total = it.ID, it.OrgID, it.Status, it.Total
				job.CreatedAt = it.CreatedAt
				job.Results = append(job.Results, it.Checked...)
				continue
			}
			if !strings.HasPrefix(k.SK, importSK(importID)+skImportRow) {
				continue // another import whose id begins with this one's
			}
			var it importRowItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return job, err
			}
			job.Results = append(job.Results, it.RowOutcome)
		}
	}
	if !found {
		return job, apperr.New(apperr.NotFound, "import not found")
	}
	slices.SortFunc(job.Results, func(a, b provisioning.RowOutcome) int { return a.Index - b.Index })
	for _, r := range job.Results {
		if r.Status == "created" {
			job.Created++
		} else {
			job.Failed++
		}
	}
	return job, nil
}

// DoneRows implements provisioning.ImportStore: one BatchGetItem of the rows' outcomes.
func (s *Store) DoneRows(ctx context.Context, orgID, importID string, rows []int) (map[int]bool, error) {
	out := map[int]bool{}
	for start := 0; start < len(rows); start += 100 {
		chunk := rows[start:min(start+100, len(rows))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, r := range chunk {
			ks[i] = key(orgPK(orgID), importRowSK(importID, r))
		}
		items, err := s.batchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var it importRowItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, err
			}
			out[it.Index] = true
		}
	}
	return out, nil
}

// rowDone adds the row's outcome; ErrRowDone when it is there already.
func (t *txn) rowDone(orgID, importID string, out provisioning.RowOutcome) {
	t.putNew(importRowItem{keys: keys{PK: orgPK(orgID), SK: importRowSK(importID, out.Index)}, RowOutcome: out}, provisioning.ErrRowDone)
}

// AddImportedMember implements provisioning.ImportStore.
func (s *Store) AddImportedMember(ctx context.Context, w provisioning.MemberWrite, importID string, out provisioning.RowOutcome) error {
	t := s.txn()
	t.addMember(w)
	t.rowDone(w.Member.OrgID, importID, out)
	return t.run(ctx, s.Client)
}

// RowFailed implements provisioning.ImportStore. The failure is no change to the org and has no
// event of its own: import.finished counts the failures.
func (s *Store) RowFailed(ctx context.Context, orgID, importID string, out provisioning.RowOutcome) error {
	t := s.txn()
	t.rowDone(orgID, importID, out)
	return t.run(ctx, s.Client)
}

// FinishImport implements provisioning.ImportStore: the caller has counted the outcomes; the
// condition on the status makes the finish (and its event) happen once.
func (s *Store) FinishImport(ctx context.Context, orgID, importID string, total int, ev audit.Event) error {
	t := s.txn()
	t.update(key(orgPK(orgID), importSK(importID)), expression.Set(attr("status"), val(provisioning.ImportDone)),
		attr("status").Equal(val(provisioning.ImportRunning)).And(attr("total").Equal(val(total))), provisioning.ErrImportNotDone)
	t.event(ev)
	return t.run(ctx, s.Client)
}
