package dynamo_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func ptr[T any](v T) *T { return &v }

func action(item map[string]types.AttributeValue) string {
	return item["action"].(*types.AttributeValueMemberS).Value
}

// withAction returns the events with the action (events written at the same instant of the
// test clock have no order among them).
func withAction(evs []map[string]types.AttributeValue, a string) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for _, e := range evs {
		if action(e) == a {
			out = append(out, e)
		}
	}
	return out
}

func TestUpdateSettingsWritesOneEventWithFromAndTo(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme", ContactName: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	a := f.authorize(t, caller(1), v.ID)
	got, err := f.orgs.UpdateSettings(ctx, caller(1), a, orgs.SettingsInput{
		Name: ptr("Acme Robotics"), ContactName: ptr(""), AvatarURL: ptr("https://cdn.example.com/a.png"),
		SupportTicketVisibility: ptr("all"), MembersCanInvite: ptr(true),
		BillingContacts: &[]orgs.Contact{{Name: "Bill", Email: "Bill@Acme.io"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	reread := f.authorize(t, caller(1), v.ID).Org
	if reread.Name != "Acme Robotics" || reread.ContactName != "" || reread.AvatarURL != got.AvatarURL ||
		reread.SupportTicketVisibility != orgs.VisibilityAll || !reread.MembersCanInvite ||
		len(reread.BillingContacts) != 1 || reread.BillingContacts[0].Email != "bill@acme.io" {
		t.Errorf("stored org = %+v", reread)
	}
	evs := f.eventItems(t, v.ID)
	updated := withAction(evs, "org.updated")
	if len(evs) != 2 || len(updated) != 1 {
		t.Fatalf("%d events, %d org.updated; want 2 and 1", len(evs), len(updated))
	}
	details := updated[0]["details"].(*types.AttributeValueMemberM).Value
	name := details["name"].(*types.AttributeValueMemberM).Value
	if name["from"].(*types.AttributeValueMemberS).Value != "Acme" || name["to"].(*types.AttributeValueMemberS).Value != "Acme Robotics" {
		t.Errorf("name change details: %v", name)
	}
	if _, ok := details["contactName"]; !ok {
		t.Error("clearing contactName is not in the details")
	}
	// The same change again changes nothing and writes nothing.
	if _, err := f.orgs.UpdateSettings(ctx, caller(1), f.authorize(t, caller(1), v.ID), orgs.SettingsInput{Name: ptr("Acme Robotics")}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.eventItems(t, v.ID)); n != 2 {
		t.Errorf("a no-op change wrote an event (%d events)", n)
	}
}

func TestSettingsValidationTellsWhatIsWrong(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, err := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	a := f.authorize(t, caller(1), v.ID)
	many := make([]orgs.Contact, 6)
	for i := range many {
		many[i] = orgs.Contact{Name: "n", Email: "n" + string(rune('a'+i)) + "@x.io"}
	}
	cases := map[string]struct {
		in   orgs.SettingsInput
		want string
	}{
		"http avatar":        {orgs.SettingsInput{AvatarURL: ptr("http://x.io/a.png")}, "avatarUrl"},
		"js avatar":          {orgs.SettingsInput{AvatarURL: ptr("javascript:alert(1)")}, "avatarUrl"},
		"bad contact email":  {orgs.SettingsInput{ContactEmail: ptr("not-an-email")}, "contactEmail"},
		"unknown visibility": {orgs.SettingsInput{SupportTicketVisibility: ptr("everyone")}, "supportTicketVisibility"},
		"name too long":      {orgs.SettingsInput{Name: ptr(strings.Repeat("x", 101))}, "name"},
		"empty name":         {orgs.SettingsInput{Name: ptr("  ")}, "name"},
		"too many contacts":  {orgs.SettingsInput{BillingContacts: &many}, "at most 5"},
		"contact bad email":  {orgs.SettingsInput{BillingContacts: &[]orgs.Contact{{Name: "B", Email: "b@"}}}, "billingContacts[0].email"},
		"duplicate contacts": {orgs.SettingsInput{BillingContacts: &[]orgs.Contact{{Name: "B", Email: "b@x.io"}, {Name: "C", Email: "B@x.io"}}}, "twice"},
	}
	for name, c := range cases {
		_, err := f.orgs.UpdateSettings(ctx, caller(1), a, c.in)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), c.want) {
			t.Errorf("%s: got %v, want invalid mentioning %q", name, err, c.want)
		}
	}
}

func TestBillingAdminMayChangeBillingContactsOnly(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v := f.orgWithMember(t, roles.BillingAdmin)
	a := f.authorize(t, caller(2), v.ID)
	if _, err := f.orgs.UpdateSettings(ctx, caller(2), a, orgs.SettingsInput{BillingContacts: &[]orgs.Contact{{Name: "B", Email: "b@x.io"}}}); err != nil {
		t.Fatalf("billing contacts: %v", err)
	}
	_, err := f.orgs.UpdateSettings(ctx, caller(2), f.authorize(t, caller(2), v.ID), orgs.SettingsInput{Name: ptr("Mine")})
	if !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("billing admin renamed the org: %v", err)
	}
	g := f.orgWithMember(t, roles.ViewerAdmin)
	_, err = f.orgs.UpdateSettings(ctx, caller(2), f.authorize(t, caller(2), g.ID), orgs.SettingsInput{BillingContacts: &[]orgs.Contact{}})
	if !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("viewer admin changed billing contacts: %v", err)
	}
}

func TestStaleSettingsChangeConflicts(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, _ := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme"})
	stale := f.authorize(t, caller(1), v.ID)
	if _, err := f.orgs.UpdateSettings(ctx, caller(1), stale, orgs.SettingsInput{Name: ptr("One")}); err != nil {
		t.Fatal(err)
	}
	_, err := f.orgs.UpdateSettings(ctx, caller(1), stale, orgs.SettingsInput{Name: ptr("Two")})
	if !apperr.Is(err, apperr.Conflict) {
		t.Errorf("an update from a stale read overwrote a newer one: %v", err)
	}
}

func TestHandleChangeReleasesTheOldHandle(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v, _ := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Acme", Handle: "acme"})
	if _, err := f.orgs.ChangeHandle(ctx, caller(1), f.authorize(t, caller(1), v.ID), "acme-2"); err != nil {
		t.Fatal(err)
	}
	if f.authorize(t, caller(1), v.ID).Org.Handle != "acme-2" {
		t.Error("handle not changed")
	}
	if _, err := f.orgs.Create(ctx, caller(2), orgs.CreateInput{Name: "Other", Handle: "acme"}); err != nil {
		t.Errorf("the old handle is not free: %v", err)
	}
	if _, err := f.orgs.ChangeHandle(ctx, caller(1), f.authorize(t, caller(1), v.ID), "acme"); !errors.Is(err, orgs.ErrHandleTaken) {
		t.Errorf("took a taken handle: %v", err)
	}
	for _, bad := range []string{"admin", "-x-", "ab"} {
		if _, err := f.orgs.ChangeHandle(ctx, caller(1), f.authorize(t, caller(1), v.ID), bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("handle %q: %v", bad, err)
		}
	}
	evs := f.eventItems(t, v.ID)
	if len(withAction(evs, "org.handle_changed")) != 1 || len(evs) != 2 {
		t.Errorf("%d events, want org.created and org.handle_changed", len(evs))
	}
}

func TestTwoOrgsRacingForANewHandleOneWins(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	a, _ := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "A"})
	b, _ := f.orgs.Create(ctx, caller(2), orgs.CreateInput{Name: "B"})
	accesses := []orgs.Access{f.authorize(t, caller(1), a.ID), f.authorize(t, caller(2), b.ID)}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { _, errs[i] = f.orgs.ChangeHandle(ctx, caller(i+1), accesses[i], "prized") })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one winner: %v / %v", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !apperr.Is(err, apperr.Conflict) {
			t.Errorf("loser got %v, want a conflict", err)
		}
	}
}

func TestDeletedOrgVanishesForEveryoneAndFreesItsHandle(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v := f.orgWithMember(t, roles.User)
	a := f.authorize(t, caller(1), v.ID)
	if err := f.orgs.Delete(ctx, caller(1), a, "wrong"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("wrong confirmation: %v", err)
	}
	if err := f.orgs.Delete(ctx, caller(1), a, ""); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("missing confirmation: %v", err)
	}
	if err := f.orgs.Delete(ctx, caller(1), a, v.Handle); err != nil {
		t.Fatal(err)
	}
	for _, c := range []orgs.Caller{caller(1), caller(2)} {
		if _, err := f.orgs.Authorize(ctx, c, v.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("%s still reaches the deleted org: %v", c.ID, err)
		}
		list, err := f.orgs.List(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.ID == v.ID {
				t.Errorf("%s still lists the deleted org", c.ID)
			}
		}
	}
	if _, err := f.orgs.Create(ctx, caller(3), orgs.CreateInput{Name: "New", Handle: v.Handle}); err != nil {
		t.Errorf("the handle is not free: %v", err)
	}
	// A second deletion from the same (now stale) read is refused; through the API the
	// authorization step answers 404 before it gets here.
	if err := f.orgs.Delete(ctx, caller(1), a, v.Handle); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second deletion: %v", err)
	}
	if _, err := f.orgs.Authorize(ctx, caller(1), v.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("authorization after deletion: %v", err)
	}
	if len(withAction(f.eventItems(t, v.ID), "org.deleted")) != 1 {
		t.Error("no org.deleted event")
	}
}

func TestPersonalAccountCantBeDeletedAlone(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	acc, err := f.orgs.Account(ctx, caller(1))
	if err != nil {
		t.Fatal(err)
	}
	a := f.authorize(t, caller(1), acc.Profile.PersonalOrgID)
	if err := f.orgs.Delete(ctx, caller(1), a, a.Org.Handle); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("deleting the personal account: %v", err)
	}
	if _, err := f.orgs.UpdateSettings(ctx, caller(1), a, orgs.SettingsInput{MembersCanInvite: ptr(true)}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("membersCanInvite on a personal account: %v", err)
	}
}

func TestPurgeRemovesADeletedOrgsDataAfterRetentionAndOnlyThen(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v := f.orgWithMember(t, roles.User)
	keep, _ := f.orgs.Create(ctx, caller(1), orgs.CreateInput{Name: "Keep"})
	deletedAt := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.orgs.Now = func() time.Time { return deletedAt }
	if err := f.orgs.Delete(ctx, caller(1), f.authorize(t, caller(1), v.ID), v.Handle); err != nil {
		t.Fatal(err)
	}
	store := f.orgs.Store.(*dynamotest.Store)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := orgs.PurgeDeleted(ctx, store, deletedAt.Add(orgs.PurgeRetention-time.Second), log); err != nil {
		t.Fatal(err)
	}
	if f.count(t, "ORG#"+v.ID) == 0 {
		t.Fatal("purged before the retention ended")
	}
	for range 2 { // twice: the second run finds nothing and changes nothing
		if err := orgs.PurgeDeleted(ctx, store, deletedAt.Add(orgs.PurgeRetention+time.Second), log); err != nil {
			t.Fatal(err)
		}
	}
	for _, pk := range []string{"ORG#" + v.ID, "ORG#" + v.ID + "#EV"} {
		if n := f.count(t, pk); n != 0 {
			t.Errorf("%s still holds %d items", pk, n)
		}
	}
	for _, c := range []orgs.Caller{caller(1), caller(2)} {
		acc, err := f.orgs.Account(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range acc.Memberships {
			if m.OrgID == v.ID {
				t.Errorf("%s keeps a membership of the purged org", c.ID)
			}
		}
	}
	if f.count(t, "ORG#"+keep.ID) == 0 {
		t.Error("purged a live org")
	}
}

// An org is purged however late the job runs: a job that did not run for weeks (or whose
// runs failed) still finds deletions older than any fixed look-back, and once they are
// purged it reads nothing more of them.
func TestPurgeFindsDeletionsHoweverLateTheJobRuns(t *testing.T) {
	f := newWorld(t)
	ctx := context.Background()
	v := f.orgWithMember(t, roles.User)
	deletedAt := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	f.orgs.Now = func() time.Time { return deletedAt }
	if err := f.orgs.Delete(ctx, caller(1), f.authorize(t, caller(1), v.ID), v.Handle); err != nil {
		t.Fatal(err)
	}
	store := f.orgs.Store.(*dynamotest.Store)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	late := deletedAt.Add(orgs.PurgeRetention + 60*24*time.Hour) // two months late
	if err := orgs.PurgeDeleted(ctx, store, late, log); err != nil {
		t.Fatal(err)
	}
	for _, pk := range []string{"ORG#" + v.ID, "ORG#" + v.ID + "#EV"} {
		if n := f.count(t, pk); n != 0 {
			t.Errorf("%s still holds %d items after a run two months late", pk, n)
		}
	}
	// Done (the next run drops the emptied day from the index): later runs read the same
	// whether they come a day or a year later.
	if err := orgs.PurgeDeleted(ctx, store, late.Add(time.Hour), log); err != nil {
		t.Fatal(err)
	}
	var costs []int
	for _, at := range []time.Time{late.Add(24 * time.Hour), late.Add(365 * 24 * time.Hour)} {
		cctx, calls := dynamo.WithCallCounter(ctx)
		if err := orgs.PurgeDeleted(cctx, store, at, log); err != nil {
			t.Fatal(err)
		}
		costs = append(costs, calls.Calls())
	}
	if costs[0] != costs[1] || costs[0] > 9 {
		t.Errorf("runs with nothing due made %v DynamoDB calls; want the same, at most 9 (the index and the recent days)", costs)
	}
}
