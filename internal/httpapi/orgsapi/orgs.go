package orgsapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func buildGetConfig(env *app.Env) httpapi.Handler {
	type configJSON struct {
		Region           string `json:"region"`
		UserPoolID       string `json:"userPoolId"`
		UserPoolClientID string `json:"userPoolClientId"`
		Issuer           string `json:"issuer"`
		CognitoEndpoint  string `json:"cognitoEndpoint,omitempty"`
	}
	c := env.Config
	body := configJSON{c.Region, c.UserPoolID, c.UserPoolClientID, c.Issuer, c.CognitoEndpoint}
	return func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
		return httpapi.JSON(http.StatusOK, body), nil
	}
}

func buildCreateOrg(env *app.Env) httpapi.Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Name                    string `json:"name"`
			Handle                  string `json:"handle"`
			ContactName             string `json:"contactName"`
			ContactEmail            string `json:"contactEmail"`
			CompanyName             string `json:"companyName"`
			JobTitle                string `json:"jobTitle"`
			SupportTicketVisibility string `json:"supportTicketVisibility"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		v, err := svc.Create(ctx, req.Caller, orgs.CreateInput{
			Name: in.Name, Handle: in.Handle, ContactName: in.ContactName, ContactEmail: in.ContactEmail,
			CompanyName: in.CompanyName, JobTitle: in.JobTitle,
			SupportTicketVisibility: orgs.Visibility(in.SupportTicketVisibility),
		})
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, orgOut(v)), nil
	}
}

// buildListOrgs answers the org switcher. A user's orgs are read whole (one Query and one
// BatchGet) and sorted, personal first; limit and cursor page through that list, the cursor
// holding the offset.
func buildListOrgs(env *app.Env) httpapi.Handler {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		page, err := req.Page("orgs")
		if err != nil {
			return nil, err
		}
		offset, _ := strconv.Atoi(page.After)
		views, err := svc.List(ctx, req.Caller)
		if err != nil {
			return nil, err
		}
		views = views[min(offset, len(views)):]
		var out httpapi.ListJSON[orgJSON]
		if len(views) > page.Limit {
			views = views[:page.Limit]
			out.NextCursor = req.Cursor("orgs", strconv.Itoa(offset+page.Limit))
		}
		out.Items = make([]orgJSON, len(views))
		for i, v := range views {
			out.Items[i] = orgOut(v)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildGetOrg(*app.Env) httpapi.Handler {
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		a := req.Access
		return httpapi.JSON(http.StatusOK, orgOut(orgs.OrgView{Org: a.Org, Role: a.Member.Role})), nil
	}
}

// replayCreateOrg answers a repeated POST /v1/orgs with the org the first one created, as the
// caller sees it now.
func replayCreateOrg(env *app.Env) httpapi.Replayer {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := svc.Authorize(ctx, req.Caller, created.ID, roles.OrgRead)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, orgOut(orgs.OrgView{Org: a.Org, Role: a.Member.Role})), nil
	}
}
