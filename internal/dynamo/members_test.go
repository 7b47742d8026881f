package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// listAll pages through the member list with limit and returns every member seen.
func (w *world) listAll(a orgs.Access, role, q string, limit int) []orgs.Member {
	w.t.Helper()
	var all []orgs.Member
	p := paging.Request{Limit: limit}
	for range 1000 {
		page, err := w.members.List(context.Background(), a, role, q, "", p)
		if err != nil {
			w.t.Fatalf("list role=%q q=%q: %v", role, q, err)
		}
		if len(page.Members) > limit {
			w.t.Fatalf("page of %d members for limit %d", len(page.Members), limit)
		}
		all = append(all, page.Members...)
		if page.Next == "" {
			return all
		}
		p.After = page.Next
	}
	w.t.Fatal("the list never ends")
	return nil
}

// populate makes an org with admin ada and n more members, cycling through the roles; member
// i is m<i>@example.com named "Member <i>".
func populate(w *world, n int) (string, orgs.Caller, []orgs.Member) {
	ada := named("ada", "Ada Lovelace")
	orgID := w.newOrg(ada)
	members := []orgs.Member{w.access(ada, orgID, orgs.Subject{}).Member}
	others := []roles.Role{roles.User, roles.SupportOnly, roles.ViewerAdmin, roles.BillingAdmin, roles.Admin}
	for i := range n {
		c := named(fmt.Sprintf("m%02d", i), fmt.Sprintf("Member %02d", i))
		members = append(members, w.join(orgID, ada, c, others[i%len(others)]))
	}
	return orgID, ada, members
}

func TestMemberListPagesThroughEveryMemberOnceInEmailOrder(t *testing.T) {
	w := newWorld(t)
	orgID, ada, members := populate(w, 22)
	a := w.access(ada, orgID, orgs.Subject{})
	for _, limit := range []int{1, 5, 23, 200} {
		got := w.listAll(a, "", "", limit)
		ids := userIDs(got)
		if !slices.Equal(sortedCopy(ids), sortedCopy(userIDs(members))) {
			t.Fatalf("limit %d: got %v, want every member once: %v", limit, ids, userIDs(members))
		}
		if !slices.IsSortedFunc(got, func(x, y orgs.Member) int { return strings.Compare(x.Email, y.Email) }) {
			t.Errorf("limit %d: not in email order", limit)
		}
	}
}

func TestMemberListFiltersByRole(t *testing.T) {
	w := newWorld(t)
	orgID, ada, members := populate(w, 12)
	a := w.access(ada, orgID, orgs.Subject{})
	for _, r := range roles.All {
		var want []string
		for _, m := range members {
			if m.Role == r {
				want = append(want, m.UserID)
			}
		}
		got := w.listAll(a, string(r), "", 2)
		if !slices.Equal(sortedCopy(userIDs(got)), sortedCopy(want)) {
			t.Errorf("role %s: got %v, want %v", r, userIDs(got), want)
		}
	}
	if _, err := w.members.List(context.Background(), a, "owner", "", "", paging.Request{Limit: 10}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown role: %v", err)
	}
}

func TestMemberSearchMatchesPrefixOfEmailOrNameCaseInsensitively(t *testing.T) {
	w := newWorld(t)
	ada := named("ada", "Ada Lovelace")
	orgID := w.newOrg(ada)
	people := map[string]orgs.Caller{
		"grace":  named("grace", "Grace Hopper"),    // email and name match "gr"
		"zed":    named("zed", "Grete Zed"),         // name matches "gr"
		"greg":   named("greg", ""),                 // email matches "gr", no name
		"linus":  named("linus", "Linus Torvalds"),  // neither
		"hopper": named("hopper", "Admiral Hopper"), // "hop": email only; the name's second word doesn't count
		"adam":   named("adam.smith", "Adam Smith"), // "ada": email and name
	}
	role := map[string]roles.Role{"grace": roles.Admin, "zed": roles.User, "greg": roles.User, "linus": roles.User, "hopper": roles.SupportOnly, "adam": roles.User}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range people {
			if !yield(k) {
				return
			}
		}
	}) {
		w.join(orgID, ada, people[k], role[k])
	}
	a := w.access(ada, orgID, orgs.Subject{})
	cases := []struct {
		role, q string
		want    []string
	}{
		{"", "gr", []string{"user-grace", "user-zed", "user-greg"}},
		{"", "GR", []string{"user-grace", "user-zed", "user-greg"}},
		{"", "  Gre", []string{"user-zed", "user-greg"}},
		{"", "grace hop", []string{"user-grace"}},
		{"", "hop", []string{"user-hopper"}},
		{"", "ada", []string{"user-ada", "user-adam.smith"}},
		{"", "ada lovelace", []string{"user-ada"}},
		{"", "nobody", nil},
		{"user", "gr", []string{"user-zed", "user-greg"}},
		{"admin", "gr", []string{"user-grace"}},
		{"admin", "ada", []string{"user-ada"}},
		{"support_only", "gr", nil},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 2, 50} {
			got := userIDs(w.listAll(a, c.role, c.q, limit))
			if !slices.Equal(sortedCopy(got), sortedCopy(c.want)) {
				t.Errorf("role=%q q=%q limit %d: got %v, want %v", c.role, c.q, limit, got, c.want)
			}
		}
	}
}

func TestMemberSearchPagesAcrossManyMatchesOnce(t *testing.T) {
	w := newWorld(t)
	orgID, ada, members := populate(w, 15) // emails m00…, names "Member 00"…: "m" matches both
	a := w.access(ada, orgID, orgs.Subject{})
	want := userIDs(members[1:])
	for _, limit := range []int{1, 4, 100} {
		got := userIDs(w.listAll(a, "", "m", limit))
		if !slices.Equal(sortedCopy(got), sortedCopy(want)) {
			t.Errorf("limit %d: got %v, want each of %v once", limit, got, want)
		}
	}
	if got := userIDs(w.listAll(a, "", "member 1", 2)); len(got) != 5 {
		t.Errorf("name prefix \"member 1\": got %v, want the 5 members 10–14", got)
	}
}

func TestRoleChangeRewritesBothSidesIndexesCountsAndEvent(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	bob := named("bob", "Bob")
	w.join(orgID, ada, bob, roles.User)
	ctx := context.Background()

	role := roles.Admin
	m, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}), members.Update{Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != roles.Admin {
		t.Errorf("member = %+v", m)
	}
	if o := w.org(orgID); o.AdminCount != 2 || o.MemberCount != 2 {
		t.Errorf("counts after promotion: admins %d, members %d", o.AdminCount, o.MemberCount)
	}
	acc, err := w.orgs.Account(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(acc.Memberships, func(ms orgs.Membership) bool { return ms.OrgID == orgID }); i < 0 || acc.Memberships[i].Role != roles.Admin {
		t.Errorf("the user's side: %+v", acc.Memberships)
	}
	a := w.access(ada, orgID, orgs.Subject{})
	for _, c := range []struct{ role, q string }{{"admin", ""}, {"admin", "bob"}} {
		if got := userIDs(w.listAll(a, c.role, c.q, 10)); !slices.Contains(got, bob.ID) {
			t.Errorf("role=%s q=%s: %v lacks bob", c.role, c.q, got)
		}
	}
	if got := userIDs(w.listAll(a, "user", "b", 10)); len(got) != 0 {
		t.Errorf("bob still listed as user: %v", got)
	}
	evs := w.events(orgID)
	last := evs[len(evs)-1]
	if last.Action != "member.role_changed" || last.Details["from"] != "user" || last.Details["to"] != "admin" ||
		last.Summary != "ada@example.com changed bob@example.com's role from user to admin" || last.Target.ID != bob.ID {
		t.Errorf("event = %+v", last)
	}

	// Demoting again counts down, and properties alone are member.updated.
	role = roles.SupportOnly
	if _, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}), members.Update{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if o := w.org(orgID); o.AdminCount != 1 {
		t.Errorf("admins after demotion: %d", o.AdminCount)
	}
	// The org defines its properties (as PUT user-properties would have).
	defined := w.access(ada, orgID, orgs.Subject{UserID: bob.ID})
	defined.Org.UserProperties = []orgs.UserProperty{{Key: "team", Type: orgs.PropertyString}, {Key: "seats", Type: orgs.PropertyNumber}, {Key: "vip", Type: orgs.PropertyBoolean}}
	m, err = w.members.Update(ctx, defined,
		members.Update{SetProperties: true, Properties: map[string]any{"team": "ops", "seats": 3.0, "vip": true}})
	if err != nil || m.Properties["team"] != "ops" || m.Role != roles.SupportOnly {
		t.Fatalf("properties: %+v %v", m, err)
	}
	if got := w.access(ada, orgID, orgs.Subject{UserID: bob.ID}).Target; got.Properties["seats"] != 3.0 || got.Properties["vip"] != true {
		t.Errorf("stored properties = %v", got.Properties)
	}
	if acts := w.actions(orgID, "member."); !slices.Equal(acts, []string{"member.role_changed", "member.role_changed", "member.updated"}) {
		t.Errorf("events %v", acts)
	}
	if _, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}),
		members.Update{SetProperties: true, Properties: map[string]any{"list": []any{1.0}}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a list property: %v", err)
	}
}

func TestLastAdminCannotBeDemotedRemovedOrLeave(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	bob := person("bob")
	w.join(orgID, ada, bob, roles.User)
	ctx := context.Background()
	self := w.access(ada, orgID, orgs.Subject{UserID: ada.ID, SelfAllowed: true})

	role := roles.User
	if _, err := w.members.Update(ctx, self, members.Update{Role: &role}); !errors.Is(err, orgs.ErrLastAdmin) {
		t.Errorf("demoting the last admin: %v", err)
	}
	if err := w.members.Remove(ctx, self); !errors.Is(err, orgs.ErrLastAdmin) {
		t.Errorf("the last admin leaving: %v", err)
	}
	// With a second admin, the first may go; then the second is the last.
	w.join(orgID, ada, person("cy"), roles.Admin)
	if err := w.members.Remove(ctx, w.access(ada, orgID, orgs.Subject{UserID: ada.ID, SelfAllowed: true})); err != nil {
		t.Fatalf("an admin leaving while another remains: %v", err)
	}
	cy := person("cy")
	if err := w.members.Remove(ctx, w.access(cy, orgID, orgs.Subject{UserID: cy.ID})); !errors.Is(err, orgs.ErrLastAdmin) {
		t.Errorf("the remaining admin leaving: %v", err)
	}
	if o := w.org(orgID); o.AdminCount != 1 || o.MemberCount != 2 {
		t.Errorf("counts: admins %d members %d", o.AdminCount, o.MemberCount)
	}
	if acts := w.actions(orgID, "member."); !slices.Equal(acts, []string{"member.left"}) {
		t.Errorf("events %v", acts)
	}
}

func TestTwoAdminsDemotingEachOtherAtOnceLeaveOneAdmin(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			w := newWorld(t)
			ada, bob := person("ada"), person("bob")
			orgID := w.newOrg(ada)
			w.join(orgID, ada, bob, roles.Admin)
			pairs := [][2]orgs.Caller{{ada, bob}, {bob, ada}}
			access := []orgs.Access{
				w.access(ada, orgID, orgs.Subject{UserID: bob.ID}),
				w.access(bob, orgID, orgs.Subject{UserID: ada.ID}),
			}
			role := roles.User
			errs := race(2, func(i int) error {
				_, err := w.members.Update(context.Background(), access[i], members.Update{Role: &role})
				return err
			})
			ok, kinds := tally(errs)
			if ok != 1 || kinds[apperr.Conflict] != 1 {
				t.Fatalf("%v demoting each other: %v", pairs, errs)
			}
			o := w.org(orgID)
			admins := w.listAll(w.access(ada, orgID, orgs.Subject{}), "admin", "", 10)
			if o.AdminCount != 1 || len(admins) != 1 {
				t.Errorf("adminCount %d, admins listed %v", o.AdminCount, userIDs(admins))
			}
			if acts := w.actions(orgID, "member."); len(acts) != 1 {
				t.Errorf("events %v", acts)
			}
		})
	}
}

func TestStaleReadOfARoleCannotChangeIt(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, bob, roles.Admin)
	ctx := context.Background()
	stale := w.access(ada, orgID, orgs.Subject{UserID: bob.ID})
	role := roles.User
	if _, err := w.members.Update(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID}), members.Update{Role: &role}); err != nil {
		t.Fatal(err)
	}
	// The stale read still says bob is admin: removing him must not count an admin down.
	if err := w.members.Remove(ctx, stale); !errors.Is(err, orgs.ErrMemberChanged) {
		t.Errorf("removal on a stale read: %v", err)
	}
	// A demoted admin's authorization, read before the demotion, no longer holds.
	staleBob := w.access(bob, orgID, orgs.Subject{UserID: ada.ID})
	staleBob.Member.Role = roles.Admin
	if err := w.members.Remove(ctx, staleBob); !errors.Is(err, orgs.ErrActorChanged) {
		t.Errorf("a demoted admin removing: %v", err)
	}
	if o := w.org(orgID); o.AdminCount != 1 || o.MemberCount != 2 {
		t.Errorf("counts: %+v", o)
	}
}

func TestRemovalDeletesBothSidesAndCountsAndEndsAccessAtOnce(t *testing.T) {
	w := newWorld(t)
	ada, bob, cy := person("ada"), named("bob", "Bob"), person("cy")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, bob, roles.Admin)
	w.join(orgID, ada, cy, roles.User)
	ctx := context.Background()
	if err := w.members.Remove(ctx, w.access(ada, orgID, orgs.Subject{UserID: bob.ID})); err != nil {
		t.Fatal(err)
	}
	if o := w.org(orgID); o.AdminCount != 1 || o.MemberCount != 2 {
		t.Errorf("counts: admins %d members %d", o.AdminCount, o.MemberCount)
	}
	if _, err := w.orgs.Authorize(ctx, bob, orgID, roles.OrgRead); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("removed member still authorized: %v", err)
	}
	acc, _ := w.orgs.Account(ctx, bob)
	if slices.ContainsFunc(acc.Memberships, func(m orgs.Membership) bool { return m.OrgID == orgID }) {
		t.Error("the user's side survived")
	}
	for _, q := range []string{"", "bob"} {
		if got := userIDs(w.listAll(w.access(ada, orgID, orgs.Subject{}), "", q, 10)); slices.Contains(got, bob.ID) {
			t.Errorf("q=%q still lists bob: %v", q, got)
		}
	}
	for _, it := range w.partition("ORG#" + orgID) {
		if sk := it["SK"]; strings.Contains(fmt.Sprint(sk), bob.ID) || strings.Contains(fmt.Sprint(sk), "bob@") {
			t.Errorf("item left behind: %v", sk)
		}
	}
	// cy leaves on her own: member.left.
	if err := w.members.Remove(ctx, w.access(cy, orgID, orgs.Subject{UserID: cy.ID, SelfAllowed: true})); err != nil {
		t.Fatal(err)
	}
	evs := w.events(orgID)
	if n := len(evs); evs[n-2].Action != "member.removed" || evs[n-2].Summary != "ada@example.com removed bob@example.com (admin) from the organization" ||
		evs[n-1].Action != "member.left" || evs[n-1].Summary != "cy@example.com left the organization" {
		t.Errorf("events: %+v %+v", evs[n-2], evs[n-1])
	}
	if o := w.org(orgID); o.MemberCount != 1 {
		t.Errorf("members %d", o.MemberCount)
	}
}

func TestPersonalAccountMemberCannotBeRemovedOrDemoted(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	me, err := w.orgs.Me(context.Background(), ada)
	if err != nil {
		t.Fatal(err)
	}
	a := w.access(ada, me.Profile.PersonalOrgID, orgs.Subject{UserID: ada.ID, SelfAllowed: true})
	role := roles.User
	if _, err := w.members.Update(context.Background(), a, members.Update{Role: &role}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("demote: %v", err)
	}
	if err := w.members.Remove(context.Background(), a); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("remove: %v", err)
	}
}
