package routes_test

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/roles"
)

func init() {
	// The completeness scenarios of the custom role routes.
	mutations["create-role"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(rolesapi.CreateRole, &ada, map[string]string{"orgId": id}, nil,
			`{"name":"Release manager","description":"Ships releases","permissions":["token.view","token.regenerate","licenses.read"]}`)
	}
	mutations["update-role"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		role := a.CustomRole(ada, id, "Release manager", roles.TokenView)
		return a.Request(rolesapi.UpdateRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, `{"permissions":["token.view","licenses.read"]}`)
	}
	mutations["delete-role"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		role := a.CustomRole(ada, id, "Release manager", roles.TokenView)
		return a.Request(rolesapi.DeleteRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, "")
	}
}
