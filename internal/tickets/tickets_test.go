package tickets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo/dynamotest"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/tickets"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// world is one org in a table of DynamoDB Local with a member of each role, and the ticket
// service over the real store.
type world struct {
	t       *testing.T
	ctx     context.Context
	orgs    *orgs.Service
	svc     *tickets.Service
	orgID   string
	callers map[roles.Role]orgs.Caller
}

func newWorld(t *testing.T) *world {
	t.Helper()
	client, table := testenv.DynamoDB(t)
	store := dynamotest.New(client, table)
	now := func() time.Time { return time.Now().UTC() }
	w := &world{
		t: t, ctx: t.Context(),
		orgs:    &orgs.Service{Store: store, Now: now, NewID: app.NewULID},
		svc:     &tickets.Service{Store: store, AppURL: "https://portal.example", Now: now, NewID: app.NewULID},
		callers: map[roles.Role]orgs.Caller{},
	}
	admin := orgs.Caller{ID: "user-admin", Email: "admin@example.com", EmailVerified: true}
	v, err := w.orgs.Create(w.ctx, admin, orgs.CreateInput{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	w.orgID, w.callers[roles.Admin] = v.ID, admin
	for _, r := range []roles.Role{roles.User, roles.SupportOnly, roles.ViewerAdmin, roles.BillingAdmin} {
		c := orgs.Caller{ID: "user-" + string(r), Email: string(r) + "@example.com", EmailVerified: true}
		m := orgs.Member{OrgID: w.orgID, UserID: c.ID, Email: c.Email, Name: string(r), Role: r, JoinedAt: now(), Source: orgs.SourceInvite}
		if err := store.SeedMember(w.ctx, m, orgs.Shared); err != nil {
			t.Fatal(err)
		}
		w.callers[r] = c
	}
	return w
}

// access is what the authorization step gives the member of role r, read now.
func (w *world) access(r roles.Role, reads ...orgs.Read) orgs.Access {
	w.t.Helper()
	a, err := w.orgs.AuthorizeFor(w.ctx, w.callers[r], w.orgID, orgs.Subject{Reads: reads})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) open(r roles.Role, subject string) tickets.Ticket {
	w.t.Helper()
	t, err := w.svc.Create(w.ctx, w.access(r), tickets.Input{Subject: subject, Body: "It broke."})
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

func (w *world) visibility(v orgs.Visibility) {
	w.t.Helper()
	s := string(v)
	if _, err := w.orgs.UpdateSettings(w.ctx, w.callers[roles.Admin], w.access(roles.Admin), orgs.SettingsInput{SupportTicketVisibility: &s}); err != nil {
		w.t.Fatal(err)
	}
}

// TestWhoSeesATicket: its creator; every member with support access when the org shows all
// tickets; members who manage the settings always. For anyone else the ticket does not exist,
// in the list and by its id alike.
func TestWhoSeesATicket(t *testing.T) {
	w := newWorld(t)
	ticket := w.open(roles.User, "Widget crashes")
	for _, tc := range []struct {
		visibility orgs.Visibility
		reader     roles.Role
		sees       bool
	}{
		{orgs.VisibilityOwn, roles.User, true}, // the creator
		{orgs.VisibilityOwn, roles.Admin, true},
		{orgs.VisibilityOwn, roles.SupportOnly, false},
		{orgs.VisibilityOwn, roles.ViewerAdmin, false},
		{orgs.VisibilityOwn, roles.BillingAdmin, false},
		{orgs.VisibilityAll, roles.SupportOnly, true},
		{orgs.VisibilityAll, roles.Admin, true},
		{orgs.VisibilityAll, roles.User, true},
	} {
		w.visibility(tc.visibility)
		a := w.access(tc.reader)
		if !a.Allows(roles.SupportAccess) {
			t.Errorf("%s: has no support access; the routes would not let them ask", tc.reader)
			continue
		}
		got, err := w.svc.Get(w.ctx, a, ticket.ID)
		switch {
		case tc.sees && (err != nil || got.ID != ticket.ID):
			t.Errorf("visibility %s, %s: %v, want the ticket", tc.visibility, tc.reader, err)
		case !tc.sees && !apperr.Is(err, apperr.NotFound):
			t.Errorf("visibility %s, %s: %v, want not found", tc.visibility, tc.reader, err)
		}
		page, err := w.svc.List(w.ctx, a, "", paging.Request{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if listed := len(page.Tickets) == 1 && page.Tickets[0].ID == ticket.ID; listed != tc.sees {
			t.Errorf("visibility %s, %s: listed %v, want %v", tc.visibility, tc.reader, listed, tc.sees)
		}
	}
}

// TestATicketsLife: the support team's public reply waits on the customer and emails them,
// its internal note stays with the team; the customer's comment reopens; a closed ticket
// takes no comment until reopened; only its creator or a settings manager changes its status,
// and never to waiting on the customer.
func TestATicketsLife(t *testing.T) {
	w := newWorld(t)
	ticket := w.open(roles.User, "Licence key rejected")
	op := tickets.Operator{ID: "op-1", Email: "support@vendor.example"}
	if _, err := w.svc.OperatorComment(w.ctx, op, w.orgID, ticket.ID, "Checking with the team.", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.OperatorComment(w.ctx, op, w.orgID, ticket.ID, "Please send the log.", false); err != nil {
		t.Fatal(err)
	}
	read := func(r roles.Role) *tickets.Ticket {
		t.Helper()
		return tickets.TicketOf(w.access(r, tickets.TicketRead{ID: ticket.ID}))
	}
	if got := read(roles.User); got == nil || got.Status != tickets.WaitingOnCustomer {
		t.Fatalf("after the reply: %+v", got)
	}
	seen, err := w.svc.Get(w.ctx, w.access(roles.User), ticket.ID)
	if err != nil || len(seen.Comments) != 1 || seen.Comments[0].Internal {
		t.Fatalf("the customer sees %+v, %v: want the public reply only", seen.Comments, err)
	}
	if all, _ := w.svc.OperatorGet(w.ctx, w.orgID, ticket.ID); len(all.Comments) != 2 {
		t.Errorf("the support team sees %d comments, want 2", len(all.Comments))
	}

	if _, err := w.svc.Comment(w.ctx, w.access(roles.User), read(roles.User), "Here it is."); err != nil {
		t.Fatal(err)
	}
	if got := read(roles.User); got.Status != tickets.Open {
		t.Errorf("the customer's comment left it %s, want open", got.Status)
	}

	for _, tc := range []struct {
		who  roles.Role
		to   string
		kind apperr.Kind
	}{
		{roles.SupportOnly, "closed", apperr.NotFound}, // not theirs to see
		{roles.User, "waiting_on_customer", apperr.Forbidden},
		{roles.User, "resolved", apperr.Invalid},
	} {
		if tc.who == roles.SupportOnly {
			w.visibility(orgs.VisibilityOwn)
		}
		_, err := w.svc.SetStatus(w.ctx, w.access(tc.who), read(tc.who), tc.to)
		if !apperr.Is(err, tc.kind) {
			t.Errorf("%s sets %s: %v, want %s", tc.who, tc.to, err, tc.kind)
		}
	}
	w.visibility(orgs.VisibilityAll)
	if _, err := w.svc.SetStatus(w.ctx, w.access(roles.SupportOnly), read(roles.SupportOnly), "closed"); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("a support member who sees it but didn't open it closes it: %v", err)
	}
	if _, err := w.svc.SetStatus(w.ctx, w.access(roles.Admin), read(roles.Admin), "closed"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Comment(w.ctx, w.access(roles.User), read(roles.User), "One more thing."); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a comment on the closed ticket: %v, want a conflict", err)
	}
	if _, err := w.svc.OperatorComment(w.ctx, op, w.orgID, ticket.ID, "Noted for later.", true); err != nil {
		t.Errorf("an internal note on the closed ticket: %v", err)
	}
	if _, err := w.svc.SetStatus(w.ctx, w.access(roles.User), read(roles.User), "open"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Comment(w.ctx, w.access(roles.User), read(roles.User), "One more thing."); err != nil {
		t.Errorf("a comment after reopening: %v", err)
	}
}

// TestTicketText: subjects and bodies go through the one text cleaner, within their limits.
func TestTicketText(t *testing.T) {
	w := newWorld(t)
	a := w.access(roles.User)
	for _, tc := range []struct {
		name string
		in   tickets.Input
		ok   bool
	}{
		{"plain", tickets.Input{Subject: "Crash", Body: "Line one\nLine two"}, true},
		{"empty subject", tickets.Input{Subject: "  ", Body: "x"}, false},
		{"subject too long", tickets.Input{Subject: strings.Repeat("s", tickets.MaxSubject+1), Body: "x"}, false},
		{"subject at its limit", tickets.Input{Subject: strings.Repeat("s", tickets.MaxSubject), Body: "x"}, true},
		{"line break in the subject", tickets.Input{Subject: "a\nb", Body: "x"}, false},
		{"bidi override in the body", tickets.Input{Subject: "Crash", Body: "see \u202efdp.exe"}, false},
		{"body too long", tickets.Input{Subject: "Crash", Body: strings.Repeat("b", tickets.MaxBody+1)}, false},
		{"malformed product", tickets.Input{Subject: "Crash", Body: "x", ProductID: "Not A Product"}, false},
		{"product not in the catalog", tickets.Input{Subject: "Crash", Body: "x", ProductID: "no-such-product"}, false},
	} {
		_, err := w.svc.Create(w.ctx, a, tc.in)
		if tc.ok && err != nil || !tc.ok && !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestATicketFullOfCommentsTakesNoMore: what one ticket stores is bounded, so one Query page
// reads it all; the comment that would pass the bound is refused before anything is written.
func TestATicketFullOfCommentsTakesNoMore(t *testing.T) {
	w := newWorld(t)
	ticket := w.open(roles.User, "Long thread")
	read := tickets.TicketOf(w.access(roles.User, tickets.TicketRead{ID: ticket.ID}))
	almost := *read
	almost.Bytes = tickets.MaxBytes - tickets.CommentBytes("short") + 1
	if _, err := w.svc.Comment(w.ctx, w.access(roles.User), &almost, "short"); err != tickets.ErrFull {
		t.Errorf("a comment past the bound: %v", err)
	}
	if _, err := w.svc.OperatorComment(w.ctx, tickets.Operator{ID: "op"}, w.orgID, ticket.ID, strings.Repeat("x", tickets.MaxBody), true); err != nil {
		t.Errorf("a long note within the bound: %v", err)
	}
}
