package routes_test

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/ticketsapi"
)

func init() {
	mutations["create-ticket"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		return a.Request(ticketsapi.CreateTicket, &ada, map[string]string{"orgId": id}, nil, `{"subject":"Licence key rejected","body":"The installer says the key is invalid."}`)
	}
	mutations["comment-ticket"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		tk := a.Ticket(ada, id, "Help")
		return a.Request(ticketsapi.CommentTicket, &ada, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"body":"Any news?"}`)
	}
	mutations["update-ticket"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		tk := a.Ticket(ada, id, "Help")
		return a.Request(ticketsapi.UpdateTicket, &ada, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"status":"closed"}`)
	}
	mutations["operator-comment-ticket"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, op := apitest.Person("ada"), apitest.Operator("olga")
		id := a.Org(ada, "Acme")
		tk := a.Ticket(ada, id, "Help")
		return a.Request(ticketsapi.OperatorCommentTicket, &op, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"body":"Try the new key we sent.","internal":false}`)
	}
	mutations["operator-update-ticket"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada, op := apitest.Person("ada"), apitest.Operator("olga")
		id := a.Org(ada, "Acme")
		tk := a.Ticket(ada, id, "Help")
		return a.Request(ticketsapi.OperatorUpdateTicket, &op, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"status":"closed"}`)
	}
}
