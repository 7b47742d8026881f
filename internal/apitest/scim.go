package apitest

import (
	"net/url"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// SCIMToken makes the org's SCIM token as its admin.
func (a *API) SCIMToken(admin orgs.Caller, orgID string) string {
	a.T.Helper()
	r := a.Do(scimapi.CreateSCIMToken, &admin, map[string]string{"orgId": orgID}, nil, "")
	if r.Status != 201 {
		a.T.Fatalf("SCIM token: %d %s", r.Status, r.Body)
	}
	return r.JSON(a.T)["token"].(string)
}

// SCIMRequest is a SCIM call with the bearer token.
func (a *API) SCIMRequest(r *httpapi.Route, token string, params map[string]string, query url.Values, body string) events.APIGatewayV2HTTPRequest {
	ev := a.Request(r, nil, params, query, body)
	ev.Headers = map[string]string{"authorization": "Bearer " + token, "content-type": "application/scim+json"}
	return ev
}

func (a *API) SCIM(r *httpapi.Route, token string, params map[string]string, query map[string]string, body string) Reply {
	a.T.Helper()
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	resp, calls := a.Invoke(r, a.SCIMRequest(r, token, params, q, body))
	return Reply{Status: resp.StatusCode, Body: resp.Body, Calls: calls}
}
