// Package licensingapi is the HTTP edge of licensing: the product catalog, licenses, trials,
// seats and the operators' license routes: its routes (each a package-level Route that its
// function's main names), their handlers and replays, over the kernel of package httpapi.
package licensingapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The licensing routes: the public catalog, the org's licenses, trials and seats, and the
// operators' catalog and license administration. Operator routes name an org in their path
// but are not org-scoped: operators act from outside the org, and their actions land in its
// log with actor.type "operator".
var (
	ListCatalogProducts = &httpapi.Route{
		Name: "list-catalog-products", Method: "GET", Path: "/v1/catalog/products", Auth: httpapi.Public,
		Actions: []string{httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The product catalog",
		Build:   buildListCatalogProducts,
	}
	GetCatalogProduct = &httpapi.Route{
		Name: "get-catalog-product", Method: "GET", Path: "/v1/catalog/products/{productId}", Auth: httpapi.Public,
		Actions: []string{httpapi.DDBGet},
		Summary: "One catalog product",
		Build:   buildGetCatalogProduct,
	}
	PutProduct = &httpapi.Route{
		Name: "put-product", Method: "PUT", Path: "/v1/operator/products/{productId}", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBPut, httpapi.DDBUpdate},
		Summary: "Create or replace a catalog product (operators)",
		Build:   buildPutProduct,
	}
	ListLicenses = &httpapi.Route{
		Name: "list-licenses", Method: "GET", Path: "/v1/orgs/{orgId}/licenses", Auth: httpapi.JWT, Permission: roles.LicensesRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The org's licenses, by status",
		Build:   buildListLicenses,
	}
	StartTrial = &httpapi.Route{
		Name: "start-trial", Method: "POST", Path: "/v1/orgs/{orgId}/trials", Auth: httpapi.JWT, Permission: roles.LicensesManage,
		// A repeated request (Idempotency-Key) reads the first one's licence (GetItem).
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBUpdate, httpapi.DDBGet},
		Summary: "Start the org's trial of a catalog product, accepting the Master Service Agreement",
		Reads:   readTrialProduct,
		Build:   buildStartTrial,
		Replay:  replayLicense,
	}
	ListSeats = &httpapi.Route{
		Name: "list-seats", Method: "GET", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats", Auth: httpapi.JWT, Permission: roles.LicensesRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The seats of one of the org's licenses",
		Reads:   readLicense,
		Build:   buildListSeats,
	}
	AssignSeat = &httpapi.Route{
		Name: "assign-seat", Method: "PUT", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats/{userId}", Auth: httpapi.JWT, Permission: roles.LicensesManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBUpdate, httpapi.DDBCheck},
		Summary: "Give a member a seat of the license",
		Reads:   readLicense,
		Build:   buildAssignSeat,
	}
	ReleaseSeat = &httpapi.Route{
		Name: "release-seat", Method: "DELETE", Path: "/v1/orgs/{orgId}/licenses/{licenseId}/seats/{userId}", Auth: httpapi.JWT, Permission: roles.LicensesManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Free a member's seat of the license",
		Reads:   readLicense,
		Build:   buildReleaseSeat,
	}
	OperatorFindOrgs = &httpapi.Route{
		Name: "operator-find-orgs", Method: "GET", Path: "/v1/operator/orgs", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBGet},
		List:    httpapi.Whole,
		Summary: "Find an org by its exact handle (operators)",
		Build:   buildFindOrgs,
	}
	OperatorListLicenses = &httpapi.Route{
		Name: "operator-list-licenses", Method: "GET", Path: "/v1/operator/orgs/{orgId}/licenses", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "Any org's licenses (operators)",
		Build:   buildOperatorListLicenses,
	}
	OperatorGrantLicense = &httpapi.Route{
		Name: "operator-grant-license", Method: "POST", Path: "/v1/operator/orgs/{orgId}/licenses", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBGet, httpapi.DDBPut, httpapi.DDBCheck, httpapi.DDBUpdate},
		Summary: "Grant an org a license (operators)",
		Build:   buildGrantLicense,
		Replay:  replayLicense,
	}
	OperatorUpdateLicense = &httpapi.Route{
		Name: "operator-update-license", Method: "PATCH", Path: "/v1/operator/orgs/{orgId}/licenses/{licenseId}", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBGet, httpapi.DDBUpdate, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Change a license's end or limits, or revoke it (operators)",
		Build:   buildUpdateLicense,
	}
)
