package apitest

import (
	"fmt"
	"net/http"

	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// MakeToken is POST .../me/tokens as c; it fails the test unless it answers 201, and returns
// the token's id and text.
func (a *API) MakeToken(c orgs.Caller, orgID, name string) (id, text string) {
	a.T.Helper()
	r := a.Do(tokensapi.CreateMyToken, &c, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"name":%q}`, name))
	if r.Status != http.StatusCreated {
		a.T.Fatalf("create token: %d %s", r.Status, r.Body)
	}
	if r.Calls > 2 {
		a.T.Errorf("create token made %d DynamoDB calls, want at most 2", r.Calls)
	}
	m := r.JSON(a.T)
	id, _ = m["id"].(string)
	text, _ = m["token"].(string)
	return id, text
}

// Want fails the test unless r has the status.
func (a *API) Want(r Reply, status int) {
	a.T.Helper()
	if r.Status != status {
		a.T.Fatalf("%d %s, want %d", r.Status, r.Body, status)
	}
}

// EventsOf is the org's event log as its admin ada reads it.
func (a *API) EventsOf(orgID string) []map[string]any {
	a.T.Helper()
	ada := Person("ada")
	r := a.Do(eventsapi.ListEvents, &ada, map[string]string{"orgId": orgID}, map[string]string{"limit": "200"}, "")
	if r.Status != http.StatusOK {
		a.T.Fatalf("events: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	items, _ := r.JSON(a.T)["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}
