package apitest

import (
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// OperatorCaller is a member of the operators group.
func OperatorCaller() orgs.Caller {
	c := Person("op")
	c.Operator = true
	return c
}

// PutProduct puts a catalog product through the route.
func (a *API) PutProduct(id, body string) {
	a.T.Helper()
	op := OperatorCaller()
	if r := a.Do(licensingapi.PutProduct, &op, map[string]string{"productId": id}, nil, body); r.Status != 200 {
		a.T.Fatalf("put product %s: %d %s", id, r.Status, r.Body)
	}
}

const WidgetJSON = `{"name":"Widget","description":"Builds widgets","availability":"commercial","trial":{"days":30,"nodeLimit":5},"agreementVersion":"2026-01"}`

// GrantLicense grants orgID a license through the route and returns its id.
func (a *API) GrantLicense(orgID, body string) string {
	a.T.Helper()
	op := OperatorCaller()
	r := a.Do(licensingapi.OperatorGrantLicense, &op, map[string]string{"orgId": orgID}, nil, body)
	if r.Status != 201 {
		a.T.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	return r.JSON(a.T)["id"].(string)
}

// AssignSeat gives userID a seat through the route.
func (a *API) AssignSeat(admin orgs.Caller, orgID, licenseID, userID string) Reply {
	a.T.Helper()
	return a.Do(licensingapi.AssignSeat, &admin, map[string]string{"orgId": orgID, "licenseId": licenseID, "userId": userID}, nil, "")
}
