package orgs

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// PurgeRetention is how long a deleted org's data is kept before the scheduled job purges it:
// time for support to undo a mistaken deletion.
const PurgeRetention = 30 * 24 * time.Hour

// Purge budgets: orgs looked at per run, items deleted per org per run.
const (
	purgeOrgsPerRun  = 20
	purgeItemsPerOrg = 2000
)

// Purger finds deleted orgs whose retention has passed and deletes their data.
type Purger interface {
	DeletedOrgsDue(ctx context.Context, cutoff time.Time, max int) ([]string, error)
	PurgeOrg(ctx context.Context, orgID string, budget int) (done bool, err error)
}

// PurgeDeleted is the scheduled job's task that purges deleted orgs. It is idempotent and
// resumable: an org's item, the deletion marker, goes last, so a run that stops half-way
// leaves the org to the next run.
func PurgeDeleted(ctx context.Context, p Purger, now time.Time, log *slog.Logger) error {
	ids, err := p.DeletedOrgsDue(ctx, now.Add(-PurgeRetention), purgeOrgsPerRun)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		done, err := p.PurgeOrg(ctx, id, purgeItemsPerOrg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		log.InfoContext(ctx, "org.purged", "org", id, "complete", done)
	}
	return errors.Join(errs...)
}
