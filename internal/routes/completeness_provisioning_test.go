package routes_test

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/sheets"
)

// The scenarios of provisioning's mutating routes (see mutations).
func init() {
	for name, m := range map[string]mutation{
		"put-user-properties": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			return a.Request(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": id}, nil, `{"items":[{"key":"team","label":"Team","type":"string","required":false}]}`)
		},
		"add-domain": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			return a.Request(provisioningapi.AddDomain, &ada, map[string]string{"orgId": id}, nil, `{"domain":"acme-corp.com"}`)
		},
		"verify-domain": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			a.Call(provisioningapi.AddDomain, a.Request(provisioningapi.AddDomain, &ada, map[string]string{"orgId": id}, nil, `{"domain":"acme-corp.com"}`))
			return a.Request(provisioningapi.VerifyDomain, &ada, map[string]string{"orgId": id, "domain": "acme-corp.com"}, nil, `{"email":"it@acme-corp.com"}`)
		},
		"update-domain": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			a.VerifiedDomain(ada, id, "acme-corp.com")
			a.VerifiedDomain(ada, id, "acme-two.com")
			return a.Request(provisioningapi.UpdateDomain, &ada, map[string]string{"orgId": id, "domain": "acme-two.com"}, nil, `{"primary":true}`)
		},
		"remove-domain": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			a.VerifiedDomain(ada, id, "acme-corp.com")
			return a.Request(provisioningapi.RemoveDomain, &ada, map[string]string{"orgId": id, "domain": "acme-corp.com"}, nil, "")
		},
		"join-org": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			a.VerifiedDomain(ada, id, "acme-corp.com")
			a.Call(orgsapi.UpdateOrg, a.Request(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": id}, nil, `{"autoJoin":"join"}`))
			// Dan has an account: a first call's account is written with its own event, in the
			// personal account's log.
			dan := orgs.Caller{ID: "user-dan", Email: "dan@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
			a.Account(dan)
			return a.Request(provisioningapi.JoinOrg, &dan, map[string]string{"orgId": id}, nil, "")
		},
		"create-member": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			// A new user's account is written with its own event, in the personal account's
			// log: the scenario adds an existing account of the org's verified domain.
			dir := apitest.NewFakeDirectory()
			a.Env.UseDirectory(dir)
			a.VerifiedDomain(ada, id, "acme-corp.com")
			carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
			a.Account(carol)
			dir.SignedUp(carol)
			return a.Request(provisioningapi.CreateMember, &ada, map[string]string{"orgId": id}, nil, `{"email":"carol@acme-corp.com"}`)
		},
		"create-members-bulk": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			dir := apitest.NewFakeDirectory()
			a.Env.UseDirectory(dir)
			a.VerifiedDomain(ada, id, "acme-corp.com")
			carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
			a.Account(carol)
			dir.SignedUp(carol)
			return a.Request(provisioningapi.CreateMembersBulk, &ada, map[string]string{"orgId": id}, nil, `{"members":[{"username":"carol"}]}`)
		},
		"reset-member-password": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			dir := apitest.NewFakeDirectory()
			a.Env.UseDirectory(dir)
			access, err := a.Env.Orgs().Authorize(context.Background(), ada, id)
			if err != nil {
				a.T.Fatal(err)
			}
			m, err := a.Env.Provisioning().Create(context.Background(), access, provisioning.UserInput{Email: "bob@example.com", Role: string(roles.User)})
			if err != nil {
				a.T.Fatal(err)
			}
			return a.Request(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": id, "userId": m.UserID}, nil, "")
		},
		"migrate-legacy-users": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada, op := apitest.Person("ada"), apitest.Person("opal")
			id := a.Org(ada, "Acme")
			dir := apitest.NewFakeDirectory()
			a.Env.UseDirectory(dir)
			bob := apitest.Person("bob")
			a.Account(bob)
			dir.SignedUp(bob)
			req := a.Request(provisioningapi.MigrateLegacyUsers, &op, map[string]string{"orgId": id}, nil, `{"users":[{"email":"bob@example.com","name":"Bob"}]}`)
			req.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[operators]"
			return req
		},
		"import-members": func(a *apitest.API) events.APIGatewayV2HTTPRequest {
			ada := apitest.Person("ada")
			id := a.Org(ada, "Acme")
			a.Env.UseSpreadsheets(sheets.XLSX{})
			a.Env.UseDirectory(apitest.NewFakeDirectory())
			req := a.Request(provisioningapi.ImportMembers, &ada, map[string]string{"orgId": id}, nil, "email,name\nbob@example.com,Bob\n")
			req.Headers["content-type"] = "text/csv"
			return req
		},
	} {
		mutations[name] = m
	}
	// A bulk route writes one transaction per user: the scenario has one.
	callBudgetExceptions["create-members-bulk"] = 2
	callBudgetExceptions["migrate-legacy-users"] = 2
	// An import also reads the email guards of its addresses, 100 to a call.
	callBudgetExceptions["import-members"] = 3
}
