package localmode

import (
	"context"
	"fmt"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
)

// demoCatalog is what a newcomer finds in the catalog of a fresh local mode: public and
// commercial products, with and without a self-service trial.
var demoCatalog = []struct {
	id string
	in licensing.ProductInput
}{
	{"community-cli", licensing.ProductInput{Name: "Community CLI", Availability: licensing.Public,
		Description: "The command-line client, free for everyone"}},
	{"docs-portal", licensing.ProductInput{Name: "Docs Portal", Availability: licensing.Public,
		Description: "Offline documentation bundles"}},
	{"build-accelerator", licensing.ProductInput{Name: "Build Accelerator", Availability: licensing.Commercial,
		Description: "Distributed build cache and remote execution",
		Trial:       &licensing.TrialTerms{Days: 30, NodeLimit: 5}, AgreementVersion: "2026-01"}},
	{"package-mirror", licensing.ProductInput{Name: "Package Mirror", Availability: licensing.Commercial,
		Description: "A private mirror of the package repository",
		Trial:       &licensing.TrialTerms{Days: 14, NodeLimit: 2}}},
	{"enterprise-console", licensing.ProductInput{Name: "Enterprise Console", Availability: licensing.Commercial,
		Description: "Fleet management; licensed by our sales team only"}},
}

// ensureDemoCatalog puts the demo catalog when the catalog is empty; a catalog that has any
// product is left as it is.
func ensureDemoCatalog(ctx context.Context, env *app.Env) error {
	svc := env.Licensing()
	page, err := svc.Catalog(ctx, paging.Request{Limit: 1})
	if err != nil || len(page.Products) > 0 {
		return err
	}
	seeder := orgs.Caller{ID: "local-mode", Operator: true}
	for _, p := range demoCatalog {
		if _, err := svc.PutProduct(ctx, seeder, p.id, p.in); err != nil {
			return fmt.Errorf("demo catalog: %s: %w", p.id, err)
		}
	}
	return nil
}
