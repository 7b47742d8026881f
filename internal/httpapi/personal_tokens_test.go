package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

func init() {
	mutations["create-my-token"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"laptop"}`)
	}
	mutations["revoke-my-token"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		tok, _ := a.makeToken(ada, id, "laptop")
		return a.request(RevokeMyToken, &ada, map[string]string{"orgId": id, "tokenId": tok}, nil, "")
	}
	mutations["revoke-org-token"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, bob := person("ada"), person("bob")
		id := a.org(ada, "Acme")
		a.member(id, bob, roles.User)
		tok, _ := a.makeToken(bob, id, "laptop")
		return a.request(RevokeOrgToken, &ada, map[string]string{"orgId": id, "tokenId": tok}, nil, "")
	}
	mutations["start-device"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		a.org(ada, "Acme")
		return a.request(StartDevice, nil, nil, nil, `{"client_id":"cli","org":"acme"}`)
	}
	withoutEvent["start-device"] = "a device code changes nothing of the org until a member approves it"
	mutations["poll-device"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		a.org(ada, "Acme")
		s, err := a.env.DeviceFlow().Start(context.Background(), "cli", "acme", "198.51.100.7")
		if err != nil {
			a.t.Fatal(err)
		}
		if err := a.env.DeviceFlow().Decide(context.Background(), ada, s.UserCode, true); err != nil {
			a.t.Fatal(err)
		}
		return a.request(PollDevice, nil, nil, nil, `{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"`+s.DeviceCode+`","client_id":"cli"}`)
	}
	withoutEvent["poll-device"] = "a poll changes nothing of the org: the approval made the token and wrote its event; the poll hands it out"
	decide := func(r **Route) func(a *api) events.APIGatewayV2HTTPRequest {
		return func(a *api) events.APIGatewayV2HTTPRequest {
			ada := person("ada")
			a.org(ada, "Acme")
			s, err := a.env.DeviceFlow().Start(context.Background(), "cli", "acme", "198.51.100.7")
			if err != nil {
				a.t.Fatal(err)
			}
			return a.request(*r, &ada, map[string]string{"userCode": tokens.FormatUserCode(s.UserCode)}, nil, "")
		}
	}
	mutations["approve-device"] = decide(&ApproveDevice)
	mutations["deny-device"] = decide(&DenyDevice)
	// A user code names no org: it is read first, then the caller's standing in its org.
	callBudgetExceptions["approve-device"] = 3
	callBudgetExceptions["deny-device"] = 3
}

// makeToken is POST .../me/tokens as c; it fails the test unless it answers 201, and returns
// the token's id and text.
func (a *api) makeToken(c orgs.Caller, orgID, name string) (id, text string) {
	a.t.Helper()
	r := a.do(CreateMyToken, &c, map[string]string{"orgId": orgID}, nil, fmt.Sprintf(`{"name":%q}`, name))
	if r.status != http.StatusCreated {
		a.t.Fatalf("create token: %d %s", r.status, r.body)
	}
	if r.calls > 2 {
		a.t.Errorf("create token made %d DynamoDB calls, want at most 2", r.calls)
	}
	m := r.json(a.t)
	id, _ = m["id"].(string)
	text, _ = m["token"].(string)
	return id, text
}

// withClock gives the api a clock the test moves; call it before anything builds a service.
func withClock(a *api) *time.Time {
	now := harnessNow
	a.env.Now = func() time.Time { return now }
	return &now
}

func TestPersonalTokenSignsInToolsAndIsListedWithoutItsSecret(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)

	tokID, text := a.makeToken(bob, id, "laptop")
	if !strings.HasPrefix(text, tokens.PersonalPrefix) || !tokens.WellFormed(text) || len(text) != 40 {
		t.Fatalf("token %q: want vpu_ and 36 base-62 characters passing the checksum", text)
	}
	if r := a.signIn(bob.Email, text); r.status != http.StatusOK || r.calls > 2 {
		t.Fatalf("sign-in with the personal token: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	// A token names its owner: another member's email with it is a wrong pair.
	if r := a.signIn(ada.Email, text); r.status != http.StatusUnauthorized {
		t.Errorf("ada with bob's token: %d, want 401", r.status)
	}
	// A mistyped token is refused before any read.
	bad := text[:len(text)-1] + map[bool]string{true: "A", false: "B"}[text[len(text)-1] != 'A']
	if r := a.signIn(bob.Email, bad); r.status != http.StatusUnauthorized || r.calls != 0 {
		t.Errorf("mistyped token: %d with %d calls, want 401 with none", r.status, r.calls)
	}

	r := a.do(ListMyTokens, &bob, map[string]string{"orgId": id}, nil, "")
	if r.status != http.StatusOK || r.calls > 2 {
		t.Fatalf("list mine: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	if strings.Contains(r.body, text) || strings.Contains(r.body, `"token"`) {
		t.Errorf("the list tells the token's text: %s", r.body)
	}
	items, _ := r.json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != tokID || items[0].(map[string]any)["lastUsedIp"] != "198.51.100.7" {
		t.Errorf("list mine: %s, want the one token with its last use", r.body)
	}

	r = a.do(ListOrgTokens, &ada, map[string]string{"orgId": id}, nil, "")
	if r.status != http.StatusOK || r.calls > 2 {
		t.Fatalf("admin list: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	if !strings.Contains(r.body, `"owner":{"id":"`+bob.ID+`","email":"`+bob.Email+`"}`) || strings.Contains(r.body, text) {
		t.Errorf("admin list: %s, want bob's token with its owner and no secret", r.body)
	}
	// The admins' view needs members.read besides token.view: a user holds only the latter.
	if r := a.do(ListOrgTokens, &bob, map[string]string{"orgId": id}, nil, ""); r.status != http.StatusForbidden {
		t.Errorf("a user listing everyone's tokens: %d, want 403", r.status)
	}

	evs := a.eventsOf(id)
	if !hasEvent(evs, "personal_token.created", tokID) || !hasEvent(evs, "token.used", tokID) {
		t.Errorf("events %v: want personal_token.created and token.used naming the token", actions(evs))
	}
}

func TestPersonalTokenLimitsNamesAndLife(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	id := a.org(ada, "Acme")
	for _, body := range []string{`{"name":""}`, `{"name":"x","expiresInDays":0}`, `{"name":"x","expiresInDays":366}`,
		`{"name":"a\u202eb"}`, `{"name":"` + strings.Repeat("n", 101) + `"}`, `{"name":"x","token":"vpu_x"}`} {
		if r := a.do(CreateMyToken, &ada, map[string]string{"orgId": id}, nil, body); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, r.status, r.body)
		}
	}
	a.makeToken(ada, id, "ci")
	if r := a.do(CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"CI"}`); r.status != http.StatusConflict {
		t.Errorf("a second token named like the first: %d, want 409", r.status)
	}
	for i := 2; i <= tokens.MaxPersonalTokens; i++ {
		a.makeToken(ada, id, fmt.Sprintf("t%d", i))
	}
	if r := a.do(CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"eleventh"}`); r.status != http.StatusConflict {
		t.Errorf("an eleventh live token: %d, want 409", r.status)
	}
	// A support_only member has no products.access: no tokens.
	sam := person("sam")
	a.member(id, sam, roles.SupportOnly)
	if r := a.do(CreateMyToken, &sam, map[string]string{"orgId": id}, nil, `{"name":"x"}`); r.status != http.StatusForbidden {
		t.Errorf("support_only making a token: %d, want 403", r.status)
	}
}

func TestPersonalTokenDiesWithItsOwnersStanding(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(a *api, now *time.Time, orgID string, ada, bob orgs.Caller, tokID, scim string)
		// back, when set, restores the standing: the token must stay dead.
		back func(a *api, orgID string, ada, bob orgs.Caller, scim string)
	}{
		{name: "revoked by its owner", end: func(a *api, _ *time.Time, orgID string, _, bob orgs.Caller, tokID, _ string) {
			a.want(a.do(RevokeMyToken, &bob, map[string]string{"orgId": orgID, "tokenId": tokID}, nil, ""), http.StatusNoContent)
		}},
		{name: "revoked by an admin", end: func(a *api, _ *time.Time, orgID string, ada, _ orgs.Caller, tokID, _ string) {
			a.want(a.do(RevokeOrgToken, &ada, map[string]string{"orgId": orgID, "tokenId": tokID}, nil, ""), http.StatusNoContent)
		}},
		{name: "expired", end: func(_ *api, now *time.Time, _ string, _, _ orgs.Caller, _, _ string) {
			*now = now.AddDate(0, 0, tokens.DefaultPersonalDays)
		}},
		{name: "owner removed", end: func(a *api, _ *time.Time, orgID string, ada, bob orgs.Caller, _, _ string) {
			a.want(a.do(RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""), http.StatusNoContent)
		}, back: func(a *api, orgID string, ada, bob orgs.Caller, _ string) {
			a.join(orgID, ada, bob, roles.User)
		}},
		{name: "owner left", end: func(a *api, _ *time.Time, orgID string, _, bob orgs.Caller, _, _ string) {
			a.want(a.do(RemoveMember, &bob, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""), http.StatusNoContent)
		}},
		{name: "role without products.access", end: func(a *api, _ *time.Time, orgID string, ada, bob orgs.Caller, _, _ string) {
			a.want(a.do(UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"support_only"}`), http.StatusOK)
		}, back: func(a *api, orgID string, ada, bob orgs.Caller, _ string) {
			a.want(a.do(UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"user"}`), http.StatusOK)
		}},
		{name: "suspended", end: func(a *api, _ *time.Time, orgID string, _, bob orgs.Caller, _, scim string) {
			a.want(a.scim(ScimPatchUser, scim, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":false}}]}`), http.StatusOK)
		}, back: func(a *api, orgID string, _, bob orgs.Caller, scim string) {
			a.want(a.scim(ScimPatchUser, scim, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":true}}]}`), http.StatusOK)
		}},
		{name: "account deleted", end: func(a *api, _ *time.Time, _ string, _, bob orgs.Caller, _, _ string) {
			a.env.UseDirectory(newFakeDirectory())
			a.want(a.do(DeleteMe, &bob, nil, nil, ""), http.StatusNoContent)
		}},
		{name: "the org's authentication reset", end: func(a *api, now *time.Time, orgID string, ada, _ orgs.Caller, _, _ string) {
			*now = now.Add(time.Second)
			a.want(a.do(ResetAuth, &ada, map[string]string{"orgId": orgID}, nil, ""), http.StatusNoContent)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t)
			now := withClock(a)
			ada, bob := person("ada"), person("bob")
			id := a.org(ada, "Acme")
			a.member(id, bob, roles.User)
			scim := a.scimToken(ada, id)
			*now = now.Add(time.Minute)
			tokID, text := a.makeToken(bob, id, "laptop")
			if r := a.signIn(bob.Email, text); r.status != http.StatusOK {
				t.Fatalf("before: %d %s", r.status, r.body)
			}
			*now = now.Add(time.Minute)
			tc.end(a, now, id, ada, bob, tokID, scim)
			if r := a.signIn(bob.Email, text); r.status != http.StatusUnauthorized {
				t.Fatalf("after: %d %s, want 401", r.status, r.body)
			}
			if tc.back != nil {
				*now = now.Add(time.Minute)
				tc.back(a, id, ada, bob, scim)
				if r := a.signIn(bob.Email, text); r.status != http.StatusUnauthorized {
					t.Errorf("with the standing back: %d %s, want 401: a token never comes back to life", r.status, r.body)
				}
			}
		})
	}
}

// A custom role that loses products.access ends its holders' personal tokens at once, and
// giving the permission back does not bring them back to life: the role records when it lost
// it, on the org item that every sign-in reads anyway (still 2 DynamoDB calls). A token made
// after the permission came back works. The device flow's tokens are the same tokens.
func TestPersonalTokenDiesWhenItsCustomRoleLosesProductsAccess(t *testing.T) {
	a := newAPI(t)
	now := withClock(a)
	ada, bob := person("ada"), person("bob")
	id := a.org(ada, "Acme")
	a.member(id, bob, roles.User)
	r := a.do(CreateRole, &ada, map[string]string{"orgId": id}, nil, `{"name":"Builder","permissions":["org.read","products.access"]}`)
	a.want(r, http.StatusCreated)
	role, _ := r.json(t)["id"].(string)
	a.want(a.do(UpdateMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, fmt.Sprintf(`{"role":%q}`, role)), http.StatusOK)
	setPerms := func(perms string) {
		t.Helper()
		*now = now.Add(time.Minute)
		a.want(a.do(UpdateRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, `{"permissions":`+perms+`}`), http.StatusOK)
	}
	signIn := func(text string, want int, when string) {
		t.Helper()
		r := a.signIn(bob.Email, text)
		if r.status != want {
			t.Fatalf("%s: %d %s, want %d", when, r.status, r.body, want)
		}
		if r.calls > 2 {
			t.Errorf("%s: the sign-in made %d DynamoDB calls, want at most 2", when, r.calls)
		}
	}
	mine := func() []any {
		t.Helper()
		r := a.do(ListMyTokens, &bob, map[string]string{"orgId": id}, nil, "")
		a.want(r, http.StatusOK)
		items, _ := r.json(t)["items"].([]any)
		return items
	}

	*now = now.Add(time.Minute)
	_, old := a.makeToken(bob, id, "laptop")

	signIn(old, http.StatusOK, "with the role allowing products.access")

	// An edit that keeps products.access changes nothing.
	setPerms(`["org.read","products.access","members.read"]`)
	signIn(old, http.StatusOK, "after an edit that keeps products.access")

	setPerms(`["org.read","members.read"]`)
	signIn(old, http.StatusUnauthorized, "with products.access taken from the role")

	setPerms(`["org.read","members.read","products.access"]`)
	signIn(old, http.StatusUnauthorized, "with products.access given back to the role: a token never comes back to life")
	if got := mine(); len(got) != 0 {
		t.Errorf("bob's tokens list the dead one: %v", got)
	}

	*now = now.Add(time.Minute)
	_, fresh := a.makeToken(bob, id, "desktop")
	signIn(fresh, http.StatusOK, "a token made after products.access came back")
	signIn(old, http.StatusUnauthorized, "the old token, next to a new one")
	if got := mine(); len(got) != 1 {
		t.Errorf("bob's tokens: %v, want the new one alone", got)
	}
	if r := a.signIn(bob.Email, "vpu_"+strings.Repeat("A", 36)); r.status != http.StatusUnauthorized || r.calls != 0 {
		t.Errorf("a token with a bad checksum: %d with %d DynamoDB calls, want 401 with none", r.status, r.calls)
	}
}

// want fails the test unless r has the status.
func (a *api) want(r reply, status int) {
	a.t.Helper()
	if r.status != status {
		a.t.Fatalf("%d %s, want %d", r.status, r.body, status)
	}
}

// eventsOf is the org's event log as its admin ada reads it.
func (a *api) eventsOf(orgID string) []map[string]any {
	a.t.Helper()
	ada := person("ada")
	r := a.do(ListEvents, &ada, map[string]string{"orgId": orgID}, map[string]string{"limit": "200"}, "")
	if r.status != http.StatusOK {
		a.t.Fatalf("events: %d %s", r.status, r.body)
	}
	var out []map[string]any
	items, _ := r.json(a.t)["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

func hasEvent(evs []map[string]any, action, tokenID string) bool {
	for _, e := range evs {
		if e["action"] != action {
			continue
		}
		if d, _ := e["details"].(map[string]any); d != nil && d["tokenId"] == tokenID {
			return true
		}
		if tg, _ := e["target"].(map[string]any); tg != nil && tg["id"] == tokenID {
			return true
		}
	}
	return false
}

func actions(evs []map[string]any) []any {
	var out []any
	for _, e := range evs {
		out = append(out, e["action"])
	}
	return out
}

// The approval page reads a pending code: the tool's name, the org and when it ends, for the
// signed-in user to check before approving; in one round trip of the code, one of the org.
func TestTheApprovalPageShowsWhatACodeAsksFor(t *testing.T) {
	a := newAPI(t)
	ada := person("ada")
	a.org(ada, "Acme")
	s, err := a.env.DeviceFlow().Start(context.Background(), "acme-cli", "acme", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	r := a.do(GetDevice, &ada, map[string]string{"userCode": tokens.FormatUserCode(s.UserCode)}, nil, "")
	if r.status != 200 || !strings.Contains(r.body, `"acme-cli"`) || !strings.Contains(r.body, `"acme"`) {
		t.Fatalf("the approval page: %d %s", r.status, r.body)
	}
	if r := a.do(GetDevice, &ada, map[string]string{"userCode": "BCDF-GHJK"}, nil, ""); r.status != 404 {
		t.Errorf("an unknown code: %d %s; want 404", r.status, r.body)
	}
}
