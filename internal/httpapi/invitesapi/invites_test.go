package invitesapi_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestInviteRoutesOverHTTP(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	ada, bob := h.Caller("ada"), h.Caller("bob")
	orgID := h.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	calls := map[string]int{}

	created := h.Do(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, strings.ToUpper(bob.Email)))
	if created.Status != 201 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	calls["POST /v1/orgs/{orgId}/invites"] = created.Calls
	inv := created.JSON(t)
	if keys := slices.Sorted(maps.Keys(inv)); !slices.Equal(keys, []string{"createdAt", "delivery", "deliveryStatus", "email", "expiresAt", "id", "invitedBy", "lastSentAt", "role", "status"}) {
		t.Errorf("invite keys %v", keys)
	}
	// 201 at once: the email is in the outbox, sent by the stream processor after.
	if inv["email"] != bob.Email || inv["status"] != "pending" || inv["invitedBy"].(map[string]any)["email"] != ada.Email || inv["delivery"] != "pending" {
		t.Errorf("invite %v", inv)
	}
	h.Deliver()
	if got := h.Do(invitesapi.ListInvites, &ada, org, nil, ""); !strings.Contains(got.Body, `"delivery":"sent"`) {
		t.Errorf("after the stream processor: %s", got.Body)
	}
	if got := h.Do(invitesapi.CreateInvite, &ada, org, nil, fmt.Sprintf(`{"email":%q,"role":"user"}`, bob.Email)); got.Status != 409 {
		t.Errorf("again: %d", got.Status)
	}
	if got := h.Do(invitesapi.CreateInvite, &ada, org, nil, `{"email":"x@example.com","role":"user","id":"mine"}`); got.Status != 400 {
		t.Errorf("unknown field: %d", got.Status)
	}

	list := h.Do(invitesapi.ListInvites, &ada, org, nil, "")
	calls["GET /v1/orgs/{orgId}/invites"] = list.Calls
	if items := list.JSON(t)["items"].([]any); list.Status != 200 || len(items) != 1 {
		t.Errorf("list: %d %s", list.Status, list.Body)
	}
	if got := h.Do(invitesapi.ListInvites, &ada, org, map[string]string{"status": "nope"}, ""); got.Status != 400 {
		t.Errorf("bad status: %d", got.Status)
	}

	resent := h.Do(invitesapi.ResendInvite, &ada, map[string]string{"orgId": orgID, "inviteId": inv["id"].(string)}, nil, "")
	calls["POST /v1/orgs/{orgId}/invites/{inviteId}/resend"] = resent.Calls
	if resent.Status != 200 {
		t.Fatalf("resend: %d %s", resent.Status, resent.Body)
	}
	h.Deliver()
	mails := testenv.Mails(t, h.Env.Config.SESEndpoint, bob.Email)
	if len(mails) != 2 {
		t.Fatalf("%d mails to bob", len(mails))
	}
	token := apitest.LinkToken.FindStringSubmatch(mails[1].Text)[1]
	if !strings.Contains(mails[1].Text, "http://localhost:3000/invites/accept?token="+token) {
		t.Errorf("link: %s", mails[1].Text)
	}

	preview := h.Do(invitesapi.PreviewInvite, nil, map[string]string{"token": token}, nil, "")
	calls["GET /v1/invites/{token}"] = preview.Calls
	p := preview.JSON(t)
	if preview.Status != 200 || p["orgName"] != "Acme" || p["role"] != "user" || p["status"] != "pending" || p["invitedBy"].(map[string]any)["id"] != ada.ID {
		t.Errorf("preview: %d %s", preview.Status, preview.Body)
	}
	if got := h.Do(invitesapi.PreviewInvite, nil, map[string]string{"token": "nope"}, nil, ""); got.Status != 404 {
		t.Errorf("unknown token: %d", got.Status)
	}

	eve := h.Caller("eve")
	if got := h.Do(invitesapi.AcceptInvite, &eve, nil, nil, fmt.Sprintf(`{"token":%q}`, token)); got.Status != 403 {
		t.Errorf("accept as another: %d %s", got.Status, got.Body)
	}
	accepted := h.Do(invitesapi.AcceptInvite, &bob, nil, nil, fmt.Sprintf(`{"token":%q}`, token))
	calls["POST /v1/invites/accept"] = accepted.Calls
	m := accepted.JSON(t)
	if accepted.Status != 200 || m["orgId"] != orgID || m["userId"] != bob.ID || m["role"] != "user" || m["source"] != "invite" {
		t.Errorf("accept: %d %s", accepted.Status, accepted.Body)
	}
	if got := h.Do(invitesapi.AcceptInvite, &bob, nil, nil, fmt.Sprintf(`{"token":%q}`, token)); got.Status != 410 {
		t.Errorf("accept again: %d %s", got.Status, got.Body)
	}

	bulk := h.Do(invitesapi.CreateInvitesBulk, &ada, org, nil, fmt.Sprintf(`{"invites":[{"email":%q,"role":"user"},{"email":"bad","role":"user"},{"email":%q,"role":"user"}]}`,
		h.Address("c1"), bob.Email))
	calls["POST /v1/orgs/{orgId}/invites/bulk (3 items)"] = bulk.Calls
	var results struct {
		Results []struct {
			Index  int             `json:"index"`
			Status string          `json:"status"`
			Err    json.RawMessage `json:"error"`
			Invite json.RawMessage `json:"invite"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(bulk.Body), &results); err != nil || bulk.Status != 200 || len(results.Results) != 3 {
		t.Fatalf("bulk: %d %s", bulk.Status, bulk.Body)
	}
	for i, want := range []string{"created", "error", "error"} {
		r := results.Results[i]
		if r.Index != i || r.Status != want || (want == "created") != (string(r.Err) == "null") || (want == "created") == (string(r.Invite) == "null") {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	if !strings.Contains(string(results.Results[2].Err), `"conflict"`) || !strings.Contains(string(results.Results[1].Err), `"invalid_request"`) {
		t.Errorf("bulk errors: %s", bulk.Body)
	}

	var c1 map[string]any
	_ = json.Unmarshal(results.Results[0].Invite, &c1)
	revoked := h.Do(invitesapi.RevokeInvite, &ada, map[string]string{"orgId": orgID, "inviteId": c1["id"].(string)}, nil, "")
	calls["DELETE /v1/orgs/{orgId}/invites/{inviteId}"] = revoked.Calls
	if revoked.Status != 204 {
		t.Errorf("revoke: %d %s", revoked.Status, revoked.Body)
	}

	h.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"team","label":"Team","type":"string","required":false}]}`)
	promoted := h.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"admin","properties":{"team":"ops"}}`)
	calls["PATCH /v1/orgs/{orgId}/members/{userId}"] = promoted.Calls
	if pm := promoted.JSON(t); promoted.Status != 200 || pm["role"] != "admin" || pm["properties"].(map[string]any)["team"] != "ops" {
		t.Errorf("promote: %d %s", promoted.Status, promoted.Body)
	}
	for _, b := range []string{`{"role":"owner"}`, `{"properties":[1]}`, `{"properties":{"x":[1]}}`, `{"userId":"x"}`, `{}`} {
		if got := h.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, b); got.Status != 400 {
			t.Errorf("PATCH %s: %d %s", b, got.Status, got.Body)
		}
	}
	members := h.Do(membersapi.ListMembers, &ada, org, map[string]string{"q": "b"}, "")
	calls["GET /v1/orgs/{orgId}/members?q="] = members.Calls
	removed := h.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, "")
	calls["DELETE /v1/orgs/{orgId}/members/{userId}"] = removed.Calls
	if removed.Status != 204 {
		t.Errorf("remove: %d %s", removed.Status, removed.Body)
	}
	if got := h.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": ada.ID}, nil, ""); got.Status != 409 {
		t.Errorf("the last admin leaving: %d %s", got.Status, got.Body)
	}
	for route, n := range calls {
		t.Logf("%s: %d DynamoDB calls", route, n)
		if n > 2 && !strings.Contains(route, "bulk") {
			t.Errorf("%s: %d DynamoDB calls, want at most 2", route, n)
		}
	}
}
