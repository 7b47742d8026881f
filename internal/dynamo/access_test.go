package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/licensing"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tickets"
	"github.com/vendorportal/orgs/internal/tokens"
)

// Reads of several capabilities asked together (and one item asked twice) still cost the
// authorization step its one BatchGetItem, each decoded into its own result, and a service
// then answers from them without a call.
func TestReadsOfSeveralKindsComeInTheAuthorizationStepsOneCall(t *testing.T) {
	w := newWorld(t)
	ada, bob := person("ada"), person("bob")
	orgID := w.newOrg(ada)
	w.product("widget")
	l := w.grant(orgID, "widget", intp(2), time.Time{})
	w.join(orgID, ada, bob, roles.User)
	svc := w.licensing()
	assign := orgs.Subject{UserID: bob.ID, Reads: licensing.ReadLicense(l.ID, bob.ID)}
	if _, err := svc.AssignSeat(context.Background(), w.access(ada, orgID, assign), l.ID); err != nil {
		t.Fatal(err)
	}

	days := tokens.UsageDays(time.Now())
	subj := orgs.Subject{UserID: bob.ID, Reads: []orgs.Read{
		licensing.LicenseRead{ID: l.ID, UserID: bob.ID},
		tokens.StateRead{},
		tickets.TicketRead{ID: "01jzzzzzzzzzzzzzzzzzzzzzzz"},
		licensing.ProductRead{ID: "widget"},
		tokens.UsageRead{Days: days},
		licensing.ProductRead{ID: "widget"},
	}}
	ctx, calls := dynamo.WithCallCounter(context.Background())
	a, err := w.orgs.AuthorizeFor(ctx, ada, orgID, subj)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Calls() != 1 {
		t.Fatalf("the authorization step with six reads made %d DynamoDB calls; want 1", calls.Calls())
	}
	if a.Target == nil || a.Target.UserID != bob.ID || len(a.Reads) != len(subj.Reads) {
		t.Fatalf("target %v, %d results; want bob and %d", a.Target, len(a.Reads), len(subj.Reads))
	}

	facts, ok := a.Reads[0].Value.(licensing.LicenseFacts)
	if !ok || facts.License == nil || facts.License.ID != l.ID || facts.Seat == nil || facts.Seat.UserID != bob.ID {
		t.Errorf("license read: %#v; want the license and bob's seat", a.Reads[0].Value)
	}
	if st, ok := a.Reads[1].Value.(*tokens.State); !ok || st != nil {
		t.Errorf("token state read: %#v; want a nil *State (the initial token)", a.Reads[1].Value)
	}
	if _, tk, asked := orgs.ResultOf[tickets.TicketRead, *tickets.Ticket](a); !asked || tk != nil || tickets.TicketOf(a) != nil {
		t.Errorf("a missing ticket: %v (asked %v); want nil", tk, asked)
	}
	for _, i := range []int{3, 5} {
		if p, ok := a.Reads[i].Value.(*licensing.Product); !ok || p == nil || p.ID != "widget" || p.Trial == nil {
			t.Errorf("product read %d: %#v; want widget", i, a.Reads[i].Value)
		}
	}
	usage, ok := a.Reads[4].Value.(tokens.UsageFacts)
	if !ok || len(usage.Licenses) != 1 || usage.Licenses[0].ID != l.ID || len(usage.TokenUses) != 0 {
		t.Errorf("usage read: %#v; want the one license and no sign-ins", a.Reads[4].Value)
	}

	// The service answers from the read: bob holds the seat already, so assigning it again
	// reads nothing more and writes nothing.
	ctx, calls = dynamo.WithCallCounter(context.Background())
	seat, err := svc.AssignSeat(ctx, a, l.ID)
	if err != nil || seat.UserID != bob.ID || calls.Calls() != 0 {
		t.Errorf("assigning bob's seat again: %v, %v after %d calls; want his seat after none", seat, err, calls.Calls())
	}
}

// A kind of read the store does not know is an error, never a silent gap in what the route
// acts on.
func TestAnUnknownReadIsAnError(t *testing.T) {
	w := newWorld(t)
	ada := person("ada")
	orgID := w.newOrg(ada)
	type unknownRead struct{}
	if _, err := w.orgs.AuthorizeFor(context.Background(), ada, orgID, orgs.Subject{Reads: []orgs.Read{unknownRead{}}}); err == nil {
		t.Fatal("an unknown read passed the authorization step")
	}
}
