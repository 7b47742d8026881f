package app

import (
	"strings"

	"github.com/vendorportal/orgs/internal/scim"
)

// scimSlots are SCIM's services.
type scimSlots struct {
	service  slot[*scim.Service]
	creating slot[*scim.Service]
	tokens   slot[*scim.TokenAdmin]
}

// SCIM returns the SCIM 2.0 service that identity providers call.
func (e *Env) SCIM() *scim.Service {
	return get(&e.scim.service, func() *scim.Service {
		return &scim.Service{Store: scimStore{e.SCIMStore(), e.MembersStore()}, Now: e.Now, NewID: e.NewID, BaseURL: e.SCIMBaseURL()}
	})
}

// SCIMCreating returns the SCIM service that also creates users (the directory and the
// server's secret: what POST /Users needs).
func (e *Env) SCIMCreating() *scim.Service {
	return get(&e.scim.creating, func() *scim.Service {
		s := *e.SCIM()
		s.Creator = e.Provisioning()
		return &s
	})
}

// SCIMTokens returns what makes and revokes an org's SCIM token in the portal.
func (e *Env) SCIMTokens() *scim.TokenAdmin {
	return get(&e.scim.tokens, func() *scim.TokenAdmin {
		return &scim.TokenAdmin{Store: scimStore{e.SCIMStore(), e.MembersStore()}, Now: e.Now, NewID: e.NewID}
	})
}

// SCIMBaseURL is where identity providers reach the SCIM API: API_URL (the API's public base
// URL, e.g. https://api.example.com) + /v1/scim/v2.
func (e *Env) SCIMBaseURL() string {
	return strings.TrimRight(e.Config.APIURL, "/") + "/v1/scim/v2"
}
