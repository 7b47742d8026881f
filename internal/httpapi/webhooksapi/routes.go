// Package webhooksapi is the HTTP edge of webhooks: endpoints, their secrets and deliveries:
// its routes (each a package-level Route that its function's main names), their handlers and
// replays, over the kernel of package httpapi.
package webhooksapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The webhook routes, all under settings.manage. The routes naming an endpoint read it in the
// authorization step's round trip (Reads), so that their write follows at once. Those that
// seal or open a secret, or page with a cursor, use the server's secret.
var (
	ListWebhooks = &httpapi.Route{
		Name: "list-webhooks", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Keys:    []string{app.KeyWebhooks},
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		List:    httpapi.Whole,
		Summary: "The org's webhook endpoints",
		Build:   buildListWebhooks,
	}
	CreateWebhook = &httpapi.Route{
		Name: "create-webhook", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBUpdate, httpapi.DDBCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Add a webhook endpoint; its signing secret is shown only in this answer",
		Build:   buildCreateWebhook,
		Replay:  replayCreateWebhook,
	}
	UpdateWebhook = &httpapi.Route{
		Name: "update-webhook", Method: "PATCH", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Reads: readEndpoint, Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Change a webhook endpoint's URL, description, events or enabled",
		Build:   buildUpdateWebhook,
	}
	DeleteWebhook = &httpapi.Route{
		Name: "delete-webhook", Method: "DELETE", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Reads: readEndpoint, Actions: []string{httpapi.DDBBatchGet, httpapi.DDBDelete, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Delete a webhook endpoint",
		Build:   buildDeleteWebhook,
	}
	RotateWebhookSecret = &httpapi.Route{
		Name: "rotate-webhook-secret", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/rotate-secret", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Reads: readEndpoint, Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut, httpapi.DDBCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Give a webhook endpoint a new secret; the old one signs too for 24 hours",
		Build:   buildRotateWebhookSecret,
	}
	ListWebhookDeliveries = &httpapi.Route{
		Name: "list-webhook-deliveries", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		Reads: readEndpoint, Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors, app.KeyWebhooks},
		List:    httpapi.Paged,
		Summary: "A webhook endpoint's deliveries, newest first",
		Build:   buildListWebhookDeliveries,
	}
	RedeliverWebhook = &httpapi.Route{
		Name: "redeliver-webhook", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", Auth: httpapi.JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Keys:  []string{app.KeyWebhooks},
		Reads: readEndpoint, Actions: []string{httpapi.DDBBatchGet, httpapi.DDBCheck, httpapi.DDBPut},
		Summary: "Attempt a delivery once more, now",
		Build:   buildRedeliverWebhook,
	}
)
