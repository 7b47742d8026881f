package httpapi

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/sheets"
)

// The scenarios of provisioning's mutating routes (see mutations).
func init() {
	for name, m := range map[string]mutation{
		"put-user-properties": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			return a.request(PutUserProperties, &ada, map[string]string{"orgId": id}, nil, `{"items":[{"key":"team","label":"Team","type":"string","required":false}]}`)
		},
		"add-domain": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			return a.request(AddDomain, &ada, map[string]string{"orgId": id}, nil, `{"domain":"acme-corp.com"}`)
		},
		"verify-domain": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			a.call(AddDomain, a.request(AddDomain, &ada, map[string]string{"orgId": id}, nil, `{"domain":"acme-corp.com"}`))
			return a.request(VerifyDomain, &ada, map[string]string{"orgId": id, "domain": "acme-corp.com"}, nil, `{"email":"it@acme-corp.com"}`)
		},
		"update-domain": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			a.verifiedDomain(ada, id, "acme-corp.com")
			a.verifiedDomain(ada, id, "acme-two.com")
			return a.request(UpdateDomain, &ada, map[string]string{"orgId": id, "domain": "acme-two.com"}, nil, `{"primary":true}`)
		},
		"remove-domain": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			a.verifiedDomain(ada, id, "acme-corp.com")
			return a.request(RemoveDomain, &ada, map[string]string{"orgId": id, "domain": "acme-corp.com"}, nil, "")
		},
		"join-org": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			a.verifiedDomain(ada, id, "acme-corp.com")
			a.call(UpdateOrg, a.request(UpdateOrg, &ada, map[string]string{"orgId": id}, nil, `{"autoJoin":"join"}`))
			// Dan has an account: a first call's account is written with its own event, in the
			// personal account's log.
			dan := orgs.Caller{ID: "user-dan", Email: "dan@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
			a.account(dan)
			return a.request(JoinOrg, &dan, map[string]string{"orgId": id}, nil, "")
		},
		"create-member": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			// A new user's account is written with its own event, in the personal account's
			// log: the scenario adds an existing account of the org's verified domain.
			dir := newFakeDirectory()
			a.env.UseDirectory(dir)
			a.verifiedDomain(ada, id, "acme-corp.com")
			carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
			a.account(carol)
			dir.signedUp(carol)
			return a.request(CreateMember, &ada, map[string]string{"orgId": id}, nil, `{"email":"carol@acme-corp.com"}`)
		},
		"create-members-bulk": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			dir := newFakeDirectory()
			a.env.UseDirectory(dir)
			a.verifiedDomain(ada, id, "acme-corp.com")
			carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
			a.account(carol)
			dir.signedUp(carol)
			return a.request(CreateMembersBulk, &ada, map[string]string{"orgId": id}, nil, `{"members":[{"username":"carol"}]}`)
		},
		"reset-member-password": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			dir := newFakeDirectory()
			a.env.UseDirectory(dir)
			access, err := a.env.Orgs().Authorize(context.Background(), ada, id)
			if err != nil {
				a.t.Fatal(err)
			}
			m, err := a.env.Provisioning().Create(context.Background(), access, provisioning.UserInput{Email: "bob@example.com", Role: string(roles.User)})
			if err != nil {
				a.t.Fatal(err)
			}
			return a.request(ResetMemberPassword, &ada, map[string]string{"orgId": id, "userId": m.UserID}, nil, "")
		},
		"migrate-legacy-users": func(a *api) events.APIGatewayV2HTTPRequest {
			ada, op := person("ada"), person("opal")
			id := a.org(ada, "Acme")
			dir := newFakeDirectory()
			a.env.UseDirectory(dir)
			bob := person("bob")
			a.account(bob)
			dir.signedUp(bob)
			req := a.request(MigrateLegacyUsers, &op, map[string]string{"orgId": id}, nil, `{"users":[{"email":"bob@example.com","name":"Bob"}]}`)
			req.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[operators]"
			return req
		},
		"import-members": func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			id := a.org(ada, "Acme")
			a.env.UseSpreadsheets(sheets.XLSX{})
			a.env.UseDirectory(newFakeDirectory())
			req := a.request(ImportMembers, &ada, map[string]string{"orgId": id}, nil, "email,name\nbob@example.com,Bob\n")
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
