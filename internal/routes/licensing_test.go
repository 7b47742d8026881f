package routes_test

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/licensingapi"
	"github.com/vendorportal/orgs/internal/roles"
)

func init() {
	mutations["put-product"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		op := apitest.OperatorCaller()
		return a.Request(licensingapi.PutProduct, &op, map[string]string{"productId": "widget"}, nil, apitest.WidgetJSON)
	}
	mutations["operator-grant-license"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, op := apitest.Person("ada"), apitest.OperatorCaller()
		id := a.Org(ada, "Acme")
		a.PutProduct("widget", apitest.WidgetJSON)
		return a.Request(licensingapi.OperatorGrantLicense, &op, map[string]string{"orgId": id}, nil,
			`{"productId":"widget","type":"enterprise","startsAt":"2026-01-01T00:00:00Z","endsAt":"2027-01-01T00:00:00Z","nodeLimit":10,"seatLimit":3}`)
	}
	mutations["operator-update-license"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, op := apitest.Person("ada"), apitest.OperatorCaller()
		id := a.Org(ada, "Acme")
		a.PutProduct("widget", apitest.WidgetJSON)
		lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise"}`)
		return a.Request(licensingapi.OperatorUpdateLicense, &op, map[string]string{"orgId": id, "licenseId": lic}, nil, `{"endsAt":"2030-01-01T00:00:00Z","seatLimit":5}`)
	}
	mutations["start-trial"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		a.PutProduct("widget", apitest.WidgetJSON)
		return a.Request(licensingapi.StartTrial, &ada, map[string]string{"orgId": id}, nil, `{"productId":"widget","agreementVersion":"2026-01"}`)
	}
	mutations["assign-seat"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		a.PutProduct("widget", apitest.WidgetJSON)
		lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
		return a.Request(licensingapi.AssignSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	}
	mutations["release-seat"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		a.PutProduct("widget", apitest.WidgetJSON)
		lic := a.GrantLicense(id, `{"productId":"widget","type":"enterprise","seatLimit":2}`)
		if r := a.AssignSeat(ada, id, lic, bob.ID); r.Status != 200 {
			a.T.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		return a.Request(licensingapi.ReleaseSeat, &ada, map[string]string{"orgId": id, "licenseId": lic, "userId": bob.ID}, nil, "")
	}
	// The catalog is the vendor's, not an org's: there is no org log for its changes.
	withoutEvent["put-product"] = "the catalog belongs to no org, so there is no org log to write to"
}
