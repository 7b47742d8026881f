package orgsapi_test

import (
	"encoding/json"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/httpapi/webhooksapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// A setting that adds people or sends data out needs the permissions of what it adds or
// sends: a role holding settings.manage alone can't turn autoJoin on (it adds members:
// members.manage) nor point a webhook anywhere (it sends the event log out: events.read).
func TestSettingsThatAddPeopleOrSendDataOutNeedThosePermissions(t *testing.T) {
	a := apitest.NewAPI(t)
	a.Env.Config.AllowLoopbackWebhooks = true
	ada, sam, eve := a.Caller("ada"), a.Caller("sam"), a.Caller("eve")
	a.Account(ada)
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	role := func(name string, perms ...roles.Permission) roles.Role {
		body, _ := json.Marshal(map[string]any{"name": name, "description": "", "permissions": perms})
		r := a.Do(rolesapi.CreateRole, &ada, org, nil, string(body))
		if r.Status != 201 {
			t.Fatalf("create role %s: %d %s", name, r.Status, r.Body)
		}
		return roles.Role(r.JSON(t)["id"].(string))
	}
	a.Member(orgID, sam, role("Settings", roles.OrgRead, roles.SettingsRead, roles.SettingsManage))
	a.Member(orgID, eve, role("Settings and events", roles.OrgRead, roles.SettingsRead, roles.SettingsManage, roles.EventsRead, roles.MembersManage))
	hook := `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["*"]}`
	for _, c := range []struct {
		name string
		r    *httpapi.Route
		who  *orgs.Caller
		body string
		want int
	}{
		{"autoJoin join with settings.manage alone", orgsapi.UpdateOrg, &sam, `{"autoJoin":"join"}`, 403},
		{"autoJoin suggest with settings.manage alone", orgsapi.UpdateOrg, &sam, `{"autoJoin":"suggest"}`, 403},
		{"autoJoin off with settings.manage alone", orgsapi.UpdateOrg, &sam, `{"autoJoin":"off"}`, 200},
		{"other settings with settings.manage alone", orgsapi.UpdateOrg, &sam, `{"displayName":"Acme Inc"}`, 200},
		{"a webhook with settings.manage alone", webhooksapi.CreateWebhook, &sam, hook, 403},
		{"autoJoin join with members.manage too", orgsapi.UpdateOrg, &eve, `{"autoJoin":"join"}`, 200},
		{"a webhook with events.read too", webhooksapi.CreateWebhook, &eve, hook, 201},
	} {
		if r := a.Do(c.r, c.who, org, nil, c.body); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
	}
}
