package routes_test

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

func init() {
	mutations["create-my-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(tokensapi.CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"laptop"}`)
	}
	mutations["revoke-my-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		tok, _ := a.MakeToken(ada, id, "laptop")
		return a.Request(tokensapi.RevokeMyToken, &ada, map[string]string{"orgId": id, "tokenId": tok}, nil, "")
	}
	mutations["revoke-org-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		tok, _ := a.MakeToken(bob, id, "laptop")
		return a.Request(tokensapi.RevokeOrgToken, &ada, map[string]string{"orgId": id, "tokenId": tok}, nil, "")
	}
	mutations["start-device"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		a.Org(ada, "Acme")
		return a.Request(tokensapi.StartDevice, nil, nil, nil, `{"client_id":"cli","org":"acme"}`)
	}
	withoutEvent["start-device"] = "a device code changes nothing of the org until a member approves it"
	mutations["poll-device"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		a.Org(ada, "Acme")
		s, err := a.Env.DeviceFlow().Start(context.Background(), "cli", "acme", "198.51.100.7")
		if err != nil {
			a.T.Fatal(err)
		}
		if err := a.Env.DeviceFlow().Decide(context.Background(), ada, s.UserCode, true); err != nil {
			a.T.Fatal(err)
		}
		return a.Request(tokensapi.PollDevice, nil, nil, nil, `{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"`+s.DeviceCode+`","client_id":"cli"}`)
	}
	withoutEvent["poll-device"] = "a poll changes nothing of the org: the approval made the token and wrote its event; the poll hands it out"
	decide := func(r **httpapi.Route) func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		return func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			a.Org(ada, "Acme")
			s, err := a.Env.DeviceFlow().Start(context.Background(), "cli", "acme", "198.51.100.7")
			if err != nil {
				a.T.Fatal(err)
			}
			return a.Request(*r, &ada, map[string]string{"userCode": tokens.FormatUserCode(s.UserCode)}, nil, "")
		}
	}
	mutations["approve-device"] = decide(&tokensapi.ApproveDevice)
	mutations["deny-device"] = decide(&tokensapi.DenyDevice)
	// A user code names no org: it is read first, then the caller's standing in its org.
	callBudgetExceptions["approve-device"] = 3
	callBudgetExceptions["deny-device"] = 3
}
