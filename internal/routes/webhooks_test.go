package routes_test

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/webhooksapi"
)

// The webhook routes' scenarios for the completeness check: each sets up an endpoint with
// the services and returns one call that succeeds.
func init() {
	mutations["create-webhook"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id := a.Org(ada, "Acme")
		a.Env.Config.AllowLoopbackWebhooks = true
		return a.Request(webhooksapi.CreateWebhook, &ada, map[string]string{"orgId": id}, nil, `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["member.*"]}`)
	}
	mutations["update-webhook"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id, ep := a.Webhook(ada)
		return a.Request(webhooksapi.UpdateWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, `{"events":["*"],"enabled":false}`)
	}
	mutations["delete-webhook"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id, ep := a.Webhook(ada)
		return a.Request(webhooksapi.DeleteWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, "")
	}
	mutations["rotate-webhook-secret"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id, ep := a.Webhook(ada)
		return a.Request(webhooksapi.RotateWebhookSecret, &ada, map[string]string{"orgId": id, "webhookId": ep.ID}, nil, "")
	}
	mutations["redeliver-webhook"] = func(a *apitest.API) events.APIGatewayV2HTTPRequest {
		ada := apitest.Person("ada")
		id, ep := a.Webhook(ada)
		d := a.Delivery(id, ep)
		return a.Request(webhooksapi.RedeliverWebhook, &ada, map[string]string{"orgId": id, "webhookId": ep.ID, "deliveryId": d.ID}, nil, "")
	}
}
