package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// A setting that adds people or sends data out needs the permissions of what it adds or
// sends: a role holding settings.manage alone can't turn autoJoin on (it adds members:
// members.manage) nor point a webhook anywhere (it sends the event log out: events.read).
func TestSettingsThatAddPeopleOrSendDataOutNeedThosePermissions(t *testing.T) {
	a := newAPI(t)
	a.env.Config.AllowLoopbackWebhooks = true
	ada, sam, eve := a.caller("ada"), a.caller("sam"), a.caller("eve")
	a.account(ada)
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	role := func(name string, perms ...roles.Permission) roles.Role {
		body, _ := json.Marshal(map[string]any{"name": name, "description": "", "permissions": perms})
		r := a.do(CreateRole, &ada, org, nil, string(body))
		if r.status != 201 {
			t.Fatalf("create role %s: %d %s", name, r.status, r.body)
		}
		return roles.Role(r.json(t)["id"].(string))
	}
	a.member(orgID, sam, role("Settings", roles.OrgRead, roles.SettingsRead, roles.SettingsManage))
	a.member(orgID, eve, role("Settings and events", roles.OrgRead, roles.SettingsRead, roles.SettingsManage, roles.EventsRead, roles.MembersManage))
	hook := `{"url":"http://127.0.0.1:9/hook","description":"SIEM","events":["*"]}`
	for _, c := range []struct {
		name string
		r    *Route
		who  *orgs.Caller
		body string
		want int
	}{
		{"autoJoin join with settings.manage alone", UpdateOrg, &sam, `{"autoJoin":"join"}`, 403},
		{"autoJoin suggest with settings.manage alone", UpdateOrg, &sam, `{"autoJoin":"suggest"}`, 403},
		{"autoJoin off with settings.manage alone", UpdateOrg, &sam, `{"autoJoin":"off"}`, 200},
		{"other settings with settings.manage alone", UpdateOrg, &sam, `{"displayName":"Acme Inc"}`, 200},
		{"a webhook with settings.manage alone", CreateWebhook, &sam, hook, 403},
		{"autoJoin join with members.manage too", UpdateOrg, &eve, `{"autoJoin":"join"}`, 200},
		{"a webhook with events.read too", CreateWebhook, &eve, hook, 201},
	} {
		if r := a.do(c.r, c.who, org, nil, c.body); r.status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.want)
		}
	}
}
