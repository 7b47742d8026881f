package routes_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/sheets"
)

// allowedByContract spells out, from API.md, which roles may use each org route; routes not
// listed (added by later features) are held to the role matrix for their permission.
var allowedByContract = map[string][]roles.Role{
	"get-org":             roles.All,
	"list-members":        {roles.Admin, roles.ViewerAdmin},
	"update-member":       {roles.Admin},
	"remove-member":       {roles.Admin}, // and anyone removing themself
	"list-invites":        {roles.Admin, roles.ViewerAdmin},
	"create-invite":       {roles.Admin}, // and user with membersCanInvite
	"create-invites-bulk": {roles.Admin}, // and user with membersCanInvite
	"resend-invite":       {roles.Admin},
	"revoke-invite":       {roles.Admin},
}

func allowed(r *httpapi.Route, role roles.Role, membersCanInvite bool) bool {
	want, ok := allowedByContract[r.Name]
	if !ok {
		return r.AllowedBy(role.Has)
	}
	if membersCanInvite && role == roles.User && (r.Name == "create-invite" || r.Name == "create-invites-bulk") {
		return true
	}
	return slices.Contains(want, role)
}

func TestEveryOrgRouteAllowsExactlyTheContractsRoles(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	h.Env.UseDirectory(apitest.NewFakeDirectory())
	h.Env.UseSpreadsheets(sheets.XLSX{})
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	members := map[roles.Role]orgs.Caller{roles.Admin: ada}
	for _, r := range roles.All[1:] {
		c := h.Caller(string(r))
		h.Join(orgID, ada, c, r)
		members[r] = c
	}
	target := h.Caller("target")
	h.Join(orgID, ada, target, roles.SupportOnly)
	a, _ := h.Env.Orgs().Authorize(context.Background(), ada, orgID, "")
	inv, err := h.Inviter().Create(context.Background(), a, invites.Input{Email: h.Address("pending"), Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	body := func(r *httpapi.Route) string {
		n++
		switch r.Name {
		case "update-member":
			return `{"role":"support_only"}`
		case "update-org":
			return `{"billingContacts":[]}`
		case "create-invite":
			return fmt.Sprintf(`{"email":%q,"role":"support_only"}`, h.Address(fmt.Sprint("new", n)))
		case "create-invites-bulk":
			return fmt.Sprintf(`{"invites":[{"email":%q,"role":"user"}]}`, h.Address(fmt.Sprint("bulk", n)))
		}
		return ""
	}
	for _, mci := range []bool{false, true} {
		h.SetMembersCanInvite(orgID, mci)
		for _, r := range routes.All() {
			if !r.OrgScoped() {
				continue
			}
			for _, role := range roles.All {
				c := members[role]
				params := map[string]string{"orgId": orgID, "userId": target.ID, "inviteId": inv.ID}
				got := h.Do(r, &c, params, nil, body(r))
				if want := allowed(r, role, mci); want == (got.Status == 403) {
					t.Errorf("%s as %s (membersCanInvite %v): %d %s; want allowed=%v", r.Name, role, mci, got.Status, got.Body, want)
				}
			}
		}
	}
	// Anyone may remove themself: leaving.
	uma := members[roles.User]
	if got := h.Do(membersapi.RemoveMember, &uma, map[string]string{"orgId": orgID, "userId": uma.ID}, nil, ""); got.Status != 204 {
		t.Errorf("a user leaving: %d %s", got.Status, got.Body)
	}
	// A removed member's token gets 404 at once.
	if got := h.Do(orgsapi.GetOrg, &uma, map[string]string{"orgId": orgID}, nil, ""); got.Status != 404 {
		t.Errorf("after leaving: %d", got.Status)
	}
	// A stranger learns nothing.
	eve := h.Caller("eve")
	if got := h.Do(membersapi.ListMembers, &eve, map[string]string{"orgId": orgID}, nil, ""); got.Status != 404 {
		t.Errorf("a stranger: %d", got.Status)
	}
}
