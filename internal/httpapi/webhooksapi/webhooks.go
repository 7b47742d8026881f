package webhooksapi

import (
	"context"
	"net/http"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/webhooks"
	"github.com/vendorportal/orgs/internal/webhooks/signature"
)

// The webhook routes' handlers: endpoints, their secrets, their deliveries.

type webhookJSON struct {
	ID          string            `json:"id"`
	URL         string            `json:"url"`
	Description *string           `json:"description"`
	Events      []string          `json:"events"`
	Enabled     bool              `json:"enabled"`
	CreatedAt   httpapi.Timestamp `json:"createdAt"`
}

// webhookWithSecretJSON is the answer that shows the secret: creation (and its replay).
type webhookWithSecretJSON struct {
	webhookJSON
	Secret string `json:"secret"`
}

func webhookOut(e webhooks.Endpoint) webhookJSON {
	return webhookJSON{ID: e.ID, URL: e.URL, Description: httpapi.Nullable(e.Description), Events: append([]string{}, e.Events...), Enabled: e.Enabled, CreatedAt: httpapi.Timestamp(e.CreatedAt)}
}

type deliveryJSON struct {
	ID             string            `json:"id"`
	EventID        string            `json:"eventId"`
	Type           string            `json:"type"`
	Status         string            `json:"status"`
	Attempts       int               `json:"attempts"`
	LastStatusCode *int              `json:"lastStatusCode"`
	LastAttemptAt  httpapi.Timestamp `json:"lastAttemptAt"`
	NextAttemptAt  httpapi.Timestamp `json:"nextAttemptAt"`
}

func deliveryOut(d webhooks.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, EventID: d.EventID, Type: d.Type, Status: string(d.Status), Attempts: d.Attempts,
		LastAttemptAt: httpapi.Timestamp(d.LastAttemptAt), NextAttemptAt: httpapi.Timestamp(d.NextAttemptAt)}
	if d.LastStatus != 0 {
		code := d.LastStatus
		out.LastStatusCode = &code
	}
	return out
}

func buildListWebhooks(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		eps, err := svc.List(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[webhookJSON]{Items: make([]webhookJSON, len(eps))}
		for i, e := range eps {
			out.Items[i] = webhookOut(e)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildCreateWebhook(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			URL         string   `json:"url"`
			Description string   `json:"description"`
			Events      []string `json:"events"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		ep, secret, err := svc.Create(ctx, req.Access, webhooks.Input{URL: in.URL, Description: in.Description, Events: in.Events})
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, webhookWithSecretJSON{webhookOut(ep), string(secret)}), nil
	}
}

// readEndpoint has the authorization step read the endpoint the path names, and the
// delivery of it when the path names one.
func readEndpoint(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{webhooks.EndpointRead{ID: req.Path("webhookId"), DeliveryID: req.Path("deliveryId")}}
}

// replayCreateWebhook answers a repeated creation with the endpoint the first request
// created, and its current secret (the caller is the one who was shown it).
func replayCreateWebhook(env *app.Env) httpapi.Replayer {
	orgSvc, svc := env.Orgs(), env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := orgSvc.AuthorizeFor(ctx, req.Caller, req.Path("orgId"), orgs.Subject{Reads: []orgs.Read{webhooks.EndpointRead{ID: created.ID}}})
		if err != nil {
			return nil, err
		}
		ep, err := webhooks.EndpointOf(a)
		if err != nil {
			return nil, apperr.New(apperr.NotFound, "the webhook this key created is gone")
		}
		secret, err := svc.Secret(ep)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, webhookWithSecretJSON{webhookOut(ep), string(secret)}), nil
	}
}

func buildUpdateWebhook(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if _, err := webhooks.EndpointOf(req.Access); err != nil {
			return nil, err
		}
		var in struct {
			URL         httpapi.Optional[string]   `json:"url"`
			Description httpapi.Optional[string]   `json:"description"`
			Events      httpapi.Optional[[]string] `json:"events"`
			Enabled     httpapi.Optional[bool]     `json:"enabled"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.URL.Null || in.Events.Null || in.Enabled.Null {
			return nil, apperr.New(apperr.Invalid, "url, events and enabled can't be null")
		}
		ep, err := svc.Update(ctx, req.Access, webhooks.Patch{URL: in.URL.Ptr(), Description: in.Description.Ptr(), Events: in.Events.Ptr(), Enabled: in.Enabled.Ptr()})
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, webhookOut(ep)), nil
	}
}

func buildDeleteWebhook(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Delete(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

func buildRotateWebhookSecret(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		secret, err := svc.RotateSecret(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, struct {
			Secret signature.Secret `json:"secret"`
		}{secret}), nil
	}
}

func buildListWebhookDeliveries(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		ep, err := webhooks.EndpointOf(req.Access)
		if err != nil {
			return nil, err
		}
		// The cursor is bound to the endpoint: another's deliveries can't be paged with it.
		query := "webhook=" + ep.ID
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.Deliveries(ctx, req.Access, p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[deliveryJSON]{Items: make([]deliveryJSON, len(page.Deliveries)), NextCursor: req.Cursor(query, page.Next)}
		for i, d := range page.Deliveries {
			out.Items[i] = deliveryOut(d)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildRedeliverWebhook(env *app.Env) httpapi.Handler {
	svc := env.Webhooks()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		d, err := svc.Redeliver(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusAccepted, deliveryOut(d)), nil
	}
}
