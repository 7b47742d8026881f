package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/roles"
)

// The webhook routes, all under settings.manage. The routes naming an endpoint read it in the
// authorization step's round trip (Reads), so that their write follows at once. Those that
// seal or open a secret, or page with a cursor, use the server's secret.
var (
	ListWebhooks = &Route{
		Name: "list-webhooks", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks", Auth: JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Keys:    []string{app.KeyWebhooks},
		Actions: []string{ddbBatchGet, ddbQuery},
		List:    Whole,
		Summary: "The org's webhook endpoints",
		Build:   buildListWebhooks,
	}
	CreateWebhook = &Route{
		Name: "create-webhook", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks", Auth: JWT, Permission: roles.SettingsManage,
		Actions: []string{ddbBatchGet, ddbPut, ddbUpdate, ddbCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Add a webhook endpoint; its signing secret is shown only in this answer",
		Build:   buildCreateWebhook,
		Replay:  replayCreateWebhook,
	}
	UpdateWebhook = &Route{
		Name: "update-webhook", Method: "PATCH", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}", Auth: JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Reads: readEndpoint, Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Change a webhook endpoint's URL, description, events or enabled",
		Build:   buildUpdateWebhook,
	}
	DeleteWebhook = &Route{
		Name: "delete-webhook", Method: "DELETE", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}", Auth: JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Reads: readEndpoint, Actions: []string{ddbBatchGet, ddbDelete, ddbUpdate, ddbPut, ddbCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Delete a webhook endpoint",
		Build:   buildDeleteWebhook,
	}
	RotateWebhookSecret = &Route{
		Name: "rotate-webhook-secret", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/rotate-secret", Auth: JWT, Permission: roles.SettingsManage,
		Reads: readEndpoint, Actions: []string{ddbBatchGet, ddbUpdate, ddbPut, ddbCheck},
		Keys:    []string{app.KeyWebhooks},
		Summary: "Give a webhook endpoint a new secret; the old one signs too for 24 hours",
		Build:   buildRotateWebhookSecret,
	}
	ListWebhookDeliveries = &Route{
		Name: "list-webhook-deliveries", Method: "GET", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries", Auth: JWT, Permission: roles.SettingsManage,
		Reads: readEndpoint, Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors, app.KeyWebhooks},
		List:    Paged,
		Summary: "A webhook endpoint's deliveries, newest first",
		Build:   buildListWebhookDeliveries,
	}
	RedeliverWebhook = &Route{
		Name: "redeliver-webhook", Method: "POST", Path: "/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", Auth: JWT, Permission: roles.SettingsManage,
		// The webhook service holds the key that seals the endpoints' secrets.
		Keys:  []string{app.KeyWebhooks},
		Reads: readEndpoint, Actions: []string{ddbBatchGet, ddbCheck, ddbPut},
		Summary: "Attempt a delivery once more, now",
		Build:   buildRedeliverWebhook,
	}
)

var webhookRoutes = []*Route{ListWebhooks, CreateWebhook, UpdateWebhook, DeleteWebhook, RotateWebhookSecret, ListWebhookDeliveries, RedeliverWebhook}
