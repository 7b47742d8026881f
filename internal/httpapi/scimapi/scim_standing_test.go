package scimapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/scimapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/scim"
)

// The last-admin rule under suspension, and the standing a SCIM token rests on.

const (
	scimSuspend  = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	scimActivate = `{"Operations":[{"op":"replace","path":"active","value":"True"}]}`
)

func wantSCIMError(t *testing.T, what string, r apitest.Reply, status int, detail string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Body, scim.SchemaError) || !strings.Contains(r.Body, detail) {
		t.Errorf("%s: %d %s, want a SCIM %d saying %q", what, r.Status, r.Body, status, detail)
	}
}

func TestSCIMCantSuspendOrRemoveTheLastActiveAdmin(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.Admin)
	tok := a.SCIMToken(ada, org)

	// Bob suspended: ada is the one admin who can act.
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.Status != 200 {
		t.Fatalf("suspend bob: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 1 {
		t.Errorf("admins after suspending one of two: %d, want 1 (a suspended admin can't act)", o.AdminCount)
	}
	before := len(a.Events(org, "member.suspended"))
	ada1 := map[string]string{"id": ada.ID}
	wantSCIMError(t, "PATCH active false on the last active admin", a.SCIM(scimapi.SCIMPatchUser, tok, ada1, nil, scimSuspend), 409, "last active admin")
	wantSCIMError(t, "PUT active false on the last active admin", a.SCIM(scimapi.SCIMReplaceUser, tok, ada1, nil,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":false}`), 409, "last active admin")
	wantSCIMError(t, "DELETE of the last active admin", a.SCIM(scimapi.SCIMDeleteUser, tok, ada1, nil, ""), 409, "last active admin")
	if m := a.MemberOf(org, ada); m.Suspended() || m.Role != roles.Admin {
		t.Errorf("a refused suspension changed ada: %+v", m)
	}
	if n := len(a.Events(org, "member.suspended")); n != before {
		t.Errorf("%d member.suspended events after the refusals, want %d", n, before)
	}
	if n := len(a.Events(org, "member.removed")); n != 0 {
		t.Errorf("%d member.removed events after a refused removal", n)
	}
	// The portal's rule counts the same admins: ada can't make herself a user, and can't
	// delete her account.
	if r := a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": org, "userId": ada.ID}, nil, `{"role":"user"}`); r.Status != 409 {
		t.Errorf("the last active admin demoting herself: %d %s, want 409", r.Status, r.Body)
	}
	// Demoting, removing and reactivating the suspended admin move no active admin.
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"Operations":[{"op":"remove","path":"members[value eq \"`+bob.ID+`\"]"}]}`); r.Status != 200 {
		t.Fatalf("demote the suspended bob: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 1 {
		t.Errorf("admins after demoting a suspended admin: %d, want 1", o.AdminCount)
	}
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil,
		`{"Operations":[{"op":"add","path":"members","value":[{"value":"`+bob.ID+`"}]}]}`); r.Status != 200 {
		t.Fatalf("make the suspended bob admin: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 1 {
		t.Errorf("admins after making a suspended member admin: %d, want 1", o.AdminCount)
	}
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimActivate); r.Status != 200 {
		t.Fatalf("reactivate bob: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 2 {
		t.Errorf("admins after reactivating an admin: %d, want 2", o.AdminCount)
	}
	// Now ada may go: bob can act.
	if r := a.SCIM(scimapi.SCIMDeleteUser, tok, map[string]string{"id": bob.ID}, nil, ""); r.Status != 204 {
		t.Fatalf("remove bob: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 1 || o.MemberCount != 1 {
		t.Errorf("after removing an active admin: admins %d, members %d, want 1 and 1", o.AdminCount, o.MemberCount)
	}
}

func TestSCIMRemovingASuspendedAdminLeavesTheActiveCount(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.Admin)
	tok := a.SCIMToken(ada, org)
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.Status != 200 {
		t.Fatalf("suspend bob: %d %s", r.Status, r.Body)
	}
	// Ada removes the suspended admin in the portal: the one active admin stays counted.
	if r := a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": org, "userId": bob.ID}, nil, ""); r.Status != 204 {
		t.Fatalf("remove the suspended bob: %d %s", r.Status, r.Body)
	}
	if o := a.OrgCounts(org); o.AdminCount != 1 || o.MemberCount != 1 {
		t.Errorf("after removing a suspended admin: admins %d, members %d, want 1 and 1", o.AdminCount, o.MemberCount)
	}
}

// TestSCIMTwoSuspensionsOfTheLastTwoAdminsAtOnce: each reads two active admins; the org item's
// count lets exactly one through.
func TestSCIMTwoSuspensionsOfTheLastTwoAdminsAtOnce(t *testing.T) {
	a := apitest.NewAPI(t)
	for round := range 3 {
		ada, bob := apitest.Person("ada"), apitest.Person("bob")
		ada.ID, bob.ID = ada.ID+string(rune('a'+round)), bob.ID+string(rune('a'+round))
		org := a.Org(ada, "Acme")
		a.Member(org, bob, roles.Admin)
		tok := a.SCIMToken(ada, org)
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for _, c := range []orgs.Caller{ada, bob} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := a.Call(scimapi.SCIMPatchUser, a.SCIMRequest(scimapi.SCIMPatchUser, tok, map[string]string{"id": c.ID}, nil, scimSuspend))
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
				if resp.StatusCode != 200 && resp.StatusCode != 409 {
					t.Errorf("suspend %s: %d %s", c.ID, resp.StatusCode, resp.Body)
				}
			}()
		}
		wg.Wait()
		if statuses[200] != 1 || statuses[409] != 1 {
			t.Errorf("round %d: %v, want one 200 and one 409", round, statuses)
		}
		suspended := 0
		for _, c := range []orgs.Caller{ada, bob} {
			if m := a.MemberOf(org, c); m.Suspended() {
				suspended++
			}
		}
		if o := a.OrgCounts(org); suspended != 1 || o.AdminCount != 1 {
			t.Errorf("round %d: %d suspended, adminCount %d, want 1 and 1", round, suspended, o.AdminCount)
		}
		if n := len(a.Events(org, "member.suspended")); n != 1 {
			t.Errorf("round %d: %d member.suspended events, want 1", round, n)
		}
	}
}

// TestSCIMSuspensionStopsTheMembersToolSignIns: the email guard a tool's sign-in reads carries
// the suspension, and reactivation lifts it.
func TestSCIMSuspensionStopsTheMembersToolSignIns(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.User)
	view, _ := a.ViewToken(ada, org)
	orgTok := view["token"].(string)
	if r := a.SignIn(bob.Email, orgTok); r.Status != 200 {
		t.Fatalf("bob's tool sign-in before: %d %s", r.Status, r.Body)
	}
	tok := a.SCIMToken(ada, org)
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.Status != 200 {
		t.Fatalf("suspend: %d %s", r.Status, r.Body)
	}
	if r := a.SignIn(bob.Email, orgTok); r.Status != http.StatusUnauthorized {
		t.Errorf("a suspended member's tool sign-in: %d %s, want 401", r.Status, r.Body)
	}
	for _, q := range []map[string]string{nil, {"q": "bob"}, {"role": "user"}} {
		if r := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": org}, q, ""); !strings.Contains(r.Body, `"status":"suspended"`) {
			t.Errorf("the member list (%v) shows bob as: %s", q, r.Body)
		}
	}
	found, err := a.Store.Members(context.Background(), org, members.Filter{Query: "bob"}, paging.Request{Limit: 10})
	if err != nil || len(found.Members) != 1 || !found.Members[0].Suspended() {
		t.Errorf("the member search finds bob as %+v (%v), want suspended", found.Members, err)
	}
	acc, err := a.Store.Account(context.Background(), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range acc.Memberships {
		if m.OrgID == org && m.Status != orgs.StatusSuspended {
			t.Errorf("bob's own side of the membership: %q, want suspended", m.Status)
		}
	}
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimActivate); r.Status != 200 {
		t.Fatalf("reactivate: %d %s", r.Status, r.Body)
	}
	if r := a.SignIn(bob.Email, orgTok); r.Status != 200 {
		t.Errorf("a reactivated member's tool sign-in: %d %s", r.Status, r.Body)
	}
}

// The SCIM token is the org's credential, not its maker's (API.md, SCIM): it survives its
// maker's demotion, suspension and removal, and only deleting it, making a new one or the
// org's authentication reset end it.
func TestSCIMTokenSurvivesItsMakersDemotionSuspensionAndRemoval(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob, cy, dee := apitest.Person("ada"), apitest.Person("bob"), apitest.Person("cy"), apitest.Person("dee")
	org := a.Org(ada, "Acme")
	a.Member(org, bob, roles.Admin)
	a.Member(org, cy, roles.User)
	a.Member(org, dee, roles.Admin)
	tok := a.SCIMToken(bob, org)
	if r := a.SCIM(scimapi.SCIMListGroups, tok, nil, map[string]string{"excludedAttributes": "members"}, ""); r.Status != 200 || r.Calls != 1 {
		t.Fatalf("bob's token: %d in %d calls, want 200 in 1", r.Status, r.Calls)
	}
	works := func(when string) {
		t.Helper()
		if r := a.SCIM(scimapi.SCIMListUsers, tok, nil, nil, ""); r.Status != 200 || r.Calls > 2 {
			t.Errorf("the token %s: %d in %d calls %.200s; want 200 in at most 2", when, r.Status, r.Calls, r.Body)
		}
	}
	if r := a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": org, "userId": bob.ID}, nil, `{"role":"user"}`); r.Status != 200 {
		t.Fatalf("demote bob: %d %s", r.Status, r.Body)
	}
	works("after its maker's demotion")
	// It still writes: cy joins the admin group.
	if r := a.SCIM(scimapi.SCIMPatchGroup, tok, map[string]string{"id": "admin"}, nil, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+cy.ID+`"}]}]}`); r.Status/100 != 2 {
		t.Errorf("a group PATCH after the maker's demotion: %d %s", r.Status, r.Body)
	}
	if m := a.MemberOf(org, cy); m.Role != roles.Admin {
		t.Errorf("cy is %s after the group PATCH", m.Role)
	}
	if r := a.SCIM(scimapi.SCIMPatchUser, tok, map[string]string{"id": bob.ID}, nil, scimSuspend); r.Status != 200 {
		t.Fatalf("suspending the maker with their token: %d %s", r.Status, r.Body)
	}
	works("after its maker's suspension")
	if r := a.Do(membersapi.RemoveMember, &ada, map[string]string{"orgId": org, "userId": bob.ID}, nil, ""); r.Status != 204 {
		t.Fatalf("remove bob: %d %s", r.Status, r.Body)
	}
	works("after its maker's removal")
	// A new token ends it.
	fresh := a.SCIMToken(dee, org)
	if r := a.SCIM(scimapi.SCIMListUsers, tok, nil, nil, ""); r.Status != 401 {
		t.Errorf("the old token after a new one was made: %d", r.Status)
	}
	if r := a.SCIM(scimapi.SCIMListUsers, fresh, nil, nil, ""); r.Status != 200 {
		t.Errorf("the new token: %d %s", r.Status, r.Body)
	}
}

// A SCIM token made by a request that read the org before an authentication reset and wrote
// after it does not outlive the reset (a stolen admin session looping token creations).
func TestASCIMTokenFromARequestBeforeTheResetDoesNotOutliveIt(t *testing.T) {
	a := apitest.NewAPI(t)
	a.Env.UseMail(&mail.Recorder{})
	ada := apitest.Person("ada")
	org := a.Org(ada, "Acme")
	stale, err := a.Env.Orgs().Authorize(context.Background(), ada, org)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Do(tokensapi.ResetAuth, &ada, map[string]string{"orgId": org}, nil, ""); r.Status != 204 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	tok, _, err := a.Env.SCIMTokens().Create(context.Background(), stale)
	if err == nil {
		if r := a.SCIM(scimapi.SCIMListUsers, tok, nil, nil, ""); r.Status != 401 {
			t.Errorf("a token written after the reset by a request that read the org before it: %d %s", r.Status, r.Body)
		}
		t.Error("the token's write after the reset succeeded")
	}
}
