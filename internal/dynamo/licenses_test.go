package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

var opCaller = orgs.Caller{ID: "op-1", Email: "op@vendor.example", Operator: true}

func (w *world) licensing() *licensing.Service {
	return &licensing.Service{Store: w.store(), Now: w.clock.Now, NewID: app.NewULID, AppURL: "https://portal.example.com"}
}

// product puts a catalog product with a 30-day trial and agreement version 2026-01.
func (w *world) product(id string) {
	w.t.Helper()
	_, err := w.licensing().PutProduct(context.Background(), opCaller, id, licensing.ProductInput{
		Name: "Product " + id, Availability: licensing.Commercial, Trial: &licensing.TrialTerms{Days: 30, NodeLimit: 5},
		AgreementVersion: "2026-01",
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) grant(orgID, productID string, seats *int, ends time.Time) licensing.License {
	w.t.Helper()
	in := licensing.GrantInput{ProductID: productID, Type: licensing.TypeEnterprise, SeatLimit: seats}
	if !ends.IsZero() {
		in.EndsAt = &ends
	}
	l, err := w.licensing().Grant(context.Background(), opCaller, orgID, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

func (w *world) license(orgID, id string) licensing.License {
	w.t.Helper()
	l, err := w.store().License(context.Background(), orgID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

func intp(n int) *int { return &n }

func TestOneTrialPerProductPerOrgEvenWhenFiveRace(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	w.product("widget")
	svc := w.licensing()
	errs := race(5, func(int) error {
		_, err := svc.StartTrial(context.Background(), w.access(ada, orgID, orgs.Subject{}), licensing.TrialInput{ProductID: "widget", AgreementVersion: "2026-01"})
		return err
	})
	ok, kinds := tally(errs)
	if ok != 1 || kinds[apperr.Conflict] != 4 {
		t.Fatalf("5 racing trials: %d created, %v failed; want 1 and 4 conflicts (%v)", ok, kinds, errs)
	}
	page, err := w.store().Licenses(context.Background(), orgID, paging.Request{Limit: 50})
	if err != nil || len(page.Licenses) != 1 {
		t.Fatalf("licenses %v %v; want one trial", page.Licenses, err)
	}
	l := page.Licenses[0]
	if l.Type != licensing.TypeTrial || l.Agreement == nil || l.Agreement.Version != "2026-01" || l.Agreement.AcceptedBy.ID != ada.ID {
		t.Errorf("trial %+v: want the acceptance kept", l)
	}
	if got := w.actions(orgID, "license."); !slices.Equal(got, []string{"license.trial_started"}) {
		t.Errorf("events %v", got)
	}
	// Ever: even after the trial is revoked, no second one.
	if _, err := svc.Update(context.Background(), opCaller, orgID, l.ID, licensing.Change{Revoke: true}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.StartTrial(context.Background(), w.access(ada, orgID, orgs.Subject{}), licensing.TrialInput{ProductID: "widget", AgreementVersion: "2026-01"})
	if !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a second trial after revocation: %v; want a conflict", err)
	}
}

func TestSeatsNeverPassTheLimitUnderConcurrentAssigns(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	w.product("widget")
	l := w.grant(orgID, "widget", intp(2), time.Time{})
	var users []orgs.Caller
	for i := range 6 {
		c := person(fmt.Sprint("u", i))
		w.join(orgID, ada, c, roles.User)
		users = append(users, c)
	}
	svc := w.licensing()
	errs := race(len(users), func(i int) error {
		ctx := context.Background()
		a, err := w.orgs.AuthorizeFor(ctx, ada, orgID, orgs.Subject{UserID: users[i].ID, Reads: licensing.ReadLicense(l.ID, users[i].ID)})
		if err != nil {
			return err
		}
		_, err = svc.AssignSeat(ctx, a, l.ID)
		return err
	})
	ok, kinds := tally(errs)
	if ok != 2 || kinds[apperr.Conflict] != 4 {
		t.Fatalf("6 racing assigns on 2 seats: %d ok, %v; want 2 and 4 conflicts (%v)", ok, kinds, errs)
	}
	got := w.license(orgID, l.ID)
	if got.SeatsUsed != 2 || len(got.SeatHolders) != 2 {
		t.Fatalf("seatsUsed %d, holders %v; want 2", got.SeatsUsed, got.SeatHolders)
	}
	seats, err := w.store().Seats(context.Background(), orgID, l.ID, paging.Request{Limit: 50})
	if err != nil || len(seats.Seats) != 2 {
		t.Fatalf("seat items %v %v; want 2", seats.Seats, err)
	}
	// Lowering the limit below the seats in use is refused.
	if _, err := svc.Update(context.Background(), opCaller, orgID, l.ID, licensing.Change{SetSeatLimit: true, SeatLimit: intp(1)}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("seatLimit 1 with 2 seats used: %v; want a conflict", err)
	}
}

func TestRemovingAMemberFreesTheirSeatsInTheRemoval(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.product("widget")
	w.product("gadget")
	l1 := w.grant(orgID, "widget", intp(3), time.Time{})
	l2 := w.grant(orgID, "gadget", intp(3), time.Time{})
	w.join(orgID, ada, bob, roles.User)
	svc := w.licensing()
	for _, l := range []licensing.License{l1, l2} {
		ctx := context.Background()
		a, err := w.orgs.AuthorizeFor(ctx, ada, orgID, orgs.Subject{UserID: bob.ID, Reads: licensing.ReadLicense(l.ID, bob.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AssignSeat(ctx, a, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	a := w.access(ada, orgID, orgs.Subject{UserID: bob.ID})
	if len(a.Target.Seats) != 2 {
		t.Fatalf("bob's member item carries seats %v; want both licenses", a.Target.Seats)
	}
	if err := w.members.Remove(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	for _, l := range []licensing.License{l1, l2} {
		got := w.license(orgID, l.ID)
		if got.SeatsUsed != 0 || len(got.SeatHolders) != 0 {
			t.Errorf("%s after bob's removal: seatsUsed %d, holders %v; want none", l.ProductID, got.SeatsUsed, got.SeatHolders)
		}
		seats, _ := w.store().Seats(context.Background(), orgID, l.ID, paging.Request{Limit: 50})
		if len(seats.Seats) != 0 {
			t.Errorf("%s seat items left: %v", l.ProductID, seats.Seats)
		}
	}
}

// outboxItems returns the outbox items of the test's own table (a Scan: the table is the
// test's alone).
// outboxItems returns the outbox's license-expiry emails (the invites that made the members
// write outbox messages of their own).
func (w *world) outboxItems(t *testing.T) []map[string]types.AttributeValue {
	t.Helper()
	out, err := w.client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(w.table),
		FilterExpression:          aws.String("begins_with(PK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "OUTBOX#"}}})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(out.Items, func(it map[string]types.AttributeValue) bool {
		b, ok := it["body"].(*types.AttributeValueMemberB)
		return !ok || !strings.Contains(string(b.Value), `"purpose":"license-expiry"`)
	})
}

func TestLicenseJobExpiresAndNoticesOnceEachEvenTwiceAtOnce(t *testing.T) {
	w := newWorld(t)
	ada, bill, uma := person("ada"), person("bill"), person("uma")
	orgID := w.newOrg(ada)
	w.join(orgID, ada, bill, roles.BillingAdmin)
	w.join(orgID, ada, uma, roles.User)
	w.product("widget")
	svc := w.licensing()
	now := w.clock.Now()
	l := w.grant(orgID, "widget", nil, now.Add(20*24*time.Hour))
	runTwiceAtOnce := func(at time.Time) {
		t.Helper()
		w.clock.Set(at)
		for _, err := range race(2, func(int) error { return svc.ProcessDue(context.Background(), at, nil) }) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	notices := func() int {
		return len(slices.DeleteFunc(w.actions(orgID, "license."), func(a string) bool { return a != "license.expiry_notice" }))
	}

	runTwiceAtOnce(now.Add(5 * 24 * time.Hour)) // 15 days left: nothing yet
	if n := notices(); n != 0 {
		t.Fatalf("%d notices with 15 days left", n)
	}
	runTwiceAtOnce(now.Add(7 * 24 * time.Hour)) // 13 days left: the 14-day notice
	if n := notices(); n != 1 {
		t.Fatalf("%d notices with 13 days left; want 1", n)
	}
	msgs := w.outboxItems(t)
	if len(msgs) != 2 {
		t.Fatalf("%d outbox emails; want one to ada (admin) and one to bill (billing admin), none to uma", len(msgs))
	}
	runTwiceAtOnce(now.Add(8 * 24 * time.Hour))
	if n := notices(); n != 1 {
		t.Fatalf("the 14-day notice went out again: %d", n)
	}
	// The operator moves endsAt: the notices are re-armed; first seen with a day left, only
	// the 1-day notice goes.
	end := now.Add(8*24*time.Hour + 20*time.Hour)
	if _, err := svc.Update(context.Background(), opCaller, orgID, l.ID, licensing.Change{SetEndsAt: true, EndsAt: &end}); err != nil {
		t.Fatal(err)
	}
	runTwiceAtOnce(now.Add(8*24*time.Hour + time.Hour))
	if n := notices(); n != 2 {
		t.Fatalf("%d notices after endsAt moved to 19 h away; want 2 (one 1-day notice more)", n)
	}
	if got := len(w.outboxItems(t)); got != 4 {
		t.Errorf("%d outbox emails; want 4", got)
	}
	runTwiceAtOnce(end.Add(time.Second))
	runTwiceAtOnce(end.Add(time.Minute))
	got := w.actions(orgID, "license.")
	if c := len(slices.DeleteFunc(slices.Clone(got), func(a string) bool { return a != "license.expired" })); c != 1 {
		t.Errorf("events %v: want exactly one license.expired", got)
	}
	if n := notices(); n != 2 {
		t.Errorf("%d notices in all; want 2", n)
	}
	if st := w.license(orgID, l.ID); st.ExpiredAt.IsZero() || !st.DueAt.IsZero() {
		t.Errorf("after expiry: expiredAt %v, dueAt %v; want recorded and out of the due index", st.ExpiredAt, st.DueAt)
	}
}

func TestLicenseJobCatchesUpOnDaysItMissed(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	w.product("widget")
	svc := w.licensing()
	now := w.clock.Now()
	if err := svc.ProcessDue(context.Background(), now, nil); err != nil { // sets the watermark
		t.Fatal(err)
	}
	l := w.grant(orgID, "widget", nil, now.Add(3*24*time.Hour))
	// The job does not run for 40 days; then it finds the license in an old shard.
	w.clock.Set(now.Add(40 * 24 * time.Hour))
	if err := svc.ProcessDue(context.Background(), w.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if st := w.license(orgID, l.ID); st.ExpiredAt.IsZero() {
		t.Errorf("a license due 37 days before the run was missed: %+v", st)
	}
}

func TestLicenseJobSendsNothingForADeletedOrg(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	w.product("widget")
	svc := w.licensing()
	l := w.grant(orgID, "widget", nil, w.clock.Now().Add(10*24*time.Hour))
	o := w.org(orgID)
	if err := w.orgs.Delete(context.Background(), ada, w.access(ada, orgID, orgs.Subject{}), o.Handle); err != nil {
		t.Fatal(err)
	}
	if err := svc.ProcessDue(context.Background(), w.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(w.outboxItems(t)); n != 0 {
		t.Errorf("%d emails for a deleted org's license", n)
	}
	if st := w.license(orgID, l.ID); !st.DueAt.IsZero() {
		t.Errorf("the deleted org's license is still due at %v", st.DueAt)
	}
}
