package tokensapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tokens"
)

// withClock gives the api a clock the test moves; call it before anything builds a service.
func withClock(a *apitest.API) *time.Time {
	now := apitest.HarnessNow
	a.Env.Now = func() time.Time { return now }
	return &now
}

func TestPersonalTokenSignsInToolsAndIsListedWithoutItsSecret(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)

	tokID, text := a.MakeToken(bob, id, "laptop")
	if !strings.HasPrefix(text, tokens.PersonalPrefix) || !tokens.WellFormed(text) || len(text) != 40 {
		t.Fatalf("token %q: want vpu_ and 36 base-62 characters passing the checksum", text)
	}
	if r := a.SignIn(bob.Email, text); r.Status != http.StatusOK || r.Calls > 2 {
		t.Fatalf("sign-in with the personal token: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	// A token names its owner: another member's email with it is a wrong pair.
	if r := a.SignIn(ada.Email, text); r.Status != http.StatusUnauthorized {
		t.Errorf("ada with bob's token: %d, want 401", r.Status)
	}
	// A mistyped token is refused before any read.
	bad := text[:len(text)-1] + map[bool]string{true: "A", false: "B"}[text[len(text)-1] != 'A']
	if r := a.SignIn(bob.Email, bad); r.Status != http.StatusUnauthorized || r.Calls != 0 {
		t.Errorf("mistyped token: %d with %d calls, want 401 with none", r.Status, r.Calls)
	}

	r := a.Do(tokensapi.ListMyTokens, &bob, map[string]string{"orgId": id}, nil, "")
	if r.Status != http.StatusOK || r.Calls > 2 {
		t.Fatalf("list mine: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	if strings.Contains(r.Body, text) || strings.Contains(r.Body, `"token"`) {
		t.Errorf("the list tells the token's text: %s", r.Body)
	}
	items, _ := r.JSON(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != tokID || items[0].(map[string]any)["lastUsedIp"] != "198.51.100.7" {
		t.Errorf("list mine: %s, want the one token with its last use", r.Body)
	}

	r = a.Do(tokensapi.ListOrgTokens, &ada, map[string]string{"orgId": id}, nil, "")
	if r.Status != http.StatusOK || r.Calls > 2 {
		t.Fatalf("admin list: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	if !strings.Contains(r.Body, `"owner":{"id":"`+bob.ID+`","email":"`+bob.Email+`"}`) || strings.Contains(r.Body, text) {
		t.Errorf("admin list: %s, want bob's token with its owner and no secret", r.Body)
	}
	// The admins' view needs members.read besides token.view: a user holds only the latter.
	if r := a.Do(tokensapi.ListOrgTokens, &bob, map[string]string{"orgId": id}, nil, ""); r.Status != http.StatusForbidden {
		t.Errorf("a user listing everyone's tokens: %d, want 403", r.Status)
	}

	evs := a.EventsOf(id)
	if !hasEvent(evs, "personal_token.created", tokID) || !hasEvent(evs, "token.used", tokID) {
		t.Errorf("events %v: want personal_token.created and token.used naming the token", actions(evs))
	}
}

func TestPersonalTokenLimitsNamesAndLife(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	id := a.Org(ada, "Acme")
	for _, body := range []string{`{"name":""}`, `{"name":"x","expiresInDays":0}`, `{"name":"x","expiresInDays":366}`,
		`{"name":"a\u202eb"}`, `{"name":"` + strings.Repeat("n", 101) + `"}`, `{"name":"x","token":"vpu_x"}`} {
		if r := a.Do(tokensapi.CreateMyToken, &ada, map[string]string{"orgId": id}, nil, body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, r.Status, r.Body)
		}
	}
	a.MakeToken(ada, id, "ci")
	if r := a.Do(tokensapi.CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"CI"}`); r.Status != http.StatusConflict {
		t.Errorf("a second token named like the first: %d, want 409", r.Status)
	}
	for i := 2; i <= tokens.MaxPersonalTokens; i++ {
		a.MakeToken(ada, id, fmt.Sprintf("t%d", i))
	}
	if r := a.Do(tokensapi.CreateMyToken, &ada, map[string]string{"orgId": id}, nil, `{"name":"eleventh"}`); r.Status != http.StatusConflict {
		t.Errorf("an eleventh live token: %d, want 409", r.Status)
	}
	// A support_only member has no products.access: no tokens.
	sam := apitest.Person("sam")
	a.Member(id, sam, roles.SupportOnly)
	if r := a.Do(tokensapi.CreateMyToken, &sam, map[string]string{"orgId": id}, nil, `{"name":"x"}`); r.Status != http.StatusForbidden {
		t.Errorf("support_only making a token: %d, want 403", r.Status)
	}
}

func TestPersonalTokenDiesWithItsOwnersStanding(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(a *apitest.API, now *time.Time, orgID string, ada, bob orgs.Caller, tokID, scim string)
		// back, when set, restores the standing: the token must stay dead.
		back func(a *apitest.API, orgID string, ada, bob orgs.Caller, scim string)
	}{
		{name: "revoked by its owner", end: func(a *apitest.API, _ *time.Time, orgID string, _, bob orgs.Caller, tokID, _ string) {
			a.Want(a.Do(tokensapi.RevokeMyToken, &bob, map[string]string{"orgId": orgID, "tokenId": tokID}, nil, ""), http.StatusNoContent)
		}},
		{name: "revoked by an admin", end: func(a *apitest.API, _ *time.Time, orgID string, ada, _ orgs.Caller, tokID, _ string) {
			a.Want(a.Do(tokensapi.RevokeOrgToken, &ada, map[string]string{"orgId": orgID, "tokenId": tokID}, nil, ""), http.StatusNoContent)
		}},
		{name: "expired", end: func(_ *apitest.API, now *time.Time, _ string, _, _ orgs.Caller, _, _ string) {
			*now = now.AddDate(0, 0, tokens.DefaultPersonalDays)
		}},
		{name: "owner removed", end: func(a *apitest.API, _ *time.Time, orgID string, ada, bob orgs.Caller, _, _ string) {
			a.Want(a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""), http.StatusNoContent)
		}, back: func(a *apitest.API, orgID string, ada, bob orgs.Caller, _ string) {
			a.Join(orgID, ada, bob, roles.User)
		}},
		{name: "owner left", end: func(a *apitest.API, _ *time.Time, orgID string, _, bob orgs.Caller, _, _ string) {
			a.Want(a.Do(membersapi.RemoveMember, &bob, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""), http.StatusNoContent)
		}},
		{name: "role without products.access", end: func(a *apitest.API, _ *time.Time, orgID string, ada, bob orgs.Caller, _, _ string) {
			a.Want(a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"support_only"}`), http.StatusOK)
		}, back: func(a *apitest.API, orgID string, ada, bob orgs.Caller, _ string) {
			a.Want(a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, `{"role":"user"}`), http.StatusOK)
		}},
		{name: "suspended", end: func(a *apitest.API, _ *time.Time, orgID string, _, bob orgs.Caller, _, scim string) {
			a.Want(a.SCIM(scimapi.SCIMPatchUser, scim, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":false}}]}`), http.StatusOK)
		}, back: func(a *apitest.API, orgID string, _, bob orgs.Caller, scim string) {
			a.Want(a.SCIM(scimapi.SCIMPatchUser, scim, map[string]string{"id": bob.ID}, nil, `{"Operations":[{"op":"replace","value":{"active":true}}]}`), http.StatusOK)
		}},
		{name: "account deleted", end: func(a *apitest.API, _ *time.Time, _ string, _, bob orgs.Caller, _, _ string) {
			a.Env.UseDirectory(apitest.NewFakeDirectory())
			a.Want(a.Do(accountapi.DeleteMe, &bob, nil, nil, ""), http.StatusNoContent)
		}},
		{name: "the org's authentication reset", end: func(a *apitest.API, now *time.Time, orgID string, ada, _ orgs.Caller, _, _ string) {
			*now = now.Add(time.Second)
			a.Want(a.Do(tokensapi.ResetAuth, &ada, map[string]string{"orgId": orgID}, nil, ""), http.StatusNoContent)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := apitest.NewAPI(t)
			now := withClock(a)
			ada, bob := apitest.Person("ada"), apitest.Person("bob")
			id := a.Org(ada, "Acme")
			a.Member(id, bob, roles.User)
			scim := a.SCIMToken(ada, id)
			*now = now.Add(time.Minute)
			tokID, text := a.MakeToken(bob, id, "laptop")
			if r := a.SignIn(bob.Email, text); r.Status != http.StatusOK {
				t.Fatalf("before: %d %s", r.Status, r.Body)
			}
			*now = now.Add(time.Minute)
			tc.end(a, now, id, ada, bob, tokID, scim)
			if r := a.SignIn(bob.Email, text); r.Status != http.StatusUnauthorized {
				t.Fatalf("after: %d %s, want 401", r.Status, r.Body)
			}
			if tc.back != nil {
				*now = now.Add(time.Minute)
				tc.back(a, id, ada, bob, scim)
				if r := a.SignIn(bob.Email, text); r.Status != http.StatusUnauthorized {
					t.Errorf("with the standing back: %d %s, want 401: a token never comes back to life", r.Status, r.Body)
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
	a := apitest.NewAPI(t)
	now := withClock(a)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	id := a.Org(ada, "Acme")
	a.Member(id, bob, roles.User)
	r := a.Do(rolesapi.CreateRole, &ada, map[string]string{"orgId": id}, nil, `{"name":"Builder","permissions":["org.read","products.access"]}`)
	a.Want(r, http.StatusCreated)
	role, _ := r.JSON(t)["id"].(string)
	a.Want(a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": id, "userId": bob.ID}, nil, fmt.Sprintf(`{"role":%q}`, role)), http.StatusOK)
	setPerms := func(perms string) {
		t.Helper()
		*now = now.Add(time.Minute)
		a.Want(a.Do(rolesapi.UpdateRole, &ada, map[string]string{"orgId": id, "roleId": role}, nil, `{"permissions":`+perms+`}`), http.StatusOK)
	}
	signIn := func(text string, want int, when string) {
		t.Helper()
		r := a.SignIn(bob.Email, text)
		if r.Status != want {
			t.Fatalf("%s: %d %s, want %d", when, r.Status, r.Body, want)
		}
		if r.Calls > 2 {
			t.Errorf("%s: the sign-in made %d DynamoDB calls, want at most 2", when, r.Calls)
		}
	}
	mine := func() []any {
		t.Helper()
		r := a.Do(tokensapi.ListMyTokens, &bob, map[string]string{"orgId": id}, nil, "")
		a.Want(r, http.StatusOK)
		items, _ := r.JSON(t)["items"].([]any)
		return items
	}

	*now = now.Add(time.Minute)
	_, old := a.MakeToken(bob, id, "laptop")

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
	_, fresh := a.MakeToken(bob, id, "desktop")
	signIn(fresh, http.StatusOK, "a token made after products.access came back")
	signIn(old, http.StatusUnauthorized, "the old token, next to a new one")
	if got := mine(); len(got) != 1 {
		t.Errorf("bob's tokens: %v, want the new one alone", got)
	}
	if r := a.SignIn(bob.Email, "vpu_"+strings.Repeat("A", 36)); r.Status != http.StatusUnauthorized || r.Calls != 0 {
		t.Errorf("a token with a bad checksum: %d with %d DynamoDB calls, want 401 with none", r.Status, r.Calls)
	}
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
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	a.Org(ada, "Acme")
	s, err := a.Env.DeviceFlow().Start(context.Background(), "acme-cli", "acme", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	r := a.Do(tokensapi.GetDevice, &ada, map[string]string{"userCode": tokens.FormatUserCode(s.UserCode)}, nil, "")
	if r.Status != 200 || !strings.Contains(r.Body, `"acme-cli"`) || !strings.Contains(r.Body, `"acme"`) {
		t.Fatalf("the approval page: %d %s", r.Status, r.Body)
	}
	if r := a.Do(tokensapi.GetDevice, &ada, map[string]string{"userCode": "BCDF-GHJK"}, nil, ""); r.Status != 404 {
		t.Errorf("an unknown code: %d %s; want 404", r.Status, r.Body)
	}
}
