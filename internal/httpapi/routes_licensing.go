package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/roles"
)

// The licensing routes: the public catalog, the org's licenses, trials and seats, and the
// operators' catalog and license administration. Operator routes name an org in their path
// but are not org-scoped: operators act from outside the org, and their actions land in its
// log with actor.type "operator".
var (
	ListCatalogProducts = &Route{
		Name: "list-catalog-products", Method: "GET", Path: "/v1/catalog/products", Auth: Public,
		Actions: []string{ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The product catalog",
		Build:   buildListCatalogProducts,
	}
	GetCatalogProduct = &Route{
		Name: "get-catalog-product", Method: "GET", Path: "/v1/catalog/products/{productId}", Auth: Public,
		Actions: []string{ddbGet},
		Summary: "One catalog product",
		Build:   buildGetCatalogProduct,
	}
	PutProduct = &Route{
		Name: "put-product", Method: "PUT", Path: "/v1/operator/products/{productId}", Auth: Operator,
		Actions: []string{ddbPut, ddbUpdate},
		Summary: "Create or replace a catalog product (operators)",
		Build:   buildPutProduct,
	}
	ListLicenses = &Route{
		Name: "list-licenses", Method: "GET", Path: "/v1/orgs/{orgId}/licenses", Auth: JWT, Permission: roles.LicensesRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The org's licenses, by status",
		Build:   buildListLicenses,
	}
	StartTrial = &Route{
		Name: "start-trial", Method: "POST", Path: "/v1/orgs/{orgId}/trials", Auth: JWT, Permission: roles.LicensesManage,
		// A repeated request (Idempotency-Key) reads the first one's licence (GetItem).
		Actions: []string{ddbBatchGet, ddbPut, ddbCheck, ddbUpdate, ddbGet},
		Summary: "Start the org's trial of a catalog product, accepting the Master Service Agreement",
		Reads:   readTrialProduct,
		Build:   buildStartTrial,
		Replay:  replayLicense,
	}
	ListSeats = &Route{
		Name: "list-seats", Method: "GET", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats", Auth: JWT, Permission: roles.LicensesRead,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The seats of one of the org's licenses",
		Reads:   readLicense,
		Build:   buildListSeats,
	}
	AssignSeat = &Route{
		Name: "assign-seat", Method: "PUT", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats/{userId}", Auth: JWT, Permission: roles.LicensesManage,
		Actions: []string{ddbBatchGet, ddbPut, ddbUpdate, ddbCheck},
		Summary: "Give a member a seat of the license",
		Reads:   readLicense,
		Build:   buildAssignSeat,
	}
	ReleaseSeat = &Route{
		Name: "release-seat", Method: "DELETE", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats/{userId}", Auth: JWT, Permission: roles.LicensesManage,
		Actions: []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Free a member's seat of the license",
		Reads:   readLicense,
		Build:   buildReleaseSeat,
	}
	OperatorFindOrgs = &Route{
		Name: "operator-find-orgs", Method: "GET", Path: "/v1/operator/orgs", Auth: Operator,
		Actions: []string{ddbGet},
		List:    Whole,
		Summary: "Find an org by its exact handle (operators)",
		Build:   buildFindOrgs,
	}
	OperatorListLicenses = &Route{
		Name: "operator-list-licenses", Method: "GET", Path: "/v1/operator/orgs/{orgId}/licenses", Auth: Operator,
		Actions: []string{ddbGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "Any org's licenses (operators)",
		Build:   buildOperatorListLicenses,
	}
	OperatorGrantLicense = &Route{
		Name: "operator-grant-license", Method: "POST", Path: "/v1/operator/orgs/{orgId}/licenses", Auth: Operator,
		Actions: []string{ddbGet, ddbPut, ddbCheck, ddbUpdate},
		Summary: "Grant an org a license (operators)",
		Build:   buildGrantLicense,
		Replay:  replayLicense,
	}
	OperatorUpdateLicense = &Route{
		Name: "operator-update-license", Method: "PATCH", Path: "/v1/operator/orgs/{orgId}/licenses/{licenseId}", Auth: Operator,
		Actions: []string{ddbGet, ddbUpdate, ddbCheck, ddbPut},
		Summary: "Change a license's end or limits, or revoke it (operators)",
		Build:   buildUpdateLicense,
	}
)

var licensingRoutes = []*Route{
	ListCatalogProducts, GetCatalogProduct, PutProduct,
	ListLicenses, StartTrial, ListSeats, AssignSeat, ReleaseSeat,
	OperatorFindOrgs, OperatorListLicenses, OperatorGrantLicense, OperatorUpdateLicense,
}
