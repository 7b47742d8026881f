package apitest

import (
	"context"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// Mutation is the scenario of one mutating route: set up what the call needs (with the
// services, the store or other routes; none of that is checked) and return the request of
// one call that succeeds. The test then makes the call and checks what it wrote.
type Mutation func(a *API) events.APIGatewayV2HTTPRequest

// Mutations holds a scenario for every mutating route, by route name.
var Mutations = map[string]Mutation{
	"create-org": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		// Ada's first call created her account (with its own event, in her personal
		// account's log); this call creates one org.
		a.Account(ada)
		return a.Request(orgsapi.CreateOrg, &ada, nil, nil, `{"name":"Acme Robotics","handle":"acme"}`)
	},
	"update-org": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": id}, nil, `{"name":"Acme Robotics","membersCanInvite":true}`)
	},
	"change-handle": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.ChangeHandle, &ada, map[string]string{"orgId": id}, nil, `{"handle":"acme-robotics"}`)
	},
	"delete-org": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(orgsapi.DeleteOrg, &ada, map[string]string{"orgId": id}, url.Values{"confirm": {"acme"}}, "")
	},
	"update-me": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		a.Account(ada)
		return a.Request(accountapi.UpdateMe, &ada, nil, nil, `{"name":"Ada Lovelace","phone":"+14155550123"}`)
	},
	"request-email-change": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		a.Account(ada)
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(accountapi.RequestEmailChange, &ada, nil, nil, `{"email":"ada@lovelace.example"}`)
	},
	"confirm-email-change": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		rec := &mail.Recorder{}
		a.Env.UseMail(rec)
		a.Env.UseDirectory(AcceptingDirectory{})
		if _, err := a.Env.SelfService().RequestEmailChange(context.Background(), ada, "ada@lovelace.example"); err != nil {
			a.T.Fatal(err)
		}
		a.Deliver()
		_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
		return a.Request(accountapi.ConfirmEmailChange, &ada, nil, nil, `{"token":"`+strings.Fields(token)[0]+`"}`)
	},
	"delete-me": func(a *API) events.APIGatewayV2HTTPRequest {
		// A user whose only org is the personal account: its deletion is the one event. (In
		// each shared org the user leaves, a member.left is written, in that org's log.)
		ada := Person("ada")
		a.Account(ada)
		a.Env.UseDirectory(AcceptingDirectory{})
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(accountapi.DeleteMe, &ada, nil, nil, "")
	},
	"update-member": func(a *API) events.APIGatewayV2HTTPRequest {
		ada, bob := Person("ada"), Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		return a.Request(membersapi.UpdateMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, `{"role":"admin"}`)
	},
	"remove-member": func(a *API) events.APIGatewayV2HTTPRequest {
		ada, bob := Person("ada"), Person("bob")
		id := a.Org(ada, "Acme")
		a.Member(id, bob, roles.User)
		return a.Request(membersapi.RemoveMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, "")
	},
	"create-invite": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(invitesapi.CreateInvite, &ada, map[string]string{"orgId": id}, nil, `{"email":"bob@example.com","role":"user"}`)
	},
	"create-invites-bulk": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		a.Env.UseMail(&mail.Recorder{})
		return a.Request(invitesapi.CreateInvitesBulk, &ada, map[string]string{"orgId": id}, nil, `{"invites":[{"email":"bob@example.com","role":"user"}]}`)
	},
	"resend-invite": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		inv, _ := a.Invite(ada, id, "bob@example.com")
		return a.Request(invitesapi.ResendInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"revoke-invite": func(a *API) events.APIGatewayV2HTTPRequest {
		ada := Person("ada")
		id := a.Org(ada, "Acme")
		inv, _ := a.Invite(ada, id, "bob@example.com")
		return a.Request(invitesapi.RevokeInvite, &ada, map[string]string{"orgId": id, "inviteId": inv.ID}, nil, "")
	},
	"accept-invite": func(a *API) events.APIGatewayV2HTTPRequest {
		ada, bob := Person("ada"), Person("bob")
		id := a.Org(ada, "Acme")
		a.Account(bob)
		_, token := a.Invite(ada, id, bob.Email)
		return a.Request(invitesapi.AcceptInvite, &bob, nil, nil, `{"token":"`+token+`"}`)
	},
}

// Invite has admin invite email to the org as a user, mailing with a recorder, and returns
// the invite and the token of its link.
func (a *API) Invite(admin orgs.Caller, orgID, email string) (orgs.Invite, string) {
	a.T.Helper()
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	access, err := a.Env.Orgs().Authorize(context.Background(), admin, orgID)
	if err != nil {
		a.T.Fatal(err)
	}
	inv, err := a.Env.Invites().Create(context.Background(), access, orgs.InviteInput{Email: email, Role: "user"})
	if err != nil {
		a.T.Fatal(err)
	}
	a.Deliver()
	_, token, _ := strings.Cut(rec.Sent[0].Text, "token=")
	stored, err := a.Env.Orgs().AuthorizeFor(context.Background(), admin, orgID, orgs.Subject{InviteID: inv.ID})
	if err != nil || stored.Invite == nil {
		a.T.Fatal(err)
	}
	return *stored.Invite, strings.Fields(token)[0]
}

// AcceptingDirectory is an identity provider that accepts every change.
type AcceptingDirectory struct{}

func (AcceptingDirectory) SetEmail(context.Context, string, string) error { return nil }

func (AcceptingDirectory) DeleteUser(context.Context, string) error { return nil }

// WithoutEvent are the mutating routes that change nothing of any org, with the reason: they
// have no org log to write an event to (the vendor's catalog).
var WithoutEvent = map[string]string{}

// CallBudgetExceptions are the routes allowed more than two DynamoDB calls, with the most
// their scenario may make: deleting an account works through each of the user's orgs, and a
// bulk invite writes one transaction per invite.
var CallBudgetExceptions = map[string]int{"delete-me": 5, "create-invites-bulk": 2}
