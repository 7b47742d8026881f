package invitesapi

import (
	"context"
	"net/http"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
)

type inviteJSON struct {
	ID         string             `json:"id"`
	Email      string             `json:"email"`
	Role       string             `json:"role"`
	Status     string             `json:"status"`
	InvitedBy  httpapi.PersonJSON `json:"invitedBy"`
	CreatedAt  httpapi.Timestamp  `json:"createdAt"`
	ExpiresAt  httpapi.Timestamp  `json:"expiresAt"`
	LastSentAt httpapi.Timestamp  `json:"lastSentAt"`
	// Delivery is how the invite's email fares: pending (in the outbox, being sent), sent,
	// or failed (the last attempt failed; the outbox retries it with a backoff).
	Delivery string `json:"delivery"`
	// DeliveryStatus is Delivery under its first name, kept for the clients that read it.
	DeliveryStatus string `json:"deliveryStatus"`
}

// inviteOut renders an invite as of now: a pending invite past its expiry is expired.
func inviteOut(i invites.Invite, now time.Time) inviteJSON {
	return inviteJSON{
		ID: i.ID, Email: i.Email, Role: string(i.Role), Status: string(i.StatusAt(now)),
		InvitedBy: httpapi.PersonJSON(i.InvitedBy), CreatedAt: httpapi.Timestamp(i.CreatedAt),
		ExpiresAt: httpapi.Timestamp(i.ExpiresAt), LastSentAt: httpapi.Timestamp(i.LastSentAt),
		Delivery: string(i.Delivery), DeliveryStatus: string(i.Delivery),
	}
}

type inviteInputJSON struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

func buildCreateInvite(env *app.Env) httpapi.Handler {
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in inviteInputJSON
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		inv, err := svc.Create(ctx, req.Access, invites.Input(in))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, inviteOut(inv, svc.Now())), nil
	}
}

func buildCreateInvitesBulk(env *app.Env) httpapi.Handler {
	type errorJSON struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	type resultJSON struct {
		Index  int         `json:"index"`
		Status string      `json:"status"`
		Error  *errorJSON  `json:"error"`
		Invite *inviteJSON `json:"invite"`
	}
	type resultsJSON struct {
		Results []resultJSON `json:"results"`
	}
	svc, keep := env.Invites(), env.Store()
	log := env.Log.With("route", "create-invites-bulk")
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Invites []inviteInputJSON `json:"invites"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		ins := make([]invites.Input, len(in.Invites))
		for i, x := range in.Invites {
			ins[i] = invites.Input(x)
		}
		results, err := svc.CreateMany(ctx, req.Access, ins)
		if err != nil {
			return nil, err
		}
		now := svc.Now()
		out := resultsJSON{Results: make([]resultJSON, len(results))}
		for i, r := range results {
			out.Results[i] = resultJSON{Index: i, Status: "created"}
			if r.Err != nil {
				if apperr.KindOf(r.Err) == apperr.Internal {
					log.ErrorContext(ctx, "bulk invite failed", "index", i, "error", r.Err)
				}
				b := httpapi.ErrorResponse(r.Err).Body.(httpapi.ErrorBody)
				out.Results[i].Status, out.Results[i].Error = "error", &errorJSON{Code: b.Error.Code, Message: b.Error.Message}
				continue
			}
			inv := inviteOut(r.Invite, now)
			out.Results[i].Invite = &inv
		}
		first := ""
		for _, r := range results {
			if r.Err == nil {
				first = r.Invite.ID
				break
			}
		}
		return httpapi.BulkAnswer(ctx, req, keep, log, first, out)
	}
}

func buildListInvites(env *app.Env) httpapi.Handler {
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		status := req.Query("status")
		query := "status=" + status
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(ctx, req.Access, status, p)
		if err != nil {
			return nil, err
		}
		now := svc.Now()
		out := httpapi.ListJSON[inviteJSON]{Items: make([]inviteJSON, len(page.Invites)), NextCursor: req.Cursor(query, page.Next)}
		for i, inv := range page.Invites {
			out.Items[i] = inviteOut(inv, now)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildResendInvite(env *app.Env) httpapi.Handler {
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		inv, err := svc.Resend(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, inviteOut(inv, svc.Now())), nil
	}
}

func buildRevokeInvite(env *app.Env) httpapi.Handler {
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Revoke(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

func buildPreviewInvite(env *app.Env) httpapi.Handler {
	type previewJSON struct {
		OrgName   string             `json:"orgName"`
		Role      string             `json:"role"`
		InvitedBy httpapi.PersonJSON `json:"invitedBy"`
		ExpiresAt httpapi.Timestamp  `json:"expiresAt"`
		Status    string             `json:"status"`
	}
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		p, err := svc.Preview(ctx, req.Path("token"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, previewJSON{
			OrgName: p.OrgName, Role: string(p.Role), InvitedBy: httpapi.PersonJSON(p.InvitedBy),
			ExpiresAt: httpapi.Timestamp(p.ExpiresAt), Status: string(p.Status),
		}), nil
	}
}

func buildAcceptInvite(env *app.Env) httpapi.Handler {
	type membershipJSON struct {
		OrgID string `json:"orgId"`
		httpapi.MemberJSON
	}
	svc := env.Invites()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Token string `json:"token"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Token == "" {
			return nil, apperr.New(apperr.Invalid, "token is required")
		}
		m, err := svc.Accept(ctx, req.Caller, in.Token)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, membershipJSON{OrgID: m.OrgID, MemberJSON: httpapi.MemberOut(orgs.Org{}, m)}), nil
	}
}

// replayCreateInvite answers a repeated invite creation with the invite the first request
// created, as it is now: read with the caller's membership in one round trip.
func replayCreateInvite(env *app.Env) httpapi.Replayer {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := svc.AuthorizeFor(ctx, req.Caller, req.Path("orgId"), orgs.Subject{Reads: []orgs.Read{invites.InviteRead{ID: created.ID}}})
		if err != nil {
			return nil, err
		}
		if invites.InviteOf(a) == nil {
			return nil, apperr.New(apperr.NotFound, "the invite this key created is gone")
		}
		return httpapi.JSON(http.StatusCreated, inviteOut(*invites.InviteOf(a), env.Now())), nil
	}
}

// readInvite is the read of the invite routes: the invite their {inviteId} names.
func readInvite(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{invites.InviteRead{ID: req.Path("inviteId")}}
}
