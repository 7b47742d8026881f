package ticketsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/ticketsapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tickets"
)

func ticketIDs(t *testing.T, r apitest.Reply) []string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, it := range out.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestTicketsOfOthersAreSeenOnlyWhenTheOrgShowsAll(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, sam, uma := apitest.Person("ada"), apitest.Person("sam"), apitest.Person("uma")
	org := a.Org(ada, "Acme")
	a.Member(org, sam, roles.SupportOnly)
	a.Member(org, uma, roles.User)
	tk := a.Ticket(sam, org, "Installer fails")
	in := map[string]string{"orgId": org}
	one := map[string]string{"orgId": org, "ticketId": tk}

	if got := ticketIDs(t, a.Do(ticketsapi.ListTickets, &sam, in, nil, "")); len(got) != 1 || got[0] != tk {
		t.Fatalf("the creator's list = %v, want their ticket", got)
	}
	r := a.Do(ticketsapi.ListTickets, &uma, in, nil, "")
	if got := ticketIDs(t, r); len(got) != 0 {
		t.Fatalf("another member sees %v while the org shows each their own", got)
	}
	if r.Calls > 2 {
		t.Errorf("listing own tickets made %d DynamoDB calls", r.Calls)
	}
	if r := a.Do(ticketsapi.GetTicket, &uma, one, nil, ""); r.Status != 404 {
		t.Errorf("another member reading it: %d, want 404 (its existence is not revealed)", r.Status)
	}
	if r := a.Do(ticketsapi.CommentTicket, &uma, one, nil, `{"body":"me too"}`); r.Status != 404 {
		t.Errorf("another member commenting: %d, want 404", r.Status)
	}
	if got := ticketIDs(t, a.Do(ticketsapi.ListTickets, &ada, in, nil, "")); len(got) != 1 {
		t.Errorf("an admin (settings.manage) sees %v, want every ticket", got)
	}

	if r := a.Do(orgsapi.UpdateOrg, &ada, in, nil, `{"supportTicketVisibility":"all"}`); r.Status != 200 {
		t.Fatalf("show all: %d %s", r.Status, r.Body)
	}
	if got := ticketIDs(t, a.Do(ticketsapi.ListTickets, &uma, in, nil, "")); len(got) != 1 || got[0] != tk {
		t.Fatalf("with visibility all, another member sees %v", got)
	}
	r = a.Do(ticketsapi.GetTicket, &uma, one, nil, "")
	if r.Status != 200 || r.Calls > 2 {
		t.Fatalf("with visibility all, reading it: %d (%d calls) %s", r.Status, r.Calls, r.Body)
	}
	if r := a.Do(ticketsapi.UpdateTicket, &uma, one, nil, `{"status":"closed"}`); r.Status != 403 {
		t.Errorf("a member who sees it but neither made it nor manages settings closing it: %d, want 403", r.Status)
	}
}

func TestOperatorAnswersFromTheQueueAndTheCustomerReopens(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.Operator("olga")
	org := a.Org(ada, "Acme")
	older := a.Ticket(ada, org, "First")
	newer := a.Ticket(ada, org, "Second")
	one := map[string]string{"orgId": org, "ticketId": older}

	q := a.Do(ticketsapi.OperatorTicketQueue, &op, nil, map[string]string{"status": "open"}, "")
	got := ticketIDs(t, q)
	if len(got) < 2 || got[0] != older || got[1] != newer || q.Calls != 1 {
		t.Fatalf("queue = %v (%d calls), want oldest first in one call", got, q.Calls)
	}
	if !strings.Contains(q.Body, `"orgName":"Acme"`) {
		t.Errorf("queue items lack the org's name: %s", q.Body)
	}
	if r := a.Do(ticketsapi.OperatorTicketQueue, &ada, nil, nil, ""); r.Status != 403 {
		t.Errorf("a customer reading the queue: %d, want 403", r.Status)
	}

	note := a.Do(ticketsapi.OperatorCommentTicket, &op, one, nil, `{"body":"Customer is on the old installer.","internal":true}`)
	if note.Status != 201 {
		t.Fatalf("internal note: %d %s", note.Status, note.Body)
	}
	reply := a.Do(ticketsapi.OperatorCommentTicket, &op, one, nil, `{"body":"Please use version 2.","internal":false}`)
	if reply.Status != 201 || reply.Calls > 2 {
		t.Fatalf("public reply: %d (%d calls) %s", reply.Status, reply.Calls, reply.Body)
	}

	cust := a.Do(ticketsapi.GetTicket, &ada, one, nil, "").JSON(t)
	if cust["status"] != "waiting_on_customer" || cust["commentCount"].(float64) != 1 || len(cust["comments"].([]any)) != 1 {
		t.Fatalf("the customer's view after a reply and a note: %v", cust)
	}
	if strings.Contains(a.Do(ticketsapi.GetTicket, &ada, one, nil, "").Body, "old installer") {
		t.Fatal("the internal note reached the customer")
	}
	opView := a.Do(ticketsapi.OperatorGetTicket, &op, one, nil, "").JSON(t)
	if opView["commentCount"].(float64) != 2 || len(opView["comments"].([]any)) != 2 {
		t.Fatalf("the operator's view: %v", opView)
	}
	evs := a.Do(eventsapi.ListEvents, &ada, map[string]string{"orgId": org}, map[string]string{"category": "support"}, "")
	if strings.Contains(evs.Body, "old installer") || strings.Count(evs.Body, `"ticket.commented"`) != 1 {
		t.Errorf("the log holds the note or not exactly one comment event: %s", evs.Body)
	}
	if !strings.Contains(evs.Body, `"type":"operator"`) {
		t.Errorf("the reply's event has no operator actor: %s", evs.Body)
	}
	if mails := a.OutboxEmails(t); len(mails) != 1 || !strings.Contains(mails[0], "ada@example.com") {
		t.Errorf("outbox emails = %v, want one reply to the creator", mails)
	}

	if r := a.Do(ticketsapi.CommentTicket, &ada, one, nil, `{"body":"Version 2 works, thanks."}`); r.Status != 201 {
		t.Fatalf("customer reply: %d %s", r.Status, r.Body)
	}
	if st := a.Do(ticketsapi.GetTicket, &ada, one, nil, "").JSON(t)["status"]; st != "open" {
		t.Errorf("after the customer's comment the status is %v, want open", st)
	}
	if r := a.Do(ticketsapi.UpdateTicket, &ada, one, nil, `{"status":"closed"}`); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	if r := a.Do(ticketsapi.CommentTicket, &ada, one, nil, `{"body":"one more thing"}`); r.Status != 409 {
		t.Errorf("comment on a closed ticket: %d, want 409", r.Status)
	}
	if got := ticketIDs(t, a.Do(ticketsapi.OperatorTicketQueue, &op, nil, map[string]string{"status": "closed"}, "")); len(got) != 1 || got[0] != older {
		t.Errorf("closed queue = %v", got)
	}
}

func TestTicketInputIsChecked(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	org := a.Org(ada, "Acme")
	other := a.Org(bob, "Other")
	theirs := a.Ticket(bob, other, "Theirs")
	in := map[string]string{"orgId": org}
	long := strings.Repeat("x", 201)
	for name, c := range map[string]struct {
		body string
		want int
	}{
		"empty subject":       {`{"subject":" ","body":"b"}`, 400},
		"long subject":        {`{"subject":"` + long + `","body":"b"}`, 400},
		"line break":          {`{"subject":"a\nb","body":"b"}`, 400},
		"bidi override":       {`{"subject":"a\u202eb","body":"b"}`, 400},
		"empty body":          {`{"subject":"s","body":""}`, 400},
		"unknown product":     {`{"subject":"s","body":"b","productId":"no-such-product"}`, 400},
		"bad product":         {`{"subject":"s","body":"b","productId":"Not A Product"}`, 400},
		"unknown field":       {`{"subject":"s","body":"b","status":"closed"}`, 400},
		"multiline body fine": {`{"subject":"s","body":"line 1\nline 2"}`, 201},
	} {
		if r := a.Do(ticketsapi.CreateTicket, &ada, in, nil, c.body); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", name, r.Status, r.Body, c.want)
		}
	}
	mine := a.Ticket(ada, org, "Mine")
	for name, params := range map[string]map[string]string{
		"another org's ticket": {"orgId": org, "ticketId": theirs},
		"a malformed id":       {"orgId": org, "ticketId": strings.Repeat("a", 3000)},
	} {
		if r := a.Do(ticketsapi.GetTicket, &ada, params, nil, ""); r.Status != 404 {
			t.Errorf("GET %s: %d, want 404", name, r.Status)
		}
		if r := a.Do(ticketsapi.CommentTicket, &ada, params, nil, `{"body":"x"}`); r.Status != 404 {
			t.Errorf("comment on %s: %d, want 404", name, r.Status)
		}
	}
	one := map[string]string{"orgId": org, "ticketId": mine}
	if r := a.Do(ticketsapi.UpdateTicket, &ada, one, nil, `{"status":"waiting_on_customer"}`); r.Status != 403 {
		t.Errorf("a customer setting waiting_on_customer: %d, want 403", r.Status)
	}
	if r := a.Do(ticketsapi.UpdateTicket, &ada, one, nil, `{"status":"pending"}`); r.Status != 400 {
		t.Errorf("an unknown status: %d, want 400", r.Status)
	}
	op := apitest.Operator("olga")
	if r := a.Do(ticketsapi.OperatorGetTicket, &op, map[string]string{"orgId": org, "ticketId": theirs}, nil, ""); r.Status != 404 {
		t.Errorf("operator naming the wrong org for a ticket: %d, want 404", r.Status)
	}
	if r := a.Do(ticketsapi.OperatorCommentTicket, &op, one, nil, `{"body":""}`); r.Status != 400 {
		t.Errorf("operator empty comment: %d, want 400", r.Status)
	}
}

func TestSampleTicketEventsServe(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.Operator("olga")
	org := a.Org(ada, "Acme")
	as := func(ev events.APIGatewayV2HTTPRequest, c orgs.Caller, params map[string]string) events.APIGatewayV2HTTPRequest {
		claims := ev.RequestContext.Authorizer.JWT.Claims
		claims["sub"], claims["email"] = c.ID, c.Email
		claims["iat"] = fmt.Sprint(c.IssuedAt.Unix())
		ev.PathParameters = params
		return ev
	}
	resp := a.Call(ticketsapi.CreateTicket, as(apitest.LoadEvent(t, "create-ticket.json"), ada, map[string]string{"orgId": org}))
	if resp.StatusCode != 201 {
		t.Fatalf("create-ticket.json: %d %s", resp.StatusCode, resp.Body)
	}
	var tk struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &tk); err != nil {
		t.Fatal(err)
	}
	resp = a.Call(ticketsapi.OperatorCommentTicket, as(apitest.LoadEvent(t, "operator-comment-ticket.json"), op, map[string]string{"orgId": org, "ticketId": tk.ID}))
	if resp.StatusCode != 201 {
		t.Fatalf("operator-comment-ticket.json: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestCommentsCantMakeATicketUnreadable(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.Operator("olga")
	org := a.Org(ada, "Acme")
	tk := a.Ticket(ada, org, "Help")
	params := map[string]string{"orgId": org, "ticketId": tk}
	// Comments as long as allowed, of the character JSON escapes the most (<, as \u003c).
	body := `{"body":"` + strings.Repeat("<", tickets.MaxBody) + `"}`
	refused := 0
	for i := 0; i < 60 && refused == 0; i++ {
		switch r := a.Do(ticketsapi.CommentTicket, &ada, params, nil, body); r.Status {
		case 201:
		case 409:
			refused = i
			if !strings.Contains(r.Body, "size limit") {
				t.Errorf("the refusal: %s", r.Body)
			}
		default:
			t.Fatalf("comment %d: %d %s", i, r.Status, r.Body)
		}
	}
	if refused == 0 {
		t.Fatalf("60 comments of %d characters were all taken: a ticket grows without bound", tickets.MaxBody)
	}
	if r := a.Do(ticketsapi.OperatorCommentTicket, &op, params, nil, `{"body":"`+strings.Repeat("x", tickets.MaxBody)+`","internal":true}`); r.Status != 409 {
		t.Errorf("an operator's note past the limit: %d", r.Status)
	}
	r := a.Do(ticketsapi.GetTicket, &ada, params, nil, "")
	if r.Status != 200 || r.Calls > 2 {
		t.Errorf("reading the full ticket: %d in %d DynamoDB calls, want 200 in at most 2", r.Status, r.Calls)
	}
	if resp := a.Call(ticketsapi.GetTicket, a.Request(ticketsapi.GetTicket, &ada, params, nil, "")); len(resp.Body) > 5<<20 {
		t.Errorf("the full ticket's answer is %d bytes: too close to Lambda's 6 MB", len(resp.Body))
	}
	if r := a.Do(ticketsapi.OperatorGetTicket, &op, params, nil, ""); r.Status != 200 {
		t.Errorf("the support team reading the full ticket: %d", r.Status)
	}
	// A comment decided on a read from before the ticket filled up is refused by the write.
	access, err := a.Env.Orgs().Authorize(context.Background(), ada, org)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := a.Store.Ticket(context.Background(), org, tk)
	if err != nil {
		t.Fatal(err)
	}
	stale.Bytes = 0
	if _, err := a.Env.Tickets().Comment(context.Background(), access, &stale, strings.Repeat("<", tickets.MaxBody)); !errors.Is(err, tickets.ErrFull) {
		t.Errorf("a comment on a stale read of a full ticket: %v, want ErrFull", err)
	}
}

func TestATicketWithoutCommentsShowsAnEmptyList(t *testing.T) {
	a := apitest.NewAPI(t)
	ada, op := apitest.Person("ada"), apitest.Operator("olga")
	org := a.Org(ada, "Acme")
	params := map[string]string{"orgId": org, "ticketId": a.Ticket(ada, org, "Help")}
	for _, r := range []apitest.Reply{a.Do(ticketsapi.GetTicket, &ada, params, nil, ""), a.Do(ticketsapi.OperatorGetTicket, &op, params, nil, "")} {
		if r.Status != 200 || !strings.Contains(r.Body, `"comments":[]`) {
			t.Errorf("a ticket without comments: %d %s, want \"comments\": []", r.Status, r.Body)
		}
	}
	if r := a.Do(ticketsapi.ListTickets, &ada, map[string]string{"orgId": org}, nil, ""); strings.Contains(r.Body, `"comments"`) {
		t.Errorf("the list shows comments: %s", r.Body)
	}
}
