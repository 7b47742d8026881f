package routes_test

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
)

func init() {
	mutations["regenerate-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(tokensapi.RegenerateToken, &ada, map[string]string{"orgId": id}, nil, "")
	}
	mutations["reset-auth"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(tokensapi.ResetAuth, &ada, map[string]string{"orgId": id}, nil, "")
	}
}
