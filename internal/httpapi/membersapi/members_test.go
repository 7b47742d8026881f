package membersapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func TestMemberListOverHTTPPagesWithSealedCursors(t *testing.T) {
	h := apitest.NewAPI(t)
	h.UseSES()
	ada := h.Caller("ada")
	orgID := h.Org(ada, "Acme")
	for i := range 5 {
		h.Join(orgID, ada, h.Caller(fmt.Sprint("m", i)), roles.User)
	}
	params := map[string]string{"orgId": orgID}
	page := h.Do(membersapi.ListMembers, &ada, params, map[string]string{"limit": "2"}, "")
	if page.Status != 200 || page.Calls > 2 {
		t.Fatalf("first page: %d (%d calls) %s", page.Status, page.Calls, page.Body)
	}
	body := page.JSON(t)
	items := body["items"].([]any)
	first := items[0].(map[string]any)
	if keys := slices.Sorted(maps.Keys(first)); !slices.Equal(keys, []string{"email", "joinedAt", "name", "phone", "properties", "role", "source", "status", "userId"}) {
		t.Errorf("member keys %v", keys)
	}
	cursor, _ := body["nextCursor"].(string)
	if len(items) != 2 || cursor == "" {
		t.Fatalf("page %s", page.Body)
	}
	seen := map[string]int{}
	for _, it := range items {
		seen[it.(map[string]any)["userId"].(string)]++
	}
	for cursor != "" {
		next := h.Do(membersapi.ListMembers, &ada, params, map[string]string{"limit": "2", "cursor": cursor}, "")
		if next.Status != 200 {
			t.Fatalf("next page: %d %s", next.Status, next.Body)
		}
		b := next.JSON(t)
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
		if got := h.Do(membersapi.ListMembers, &ada, params, q, ""); got.Status != 400 {
			t.Errorf("%s: %d %s", name, got.Status, got.Body)
		}
	}
	if got := h.Do(membersapi.ListMembers, &ada, params, map[string]string{"q": "M3." + h.Run}, ""); got.Status != 200 || len(got.JSON(t)["items"].([]any)) != 1 {
		t.Errorf("q: %d %s", got.Status, got.Body)
	}
}

// ?source= filters the member list (source=legacy is the legacy support users' tab), alone
// and together with the other filters; an unknown source is a 400.
func TestMemberListFiltersBySource(t *testing.T) {
	a := apitest.NewAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, apitest.Person("bob"), roles.User)
	for _, n := range []string{"cy", "dee"} {
		c := apitest.Person(n)
		a.Account(c)
		if err := a.Store.SeedMember(context.Background(), orgs.Member{
			OrgID: orgID, UserID: c.ID, Email: c.Email, Role: roles.SupportOnly, JoinedAt: apitest.HarnessNow, Source: orgs.SourceLegacy,
		}, orgs.Shared); err != nil {
			t.Fatal(err)
		}
	}
	org := map[string]string{"orgId": orgID}
	for _, c := range []struct {
		query map[string]string
		want  []string
	}{
		{map[string]string{"source": "legacy"}, []string{"user-cy", "user-dee"}},
		{map[string]string{"source": "legacy", "q": "de"}, []string{"user-dee"}},
		{map[string]string{"source": "legacy", "role": "support_only"}, []string{"user-cy", "user-dee"}},
		{map[string]string{"source": "invite"}, []string{"user-bob"}},
		{map[string]string{"source": "creator"}, []string{"user-ada"}},
		{map[string]string{"source": "scim"}, nil},
	} {
		r := a.Do(membersapi.ListMembers, &ada, org, c.query, "")
		if r.Status != 200 {
			t.Errorf("%v: %d %s", c.query, r.Status, r.Body)
			continue
		}
		var p apitest.Page
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range p.Items {
			got = append(got, m["userId"].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: listed %v, want %v", c.query, got, c.want)
		}
	}
	if r := a.Do(membersapi.ListMembers, &ada, org, map[string]string{"source": "nowhere"}, ""); r.Status != 400 {
		t.Errorf("an unknown source: %d %s; want 400", r.Status, r.Body)
	}
}
