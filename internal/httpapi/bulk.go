package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// A bulk request with an Idempotency-Key (the invites', the members') claims the key in the
// transaction of the first item it creates, whose id the key's record names; its whole
// response is kept under that id for a day, and a replay answers with it.

// bulkResponses keeps and reads bulk responses (dynamo.Store).
type bulkResponses interface {
	SaveBulkResponse(ctx context.Context, orgID, firstID string, body []byte) error
	BulkResponse(ctx context.Context, orgID, firstID string) ([]byte, error)
}

// BulkAnswer is the 200 of a bulk request with body out. With an Idempotency-Key, it keeps
// the body under firstID, the first item created ("" when none was: nothing was written, and
// a replay runs anew).
func BulkAnswer(ctx context.Context, req *Request, keep bulkResponses, log *slog.Logger, firstID string, out any) (*Response, error) {
	if req.Event.Headers["idempotency-key"] == "" || firstID == "" {
		return JSON(http.StatusOK, out), nil
	}
	body, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	if err := keep.SaveBulkResponse(ctx, req.Access.Org.ID, firstID, body); err != nil {
		log.WarnContext(ctx, "keep the bulk response for its Idempotency-Key", "error", err)
	}
	return &Response{Status: http.StatusOK, Raw: body, ContentType: "application/json"}, nil
}

// ReplayBulk answers a repeated bulk request with the first one's response: the
// authorization's round trip (which found the key's record), then one read.
func ReplayBulk(env *app.Env) Replayer {
	authz, keep := env.Orgs(), env.Store()
	return func(ctx context.Context, req *Request, created audit.Target) (*Response, error) {
		a := req.Access // checked by the authorization step that found the replay
		if a.Org.ID == "" {
			var err error
			if a, err = authz.AuthorizeFor(ctx, req.Caller, req.Path("orgId"), orgs.Subject{}); err != nil {
				return nil, err
			}
		}
		body, err := keep.BulkResponse(ctx, a.Org.ID, created.ID)
		if apperr.Is(err, apperr.NotFound) {
			return nil, apperr.New(apperr.Conflict, "the first request with this Idempotency-Key is still being processed; try again in a moment")
		}
		if err != nil {
			return nil, err
		}
		return &Response{Status: http.StatusOK, Raw: body, ContentType: "application/json"}, nil
	}
}
