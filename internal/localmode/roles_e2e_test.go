package localmode_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/testenv"
)

type roleObject struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Permissions []string `json:"permissions"`
	BuiltIn     bool     `json:"builtIn"`
	MemberCount int      `json:"memberCount"`
}

// joinAs has admin invite a new user as role over HTTP and the user accept from the link in
// the SES stand-in; it returns the new member's token and user id.
func (l *local) joinAs(orgID, admin, role string) (string, string) {
	l.t.Helper()
	email := "m" + fmt.Sprint(time.Now().UnixNano()) + "-" + testenv.UniqueAddress(l.t)
	l.do("POST", "/v1/orgs/"+orgID+"/invites", admin, fmt.Sprintf(`{"email":%q,"role":%q}`, email, role), 201, nil)
	mails := waitMails(l.t, l.ses, email, 1)
	if len(mails) != 1 {
		l.t.Fatalf("%d invite emails to %s", len(mails), email)
	}
	token := acceptLink.FindStringSubmatch(mails[0].Text)[2]
	idToken := l.user(email)
	var m member
	l.do("POST", "/v1/invites/accept", idToken, `{"token":"`+token+`"}`, 200, &m)
	if m.Role != role {
		l.t.Fatalf("joined as %s, want %s", m.Role, role)
	}
	return idToken, m.UserID
}

// TestCustomRoleEndToEnd: an admin defines "Release manager"; a member holding it gets
// exactly its permissions, can't define or give more than it holds, and sees a change of the
// role on their next call. (The token and license routes are not on this branch: the effects
// are shown on the member list, the event log and the org.)
func TestCustomRoleEndToEnd(t *testing.T) {
	l := startLocal(t)
	admin := l.user(testenv.UniqueAddress(t))
	var org struct {
		ID string `json:"id"`
	}
	l.do("POST", "/v1/orgs", admin, `{"name":"Acme"}`, 201, &org)
	base := "/v1/orgs/" + org.ID

	var rm roleObject
	l.do("POST", base+"/roles", admin,
		`{"name":"Release manager","description":"Ships releases","permissions":["token.view","token.regenerate","licenses.read"]}`, 201, &rm)
	if !strings.HasPrefix(rm.ID, "role_") || rm.BuiltIn || rm.MemberCount != 0 || !slices.Equal(rm.Permissions, []string{"token.view", "licenses.read", "token.regenerate"}) {
		t.Fatalf("created %+v", rm)
	}
	rel, relID := l.joinAs(org.ID, admin, rm.ID)

	// The member holds exactly the role's permissions.
	l.do("GET", base+"/members", rel, "", 403, nil)
	l.do("GET", base+"/events", rel, "", 403, nil)
	l.do("GET", base+"/roles", rel, "", 403, nil)
	l.do("POST", base+"/roles", rel, `{"name":"Boss","permissions":["members.manage"]}`, 403, nil)
	l.do("PATCH", base+"/roles/"+rm.ID, rel, `{"permissions":["token.view","members.manage"]}`, 403, nil)
	var me struct {
		Orgs []struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		} `json:"orgs"`
	}
	l.do("GET", "/v1/me", rel, "", 200, &me)
	if !slices.ContainsFunc(me.Orgs, func(o struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}) bool {
		return o.ID == org.ID && o.Role == rm.ID
	}) {
		t.Errorf("the member's orgs: %+v", me.Orgs)
	}

	// A change of the role applies on the member's next call, both ways.
	l.do("PATCH", base+"/roles/"+rm.ID, admin, `{"permissions":["token.view","token.regenerate","licenses.read","events.read","members.read"]}`, 200, nil)
	l.do("GET", base+"/events", rel, "", 200, nil)
	var list struct {
		Items []member `json:"items"`
	}
	l.do("GET", base+"/members?role="+rm.ID, rel, "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].UserID != relID {
		t.Errorf("the role's members: %+v", list.Items)
	}
	l.do("PATCH", base+"/roles/"+rm.ID, admin, `{"permissions":["token.view","token.regenerate","licenses.read"]}`, 200, nil)
	l.do("GET", base+"/events", rel, "", 403, nil)
	l.do("GET", base+"/members", rel, "", 403, nil)

	// A member managing people through a custom role defines roles within their own only.
	var lead roleObject
	l.do("POST", base+"/roles", admin, `{"name":"People lead","permissions":["org.read","members.read","members.manage","invites.manage"]}`, 201, &lead)
	leader, _ := l.joinAs(org.ID, admin, lead.ID)
	l.do("POST", base+"/roles", leader, `{"name":"Settings","permissions":["settings.manage"]}`, 403, nil)
	l.do("POST", base+"/roles", leader, `{"name":"Helper","permissions":["members.manage"]}`, 201, nil)
	l.do("PATCH", base+"/members/"+relID, leader, `{"role":"admin"}`, 403, nil)

	// The list: built-ins first, then the custom roles with their holders; a held role stays.
	var roles struct {
		Items []roleObject `json:"items"`
	}
	l.do("GET", base+"/roles", admin, "", 200, &roles)
	var ids []string
	for _, r := range roles.Items {
		ids = append(ids, r.Name)
	}
	if len(roles.Items) != 8 || roles.Items[0].ID != "admin" || roles.Items[0].MemberCount != 1 || roles.Items[5].ID != rm.ID || roles.Items[5].MemberCount != 1 {
		t.Errorf("roles %v: %+v", ids, roles.Items)
	}
	l.do("DELETE", base+"/roles/"+rm.ID, admin, "", 409, nil)
	l.do("DELETE", base+"/roles/admin", admin, "", 409, nil)
	l.do("PATCH", base+"/members/"+relID, admin, `{"role":"user"}`, 200, nil)
	l.do("DELETE", base+"/roles/"+rm.ID, admin, "", 204, nil)
	l.do("GET", base, rel, "", 200, nil) // a user now: org.read

	// Creating a role is safe to repeat with an Idempotency-Key.
	s := &stack{t: t, srv: l.srv}
	first := decode[roleObject](t, s.do("POST", base+"/roles", admin, `{"name":"Auditor","permissions":["events.read"]}`, "Idempotency-Key", "r-1"), 201)
	again := decode[roleObject](t, s.do("POST", base+"/roles", admin, `{"name":"Auditor","permissions":["events.read"]}`, "Idempotency-Key", "r-1"), 201)
	if first.ID == "" || first.ID != again.ID {
		t.Errorf("a replay made another role: %s, %s", first.ID, again.ID)
	}

	got := l.actions(org.ID)
	var roleEvents []string
	for _, a := range got {
		if strings.HasPrefix(a, "role.") {
			roleEvents = append(roleEvents, a)
		}
	}
	if want := []string{"role.created", "role.updated", "role.updated", "role.created", "role.created", "role.deleted", "role.created"}; !slices.Equal(roleEvents, want) {
		t.Errorf("role events %v, want %v", roleEvents, want)
	}
}
