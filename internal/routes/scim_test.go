package routes_test

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func init() {
	// A group change reads the token's org and the members, writes each member changed, and
	// answers with the group's holders: 1 + n + 1.
	callBudgetExceptions["scim-patch-group"] = 3
	scimScenario := func(r *httpapi.Route, params map[string]string, body string, setup func(a *apitest.API, org string, bob orgs.Caller)) mutation {
		return func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada, bob := apitest.Person("ada"), apitest.Person("bob")
			org := a.Org(ada, "Acme")
			a.Member(org, bob, roles.User)
			tok := a.SCIMToken(ada, org)
			if setup != nil {
				setup(a, org, bob)
			}
			p := map[string]string{}
			for k, v := range params {
				p[k] = strings.ReplaceAll(v, "BOB", bob.ID)
			}
			return a.SCIMRequest(r, tok, p, nil, strings.ReplaceAll(body, "BOBID", bob.ID))
		}
	}
	mutations["create-scim-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		org := a.Org(ada, "Acme")
		return a.Request(scimapi.CreateSCIMToken, &ada, map[string]string{"orgId": org}, nil, "")
	}
	mutations["revoke-scim-token"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		org := a.Org(ada, "Acme")
		a.SCIMToken(ada, org)
		return a.Request(scimapi.RevokeSCIMToken, &ada, map[string]string{"orgId": org}, nil, "")
	}
	mutations["scim-patch-user"] = scimScenario(scimapi.SCIMPatchUser, map[string]string{"id": "BOB"},
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, nil)
	mutations["scim-replace-user"] = scimScenario(scimapi.SCIMReplaceUser, map[string]string{"id": "BOB"},
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@example.com","name":{"givenName":"Bob","familyName":"Builder"},"active":true}`, nil)
	mutations["scim-delete-user"] = scimScenario(scimapi.SCIMDeleteUser, map[string]string{"id": "BOB"}, "", nil)
	mutations["scim-patch-group"] = scimScenario(scimapi.SCIMPatchGroup, map[string]string{"id": "viewer_admin"},
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"BOBID"}]}]}`, nil)
}

func init() {
	mutations["scim-create-user"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		// As for create-member: a new user's account is written with its own event, in the
		// personal account's log, so the scenario adds an existing account of the org's
		// verified domain.
		dir := apitest.NewFakeDirectory()
		a.Env.UseDirectory(dir)
		ada := apitest.Person("ada")
		org := a.Org(ada, "Acme")
		a.VerifiedDomain(ada, org, "acme-corp.com")
		carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
		a.Account(carol)
		dir.SignedUp(carol)
		tok := a.SCIMToken(ada, org)
		return a.SCIMRequest(scimapi.SCIMCreateUser, tok, nil, nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol@acme-corp.com","name":{"givenName":"Carol","familyName":"Jones"},"externalId":"okta-1"}`)
	}
}
