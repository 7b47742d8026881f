package provisioningdb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/ratelimit"
)

// Imports (key layout in provisioning.go): each row's outcome is an item of its own, written
// in the row's transaction, which is what makes a retried chunk skip it. The job item is not
// counted up by the rows (one item written by every row's transaction would make them
// conflict): its progress is the count of its rows' items, read with it in one Query.

var _ provisioning.ImportStore = (*Store)(nil)

func importSK(id string) string { return orgsdb.SkImport + id }
func importRowSK(id string, index int) string {
	return fmt.Sprintf("%s%s%s%04d", orgsdb.SkImport, id, orgsdb.SkImportRow, index)
}

type importItem struct {
	dynamo.Keys
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
	dynamo.Keys
	provisioning.RowOutcome
}

// MembersByEmail implements provisioning.ImportStore: the email guards, 100 to a BatchGetItem.
func (s *Store) MembersByEmail(ctx context.Context, orgID string, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(emails); start += 100 {
		chunk := emails[start:min(start+100, len(emails))]
		ks := make([]map[string]types.AttributeValue, len(chunk))
		for i, e := range chunk {
			ks[i] = dynamo.Key(dynamo.OrgPK(orgID), dynamo.EmailGuardSK(e))
		}
		items, err := s.BatchGet(ctx, ks)
		if err != nil {
			return nil, err
		}
		for _, av := range items {
			var k dynamo.Keys
			if err := attributevalue.UnmarshalMap(av, &k); err != nil {
				return nil, err
			}
			out[strings.TrimPrefix(k.SK, dynamo.SkEmailGuard)] = true
		}
	}
	return out, nil
}

// StartImport implements provisioning.ImportStore.
func (s *Store) StartImport(ctx context.Context, job provisioning.ImportJob, ev audit.Event, msgs []outbox.Message, budget ratelimit.Use) error {
	t := s.Txn()
	t.PutNew(importItem{
		Keys: dynamo.Keys{PK: dynamo.OrgPK(job.OrgID), SK: importSK(job.ID)},
		ID:   job.ID, OrgID: job.OrgID, Status: job.Status, Total: job.Total, Failed: job.Failed,
		CreatedAt:   job.CreatedAt,
		CreatedByID: job.CreatedBy.ID, CreatedByEmail: job.CreatedBy.Email, Checked: job.Results,
	}, fmt.Errorf("import %s exists", job.ID))
	t.Check(dynamo.Key(dynamo.OrgPK(job.OrgID), dynamo.SkMeta), dynamo.OrgLive(), orgsdb.ErrOrgChanged)
	t.Event(ev)
	t.Outbox(ev.OccurredAt, msgs...)
	t.Limit(budget)
	return t.Run(ctx, s.Client)
}

// Import implements provisioning.ImportStore: one Query of the job and its rows' outcomes.
func (s *Store) Import(ctx context.Context, orgID, importID string) (provisioning.ImportJob, error) {
	var job provisioning.ImportJob
	found := false
	q := dynamo.Query{What: "import", Key: dynamo.KeyPrefix(dynamo.OrgPK(orgID), importSK(importID)), Consistent: true}
	err := s.QueryEach(ctx, q, func(av map[string]types.AttributeValue) error {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return err
		}
		if k.SK == importSK(importID) {
			var it importItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			found = true
			job.ID, job.OrgID, job.Status, job.Total = it.ID, it.OrgID, it.Status, it.Total
			job.CreatedAt = it.CreatedAt
			job.Results = append(job.Results, it.Checked...)
			return nil
		}
		if !strings.HasPrefix(k.SK, importSK(importID)+orgsdb.SkImportRow) {
			return nil // another import whose id begins with this one's
		}
		var it importRowItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		job.Results = append(job.Results, it.RowOutcome)
		return nil
	})
	if err != nil {
		return job, err
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
			ks[i] = dynamo.Key(dynamo.OrgPK(orgID), importRowSK(importID, r))
		}
		items, err := s.BatchGet(ctx, ks)
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
func rowDone(t *dynamo.Txn, orgID, importID string, out provisioning.RowOutcome) {
	t.PutNew(importRowItem{Keys: dynamo.Keys{PK: dynamo.OrgPK(orgID), SK: importRowSK(importID, out.Index)}, RowOutcome: out}, provisioning.ErrRowDone)
}

// AddImportedMember implements provisioning.ImportStore.
func (s *Store) AddImportedMember(ctx context.Context, w provisioning.MemberWrite, importID string, out provisioning.RowOutcome) error {
	t := s.Txn()
	addMember(t, w)
	rowDone(t, w.Member.OrgID, importID, out)
	return t.Run(ctx, s.Client)
}

// RowFailed implements provisioning.ImportStore. The failure is no change to the org and has no
// event of its own: import.finished counts the failures.
func (s *Store) RowFailed(ctx context.Context, orgID, importID string, out provisioning.RowOutcome) error {
	t := s.Txn()
	rowDone(t, orgID, importID, out)
	return t.Run(ctx, s.Client)
}

// FinishImport implements provisioning.ImportStore: the caller has counted the outcomes; the
// condition on the status makes the finish (and its event) happen once.
func (s *Store) FinishImport(ctx context.Context, orgID, importID string, total int, ev audit.Event) error {
	t := s.Txn()
	t.Update(dynamo.Key(dynamo.OrgPK(orgID), importSK(importID)), expression.Set(dynamo.Attr("status"), dynamo.Val(provisioning.ImportDone)),
		dynamo.Attr("status").Equal(dynamo.Val(provisioning.ImportRunning)).And(dynamo.Attr("total").Equal(dynamo.Val(total))), provisioning.ErrImportNotDone)
	t.Event(ev)
	return t.Run(ctx, s.Client)
}
