package licensingapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
)

type trialJSON struct {
	Days      int `json:"days"`
	NodeLimit int `json:"nodeLimit"`
}

type productJSON struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Description      string     `json:"description"`
	Availability     string     `json:"availability"`
	Trial            *trialJSON `json:"trial"`
	AgreementVersion *string    `json:"agreementVersion"`
}

func productOut(p licensing.Product) productJSON {
	out := productJSON{ID: p.ID, Name: p.Name, Description: p.Description, Availability: string(p.Availability),
		AgreementVersion: httpapi.Nullable(p.AgreementVersion)}
	if p.Trial != nil {
		out.Trial = &trialJSON{Days: p.Trial.Days, NodeLimit: p.Trial.NodeLimit}
	}
	return out
}

type agreementJSON struct {
	Version    string             `json:"version"`
	AcceptedAt httpapi.Timestamp  `json:"acceptedAt"`
	AcceptedBy httpapi.PersonJSON `json:"acceptedBy"`
}

type licenseJSON struct {
	ID          string            `json:"id"`
	ProductID   string            `json:"productId"`
	ProductName string            `json:"productName"`
	Type        string            `json:"type"`
	Status      string            `json:"status"`
	StartsAt    httpapi.Timestamp `json:"startsAt"`
	EndsAt      httpapi.Timestamp `json:"endsAt"`
	NodeLimit   *int              `json:"nodeLimit"`
	SeatLimit   *int              `json:"seatLimit"`
	SeatsUsed   int               `json:"seatsUsed"`
	CreatedAt   httpapi.Timestamp `json:"createdAt"`
	Agreement   *agreementJSON    `json:"agreement"`
}

// licenseOut renders a license as of now: its status is computed, not stored.
func licenseOut(l licensing.License, now time.Time) licenseJSON {
	out := licenseJSON{
		ID: l.ID, ProductID: l.ProductID, ProductName: l.ProductName, Type: string(l.Type),
		Status: string(l.Status(now)), StartsAt: httpapi.Timestamp(l.StartsAt), EndsAt: httpapi.Timestamp(l.EndsAt),
		NodeLimit: l.NodeLimit, SeatLimit: l.SeatLimit, SeatsUsed: l.SeatsUsed, CreatedAt: httpapi.Timestamp(l.CreatedAt),
	}
	if a := l.Agreement; a != nil {
		out.Agreement = &agreementJSON{Version: a.Version, AcceptedAt: httpapi.Timestamp(a.AcceptedAt), AcceptedBy: httpapi.PersonJSON(a.AcceptedBy)}
	}
	return out
}

type seatJSON struct {
	UserID     string            `json:"userId"`
	Email      string            `json:"email"`
	AssignedAt httpapi.Timestamp `json:"assignedAt"`
}

func seatOut(s licensing.Seat) seatJSON {
	return seatJSON{UserID: s.UserID, Email: s.Email, AssignedAt: httpapi.Timestamp(s.AssignedAt)}
}

func buildListCatalogProducts(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		p, err := req.Page("catalog")
		if err != nil {
			return nil, err
		}
		page, err := svc.Catalog(ctx, p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[productJSON]{Items: make([]productJSON, len(page.Products)), NextCursor: req.Cursor("catalog", page.Next)}
		for i, pr := range page.Products {
			out.Items[i] = productOut(pr)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildGetCatalogProduct(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		p, err := svc.Product(ctx, req.Path("productId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, productOut(p)), nil
	}
}

func buildPutProduct(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name             string     `json:"name"`
			Description      *string    `json:"description"`
			Availability     string     `json:"availability"`
			Trial            *trialJSON `json:"trial"`
			AgreementVersion *string    `json:"agreementVersion"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		pi := licensing.ProductInput{Name: in.Name, Availability: licensing.Availability(in.Availability)}
		if in.Description != nil {
			pi.Description = *in.Description
		}
		if in.AgreementVersion != nil {
			pi.AgreementVersion = *in.AgreementVersion
		}
		if in.Trial != nil {
			pi.Trial = &licensing.TrialTerms{Days: in.Trial.Days, NodeLimit: in.Trial.NodeLimit}
		}
		p, err := svc.PutProduct(ctx, req.Caller, req.Path("productId"), pi)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, productOut(p)), nil
	}
}

// licenseList renders a page of licenses.
func licenseList(req *httpapi.Request, query string, page licensing.LicensePage, now time.Time) *httpapi.Response {
	out := httpapi.ListJSON[licenseJSON]{Items: make([]licenseJSON, len(page.Licenses)), NextCursor: req.Cursor(query, page.Next)}
	for i, l := range page.Licenses {
		out.Items[i] = licenseOut(l, now)
	}
	return httpapi.JSON(http.StatusOK, out)
}

func buildListLicenses(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		status := req.Query("status")
		query := "licenses\x00" + req.Access.Org.ID + "\x00status=" + status
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(ctx, req.Access, status, p)
		if err != nil {
			return nil, err
		}
		return licenseList(req, query, page, svc.Now()), nil
	}
}

type trialInputJSON struct {
	ProductID        string `json:"productId"`
	AgreementVersion string `json:"agreementVersion"`
}

// readTrialProduct has the authorization step read the product the body names.
func readTrialProduct(req *httpapi.Request, _ time.Time) []orgs.Read {
	var in trialInputJSON
	if json.Unmarshal(req.Body(), &in) != nil {
		return nil
	}
	return licensing.ReadProduct(in.ProductID)
}

// readLicense has the authorization step read the license the path names, and the seat of
// the path's user.
func readLicense(req *httpapi.Request, _ time.Time) []orgs.Read {
	return licensing.ReadLicense(req.Path("licenseId"), req.Path("userId"))
}

func buildStartTrial(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in trialInputJSON
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		l, err := svc.StartTrial(ctx, req.Access, licensing.TrialInput(in))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, licenseOut(l, svc.Now())), nil
	}
}

func buildListSeats(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		query := "seats\x00" + req.Access.Org.ID + "\x00" + req.Path("licenseId")
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.Seats(ctx, req.Access, req.Path("licenseId"), p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[seatJSON]{Items: make([]seatJSON, len(page.Seats)), NextCursor: req.Cursor(query, page.Next)}
		for i, s := range page.Seats {
			out.Items[i] = seatOut(s)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildAssignSeat(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if len(strings.TrimSpace(string(req.Body()))) > 0 && strings.TrimSpace(string(req.Body())) != "{}" {
			return nil, apperr.New(apperr.Invalid, "this route takes no body")
		}
		s, err := svc.AssignSeat(ctx, req.Access, req.Path("licenseId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, seatOut(s)), nil
	}
}

func buildReleaseSeat(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.ReleaseSeat(ctx, req.Access, req.Path("licenseId"), req.Path("userId")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

type operatorOrgJSON struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	Handle    string            `json:"handle"`
	Name      string            `json:"name"`
	CreatedAt httpapi.Timestamp `json:"createdAt"`
}

func buildFindOrgs(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		found, err := svc.FindOrg(ctx, req.Query("handle"))
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[operatorOrgJSON]{Items: make([]operatorOrgJSON, len(found))}
		for i, o := range found {
			out.Items[i] = operatorOrgJSON{ID: o.ID, Kind: string(o.Kind), Handle: o.Handle, Name: o.Name, CreatedAt: httpapi.Timestamp(o.CreatedAt)}
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildOperatorListLicenses(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		query := "operator-licenses\x00" + req.Path("orgId")
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.OrgLicenses(ctx, req.Path("orgId"), p)
		if err != nil {
			return nil, err
		}
		return licenseList(req, query, page, svc.Now()), nil
	}
}

// parseTime reads an optional RFC 3339 time field; nil when absent or null.
func parseTime(field string, o httpapi.Optional[string]) (*time.Time, error) {
	if !o.Set || o.Null {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, o.Value)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "%s must be an RFC 3339 time such as 2026-11-22T10:00:00Z", field)
	}
	return &t, nil
}

func buildGrantLicense(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			ProductID string                   `json:"productId"`
			Type      string                   `json:"type"`
			StartsAt  httpapi.Optional[string] `json:"startsAt"`
			EndsAt    httpapi.Optional[string] `json:"endsAt"`
			NodeLimit *int                     `json:"nodeLimit"`
			SeatLimit *int                     `json:"seatLimit"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		g := licensing.GrantInput{ProductID: in.ProductID, Type: licensing.Type(in.Type), NodeLimit: in.NodeLimit, SeatLimit: in.SeatLimit}
		var err error
		if g.StartsAt, err = parseTime("startsAt", in.StartsAt); err != nil {
			return nil, err
		}
		if g.EndsAt, err = parseTime("endsAt", in.EndsAt); err != nil {
			return nil, err
		}
		l, err := svc.Grant(ctx, req.Caller, req.Path("orgId"), g)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, licenseOut(l, svc.Now())), nil
	}
}

func buildUpdateLicense(env *app.Env) httpapi.Handler {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			EndsAt    httpapi.Optional[string] `json:"endsAt"`
			NodeLimit httpapi.Optional[int]    `json:"nodeLimit"`
			SeatLimit httpapi.Optional[int]    `json:"seatLimit"`
			Status    httpapi.Optional[string] `json:"status"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		ch := licensing.Change{SetEndsAt: in.EndsAt.Set, SetNodeLimit: in.NodeLimit.Set, SetSeatLimit: in.SeatLimit.Set}
		var err error
		if ch.EndsAt, err = parseTime("endsAt", in.EndsAt); err != nil {
			return nil, err
		}
		if in.NodeLimit.Set && !in.NodeLimit.Null {
			ch.NodeLimit = &in.NodeLimit.Value
		}
		if in.SeatLimit.Set && !in.SeatLimit.Null {
			ch.SeatLimit = &in.SeatLimit.Value
		}
		if in.Status.Set {
			if in.Status.Null || in.Status.Value != string(licensing.Revoked) {
				return nil, apperr.New(apperr.Invalid, `status may only be set to "revoked"`)
			}
			ch.Revoke = true
		}
		l, err := svc.Update(ctx, req.Caller, req.Path("orgId"), req.Path("licenseId"), ch)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, licenseOut(l, svc.Now())), nil
	}
}

// replayLicense answers a repeated trial or grant (same Idempotency-Key, same body) with the
// license the first request created.
func replayLicense(env *app.Env) httpapi.Replayer {
	svc := env.Licensing()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		l, err := svc.License(ctx, req.Path("orgId"), created.ID)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, licenseOut(l, svc.Now())), nil
	}
}
