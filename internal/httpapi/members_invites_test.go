package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/invites"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/testenv"
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

func allowed(r *Route, role roles.Role, membersCanInvite bool) bool {
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
	h := newAPI(t)
	h.useSES()
	h.env.UseDirectory(newFakeDirectory())
	h.env.UseSpreadsheets(sheets.XLSX{})
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	members := map[roles.Role]orgs.Caller{roles.Admin: ada}
	for _, r := range roles.All[1:] {
		c := h.caller(string(r))
		h.join(orgID, ada, c, r)
		members[r] = c
	}
	target := h.caller("target")
	h.join(orgID, ada, target, roles.SupportOnly)
	a, _ := h.env.Orgs().Authorize(context.Background(), ada, orgID, "")
	inv, err := h.inviter().Create(context.Background(), a, invites.Input{Email: h.address("pending"), Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	body := func(r *Route) string {
		n++
		switch r.Name {
		case "update-member":
			return `{"role":"support_only"}`
		case "update-org":
			return `{"billingContacts":[]}`
		case "create-invite":
			return fmt.Sprintf(`{"email":%q,"role":"support_only"}`, h.address(fmt.Sprint("new", n)))
		case "create-invites-bulk":
			return fmt.Sprintf(`{"invites":[{"email":%q,"role":"user"}]}`, h.address(fmt.Sprint("bulk", n)))
		}
		return ""
	}
	for _, mci := range []bool{false, true} {
		h.setMembersCanInvite(orgID, mci)
		for _, r := range Routes() {
			if !r.OrgScoped() {
				continue
			}
			for _, role := range roles.All {
				c := members[role]
				params := map[string]string{"orgId": orgID, "userId": target.ID, "inviteId": inv.ID}
				got := h.do(r, &c, params, nil, body(r))
				if want := allowed(r, role, mci); want == (got.status == 403) {
					t.Errorf("%s as %s (membersCanInvite %v): %d %s; want allowed=%v", r.Name, role, mci, got.status, got.body, want)
				}
			}
		}
	}
	// Anyone may remove themself: leaving.
	uma := members[roles.User]
	if got := h.do(RemoveMember, &uma, map[string]string{"orgId": orgID, "userId": uma.ID}, nil, ""); got.status != 204 {
		t.Errorf("a user leaving: %d %s", got.status, got.body)
	}
	// A removed member's token gets 404 at once.
	if got := h.do(GetOrg, &uma, map[string]string{"orgId": orgID}, nil, ""); got.status != 404 {
		t.Errorf("after leaving: %d", got.status)
	}
	// A stranger learns nothing.
	eve := h.caller("eve")
	if got := h.do(ListMembers, &eve, map[string]string{"orgId": orgID}, nil, ""); got.status != 404 {
		t.Errorf("a stranger: %d", got.status)
	}
}

func TestMemberListOverHTTPPagesWithSealedCursors(t *testing.T) {
	h := newAPI(t)
	h.useSES()
	ada := h.caller("ada")
	orgID := h.org(ada, "Acme")
	for i := range 5 {
		h.join(orgID, ada, h.caller(fmt.Sprint("m", i)), roles.User)
	}
	params := map[string]string{"orgId": orgID}
	page := h.do(ListMembers, &ada, params, map[string]string{"limit": "2"}, "")
	if page.status != 200 || page.calls > 2 {
		t.Fatalf("first page: %d (%d calls) %s", page.status, page.calls, page.body)
	}
	body := page.json(t)
	items := body["items"].([]any)
	first := items[0].(map[string]any)
	if keys := slices.Sorted(maps.Keys(first)); !slices.Equal(keys, []string{"email", "joinedAt", "name", "phone", "properties", "role", "source", "status", "userId"}) {
		t.Errorf("member keys %v", keys)
	}
	cursor, _ := body["nextCursor"].(string)
	if len(items) != 2 || cursor == "" {
		t.Fatalf("page %s", page.body)
	}
	seen := map[string]int{}
	for _, it := range items {
		seen[it.(map[string]any)["userId"].(string)]++
	}
	for cursor != "" {
		next := h.do(ListMembers, &ada, params, map[string]string{"limit": "2", "cursor": cursor}, "")
		if next.status != 200 {
			t.Fatalf("next page: %d %s", next.status, next.body)
		}
		b := next.json(t)
		for _, it := range b["items"].([]any) {
			seen[it.(map[string]any)["userId"].(string)]++
		}
		cursor, _ = b["nextCursor"].(string)
	}
	if len(seen) != 6 {
		t.Errorf("seen %v", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
	c, _ := body["nextCursor"].(string)
	tampered := c[:len(c)-2] + "xx"
	for name, q := range map[string]map[string]string{
		"tampered cursor":         {"cursor": tampered},
		"cursor of another query": {"cursor": c, "role": "user"},
		"limit 0":                 {"limit": "0"},
		"limit 201":               {"limit": "201"},
		"unknown role":            {"role": "owner"},
	} {
		if got := h.do(ListMembers, &ada, params, q, ""); got.status != 400 {
			t.Errorf("%s: %d %s", name, got.status, got.body)
		}
	}
	if got := h.do(ListMembers, &ada, params, map[string]string{"q": "M3." + h.run}, ""); got.status != 200 || len(got.json(t)["items"].([]any)) != 1 {
		t.Errorf("q: %d %s", got.status, got.body)
	}
}

func TestInviteRoutesOverHTTP(t *testing.T) {
	h := newAPI(t)
	h.useSES()
	ada, bob := h.caller("ada"), h.caller("bob")
	orgID := h.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	calls := map[string]int{}

	created := h.do(CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, strings.ToUpper(bob.Email)))
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	calls["POST /v1/orgs/{orgId}/invites"] = created.calls
	inv := created.json(t)
	if keys := slices.Sorted(maps.Keys(inv)); !slices.Equal(keys, []string{"createdAt", "delivery", "deliveryStatus", "email", "expiresAt", "id", "invitedBy", "lastSentAt", "role", "status"}) {
		t.Errorf("invite keys %v", keys)
	}
	// 201 at once: the email is in the outbox, sent by the stream processor after.
	if inv["email"] != bob.Email || inv["status"] != "pending" || inv["invitedBy"].(map[string]any)["email"] != ada.Email || inv["delivery"] != "pending" {
		t.Errorf("invite %v", inv)
	}
	h.deliver()
	if got := h.do(ListInvites, &ada, org, nil, ""); !strings.Contains(got.body, `"delivery":"sent"`) {
		t.Errorf("after the stream processor: %s", got.body)
	}
	if got := h.do(CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, bob.Email)); got.status != 409 {
		t.Errorf("again: %d", got.status)
	}
	if got := h.do(CreateInvite, &ada, org, nil, `{"email":"x@example.com","role":"user","id":"mine"}`); got.status != 400 {
		t.Errorf("unknown field: %d", got.status)
	}

	list := h.do(ListInvites, &ada, org, nil, "")
	calls["GET /v1/orgs/{orgId}/invites"] = list.calls
	if items := list.json(t)["items"].([]any); list.status != 200 || len(items) != 1 {
		t.Errorf("list: %d %s", list.status, list.body)
	}
	if got := h.do(ListInvites, &ada, org, map[string]string{"status": "nope"}, ""); got.status != 400 {
		t.Errorf("bad status: %d", got.status)
	}

	resent := h.do(ResendInvite, &ada, map[string]string{"orgId": orgID, "inviteId": inv["id"].(string)}, nil, "")
	calls["POST /v1/orgs/{orgId}/invites/{inviteId}/resend"] = resent.calls
	if resent.status != 200 {
		t.Fatalf("resend: %d %s", resent.status, resent.body)
	}
	h.deliver()
	mails := testenv.Mails(t, h.env.Config.SESEndpoint, bob.Email)
	if len(mails) != 2 {
		t.Fatalf("%d mails to bob", len(mails))
	}
	token := linkToken.FindStringSubmatch(mails[1].Text)[1]
	if !strings.Contains(mails[1].Text, "http://localhost:3000/invites/accept?token="+token) {
		t.Errorf("link: %s", mails[1].Text)
	}

	preview := h.do(PreviewInvite, nil, map[string]string{"token": token}, nil, "")
	calls["GET /v1/invites/{token}"] = preview.calls
	p := preview.json(t)
	if preview.status != 200 || p["orgName"] != "Acme" || p["role"] != "user" || p["status"] != "pending" || p["invitedBy"].(map[string]any)["id"] != ada.ID {
		t.Errorf("preview: %d %s", preview.status, preview.body)
	}
	if got := h.do(PreviewInvite, nil, map[string]string{"token": "nope"}, nil, ""); got.status != 404 {
		t.Errorf("unknown token: %d", got.status)
	}

	eve := h.caller("eve")
	if got := h.do(AcceptInvite, &eve, nil, nil, fmt.Sprintf(`{"token":%q}`, token)); got.status != 403 {
		t.Errorf("accept as another: %d %s", got.status, got.body)
	}
	accepted := h.do(AcceptInvite, &bob, nil, nil, fmt.Sprintf(`{"token":%q}`, token))
	calls["POST /v1/invites/accept"] = accepted.calls
	m := accepted.json(t)
	if accepted.status != 200 || m["orgId"] != orgID || m["userId"] != bob.ID || m["role"] != "user" || m["source"] != "invite" {
		t.Errorf("accept: %d %s", accepted.status, accepted.body)
	}
	if got := h.do(AcceptInvite, &bob, nil, nil, fmt.Sprintf(`{"token":%q}`, token)); got.status != 410 {
		t.Errorf("accept again: %d %s", got.status, got.body)
	}

	bulk := h.do(CreateInvitesBulk, &ada, org, nil, fmt.Sprintf(`{"invites":[{"email":%q,"role":"user"},{"email":"bad","role":"user"},{"email":%q,"role":"user"}]}`,
		h.address("c1"), bob.Email))
	calls["POST /v1/orgs/{orgId}/invites/bulk (3 items)"] = bulk.calls
	var results struct {
		Results []struct {
			Index  int             `json:"index"`
			Status string          `json:"status"`
			Err    json.RawMessage `json:"error"`
			Invite json.RawMessage `json:"invite"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(bulk.body), &results); err != nil || bulk.status != 200 || len(results.Results) != 3 {
		t.Fatalf("bulk: %d %s", bulk.status, bulk.body)
	}
	for i, want := range []string{"created", "error", "error"} {
		r := results.Results[i]
		if r.Index != i || r.Status != want || (want == "created") != (string(r.Err) == "null") || (want == "created") == (string(r.Invite) == "null") {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if !strings.Contains(string(results.Results[2].Err), `"conflict"`) || !strings.Contains(string(results.Results[1].Err), `"invalid_request"`) {
		t.Errorf("bulk errors: %s", bulk.body)
	}

	var c1 map[string]any
	_ = json.Unmarshal(results.Results[0].Invite, &c1)
	revoked := h.do(RevokeInvite, &ada, map[string]string{"orgId": orgID, "inviteId": c1["id"].(string)}, nil, "")
	calls["DELETE /v1/orgs/{orgId}/invites/{inviteId}"] = revoked.calls
	if revoked.status != 204 {
		t.Errorf("revoke: %d %s", revoked.status, revoked.body)
	}

	h.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"team","label":"Team","type":"string","required":false}]}`)
	promoted := h.do(UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"admin","properties":{"team":"ops"}}`)
	calls["PATCH /v1/orgs/{orgId}/members/{userId}"] = promoted.calls
	if pm := promoted.json(t); promoted.status != 200 || pm["role"] != "admin" || pm["properties"].(map[string]any)["team"] != "ops" {
		t.Errorf("promote: %d %s", promoted.status, promoted.body)
	}
	for _, b := range []string{`{"role":"owner"}`, `{"properties":[1]}`, `{"properties":{"x":[1]}}`, `{"userId":"x"}`, `{}`} {
		if got := h.do(UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, b); got.status != 400 {
			t.Errorf("PATCH %s: %d %s", b, got.status, got.body)
		}
	}
	members := h.do(ListMembers, &ada, org, map[string]string{"q": "b"}, "")
	calls["GET /v1/orgs/{orgId}/members?q="] = members.calls
	removed := h.do(RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, "")
	calls["DELETE /v1/orgs/{orgId}/members/{userId}"] = removed.calls
	if removed.status != 204 {
		t.Errorf("remove: %d %s", removed.status, removed.body)
	}
	if got := h.do(RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": ada.ID}, nil, ""); got.status != 409 {
		t.Errorf("the last admin leaving: %d %s", got.status, got.body)
	}
	for route, n := range calls {
		t.Logf("%s: %d DynamoDB calls", route, n)
		if n > 2 && !strings.Contains(route, "bulk") {
			t.Errorf("%s: %d DynamoDB calls, want at most 2", route, n)
		}
	}
}
