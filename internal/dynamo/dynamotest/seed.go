package dynamotest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/licensingdb"
	"github.com/vendorportal/orgs/internal/dynamo/orgsdb"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Seeding writes fixtures for tests, benchmarks and demo data. It bypasses the rule that
// every change is one transaction with its event, so no route may call it.

// SeedEvents writes events without any change to go with them, with BatchWriteItem (25 items
// a call) from the given number of goroutines, until every item is written.
func (s *Store) SeedEvents(ctx context.Context, evs []audit.Event, workers int) error {
	items := make([]any, len(evs))
	for i, e := range evs {
		items[i] = dynamo.NewEventItem(e)
	}
	return s.seedItems(ctx, items, workers)
}

// SeedLicenses writes licenses (with their due index keys) without events or seats, as
// SeedEvents does: for the scheduled job's benchmark.
func (s *Store) SeedLicenses(ctx context.Context, ls []licensing.License, workers int) error {
	items := make([]any, len(ls))
	for i, l := range ls {
		items[i] = licensingdb.NewLicenseItem(l)
	}
	return s.seedItems(ctx, items, workers)
}

// seedItems writes items with BatchWriteItem from the given number of goroutines.
func (s *Store) seedItems(ctx context.Context, evs []any, workers int) error {
	const batch = 25
	jobs := make(chan []types.WriteRequest)
	errs := make(chan error, max(workers, 1))
	for range max(workers, 1) {
		go func() {
			var err error
			for reqs := range jobs {
				if err == nil {
					err = s.batchWrite(ctx, reqs)
				}
			}
			errs <- err
		}()
	}
	var err error
	for start := 0; start < len(evs) && err == nil; start += batch {
		reqs := make([]types.WriteRequest, 0, batch)
		for _, e := range evs[start:min(start+batch, len(evs))] {
			av, merr := dynamo.MarshalMap(e)
			if merr != nil {
				err = fmt.Errorf("marshal %T: %w", e, merr)
				break
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		if err == nil {
			select {
			case jobs <- reqs:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
	}
	close(jobs)
	for range max(workers, 1) {
		if werr := <-errs; err == nil {
			err = werr
		}
	}
	return err
}

// batchWrite writes one batch, sending again whatever the service leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{s.Table: reqs}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(min(attempt, 10)) * 50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		out, err := s.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// SeedMember makes m a member of its org, both sides of the membership and the org's
// counters in one transaction, but without an event. Tests use it to give an org members of
// every role before the routes that add members exist.
func (s *Store) SeedMember(ctx context.Context, m orgs.Member, kind orgs.Kind) error {
	t := s.Txn()
	t.PutNew(dynamo.NewMemberItem(m), fmt.Errorf("member %s of %s exists", m.UserID, m.OrgID))
	t.PutNew(dynamo.NewUserOrgItem(m, kind), fmt.Errorf("membership %s of %s exists", m.UserID, m.OrgID))
	orgsdb.MemberEntries(t, m, fmt.Errorf("%s is a member of %s already", m.Email, m.OrgID))
	var c orgsdb.OrgChange
	c.Give(m, +1)
	orgsdb.ChangeOrg(t, m.OrgID, c)
	return t.Run(ctx, s.Client)
}
