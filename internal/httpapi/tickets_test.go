package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/tickets"
)

func init() {
	mutations["create-ticket"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		return a.request(CreateTicket, &ada, map[string]string{"orgId": id}, nil, `{"subject":"Licence key rejected","body":"The installer says the key is invalid."}`)
	}
	mutations["comment-ticket"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		tk := a.ticket(ada, id, "Help")
		return a.request(CommentTicket, &ada, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"body":"Any news?"}`)
	}
	mutations["update-ticket"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada := person("ada")
		id := a.org(ada, "Acme")
		tk := a.ticket(ada, id, "Help")
		return a.request(UpdateTicket, &ada, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"status":"closed"}`)
	}
	mutations["operator-comment-ticket"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, op := person("ada"), operator("olga")
		id := a.org(ada, "Acme")
		tk := a.ticket(ada, id, "Help")
		return a.request(OperatorCommentTicket, &op, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"body":"Try the new key we sent.","internal":false}`)
	}
	mutations["operator-update-ticket"] = func(a *api) events.APIGatewayV2HTTPRequest {
		ada, op := person("ada"), operator("olga")
		id := a.org(ada, "Acme")
		tk := a.ticket(ada, id, "Help")
		return a.request(OperatorUpdateTicket, &op, map[string]string{"orgId": id, "ticketId": tk}, nil, `{"status":"closed"}`)
	}
}

// operator is a signed-in member of the vendor's support team.
func operator(name string) orgs.Caller {
	c := person(name)
	c.Operator = true
	return c
}

// ticket opens a ticket in the org as c and returns its id.
func (a *api) ticket(c orgs.Caller, orgID, subject string) string {
	a.t.Helper()
	r := a.do(CreateTicket, &c, map[string]string{"orgId": orgID}, nil, `{"subject":"`+subject+`","body":"Please help."}`)
	if r.status != 201 {
		a.t.Fatalf("open ticket: %d %s", r.status, r.body)
	}
	return r.json(a.t)["id"].(string)
}

func ticketIDs(t *testing.T, r reply) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	var out struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, it := range out.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestTicketsOfOthersAreSeenOnlyWhenTheOrgShowsAll(t *testing.T) {
	a := newAPI(t)
	ada, sam, uma := person("ada"), person("sam"), person("uma")
	org := a.org(ada, "Acme")
	a.member(org, sam, roles.SupportOnly)
	a.member(org, uma, roles.User)
	tk := a.ticket(sam, org, "Installer fails")
	in := map[string]string{"orgId": org}
	one := map[string]string{"orgId": org, "ticketId": tk}

	if got := ticketIDs(t, a.do(ListTickets, &sam, in, nil, "")); len(got) != 1 || got[0] != tk {
		t.Fatalf("the creator's list = %v, want their ticket", got)
	}
	r := a.do(ListTickets, &uma, in, nil, "")
	if got := ticketIDs(t, r); len(got) != 0 {
		t.Fatalf("another member sees %v while the org shows each their own", got)
	}
	if r.calls > 2 {
		t.Errorf("listing own tickets made %d DynamoDB calls", r.calls)
	}
	if r := a.do(GetTicket, &uma, one, nil, ""); r.status != 404 {
		t.Errorf("another member reading it: %d, want 404 (its existence is not revealed)", r.status)
	}
	if r := a.do(CommentTicket, &uma, one, nil, `{"body":"me too"}`); r.status != 404 {
		t.Errorf("another member commenting: %d, want 404", r.status)
	}
	if got := ticketIDs(t, a.do(ListTickets, &ada, in, nil, "")); len(got) != 1 {
		t.Errorf("an admin (settings.manage) sees %v, want every ticket", got)
	}

	if r := a.do(UpdateOrg, &ada, in, nil, `{"supportTicketVisibility":"all"}`); r.status != 200 {
		t.Fatalf("show all: %d %s", r.status, r.body)
	}
	if got := ticketIDs(t, a.do(ListTickets, &uma, in, nil, "")); len(got) != 1 || got[0] != tk {
		t.Fatalf("with visibility all, another member sees %v", got)
	}
	r = a.do(GetTicket, &uma, one, nil, "")
	if r.status != 200 || r.calls > 2 {
		t.Fatalf("with visibility all, reading it: %d (%d calls) %s", r.status, r.calls, r.body)
	}
	if r := a.do(UpdateTicket, &uma, one, nil, `{"status":"closed"}`); r.status != 403 {
		t.Errorf("a member who sees it but neither made it nor manages settings closing it: %d, want 403", r.status)
	}
}

func TestOperatorAnswersFromTheQueueAndTheCustomerReopens(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operator("olga")
	org := a.org(ada, "Acme")
	older := a.ticket(ada, org, "First")
	newer := a.ticket(ada, org, "Second")
	one := map[string]string{"orgId": org, "ticketId": older}

	q := a.do(OperatorTicketQueue, &op, nil, map[string]string{"status": "open"}, "")
	got := ticketIDs(t, q)
	if len(got) < 2 || got[0] != older || got[1] != newer || q.calls != 1 {
		t.Fatalf("queue = %v (%d calls), want oldest first in one call", got, q.calls)
	}
	if !strings.Contains(q.body, `"orgName":"Acme"`) {
		t.Errorf("queue items lack the org's name: %s", q.body)
	}
	if r := a.do(OperatorTicketQueue, &ada, nil, nil, ""); r.status != 403 {
		t.Errorf("a customer reading the queue: %d, want 403", r.status)
	}

	note := a.do(OperatorCommentTicket, &op, one, nil, `{"body":"Customer is on the old installer.","internal":true}`)
	if note.status != 201 {
		t.Fatalf("internal note: %d %s", note.status, note.body)
	}
	reply := a.do(OperatorCommentTicket, &op, one, nil, `{"body":"Please use version 2.","internal":false}`)
	if reply.status != 201 || reply.calls > 2 {
		t.Fatalf("public reply: %d (%d calls) %s", reply.status, reply.calls, reply.body)
	}

	cust := a.do(GetTicket, &ada, one, nil, "").json(t)
	if cust["status"] != "waiting_on_customer" || cust["commentCount"].(float64) != 1 || len(cust["comments"].([]any)) != 1 {
		t.Fatalf("the customer's view after a reply and a note: %v", cust)
	}
	if strings.Contains(a.do(GetTicket, &ada, one, nil, "").body, "old installer") {
		t.Fatal("the internal note reached the customer")
	}
	opView := a.do(OperatorGetTicket, &op, one, nil, "").json(t)
	if opView["commentCount"].(float64) != 2 || len(opView["comments"].([]any)) != 2 {
		t.Fatalf("the operator's view: %v", opView)
	}
	evs := a.do(ListEvents, &ada, map[string]string{"orgId": org}, map[string]string{"category": "support"}, "")
	if strings.Contains(evs.body, "old installer") || strings.Count(evs.body, `"ticket.commented"`) != 1 {
		t.Errorf("the log holds the note or not exactly one comment event: %s", evs.body)
	}
	if !strings.Contains(evs.body, `"type":"operator"`) {
		t.Errorf("the reply's event has no operator actor: %s", evs.body)
	}
	if mails := a.outboxEmails(t); len(mails) != 1 || !strings.Contains(mails[0], "ada@example.com") {
		t.Errorf("outbox emails = %v, want one reply to the creator", mails)
	}

	if r := a.do(CommentTicket, &ada, one, nil, `{"body":"Version 2 works, thanks."}`); r.status != 201 {
		t.Fatalf("customer reply: %d %s", r.status, r.body)
	}
	if st := a.do(GetTicket, &ada, one, nil, "").json(t)["status"]; st != "open" {
		t.Errorf("after the customer's comment the status is %v, want open", st)
	}
	if r := a.do(UpdateTicket, &ada, one, nil, `{"status":"closed"}`); r.status != 200 {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	if r := a.do(CommentTicket, &ada, one, nil, `{"body":"one more thing"}`); r.status != 409 {
		t.Errorf("comment on a closed ticket: %d, want 409", r.status)
	}
	if got := ticketIDs(t, a.do(OperatorTicketQueue, &op, nil, map[string]string{"status": "closed"}, "")); len(got) != 1 || got[0] != older {
		t.Errorf("closed queue = %v", got)
	}
}

// outboxEmails returns the bodies of the outbox's email messages (a test may scan).
func (a *api) outboxEmails(t *testing.T) []string {
	t.Helper()
	out, err := a.env.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(a.env.Config.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, it := range out.Items {
		if pk, _ := it["PK"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, "OUTBOX#") {
			if b, ok := it["body"].(*types.AttributeValueMemberB); ok {
				bodies = append(bodies, string(b.Value))
			}
		}
	}
	return bodies
}

func TestTicketInputIsChecked(t *testing.T) {
	a := newAPI(t)
	ada, bob := person("ada"), person("bob")
	org := a.org(ada, "Acme")
	other := a.org(bob, "Other")
	theirs := a.ticket(bob, other, "Theirs")
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
		if r := a.do(CreateTicket, &ada, in, nil, c.body); r.status != c.want {
			t.Errorf("%s: %d %s, want %d", name, r.status, r.body, c.want)
		}
	}
	mine := a.ticket(ada, org, "Mine")
	for name, params := range map[string]map[string]string{
		"another org's ticket": {"orgId": org, "ticketId": theirs},
		"a malformed id":       {"orgId": org, "ticketId": strings.Repeat("a", 3000)},
	} {
		if r := a.do(GetTicket, &ada, params, nil, ""); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", name, r.status)
		}
		if r := a.do(CommentTicket, &ada, params, nil, `{"body":"x"}`); r.status != 404 {
			t.Errorf("comment on %s: %d, want 404", name, r.status)
		}
	}
	one := map[string]string{"orgId": org, "ticketId": mine}
	if r := a.do(UpdateTicket, &ada, one, nil, `{"status":"waiting_on_customer"}`); r.status != 403 {
		t.Errorf("a customer setting waiting_on_customer: %d, want 403", r.status)
	}
	if r := a.do(UpdateTicket, &ada, one, nil, `{"status":"pending"}`); r.status != 400 {
		t.Errorf("an unknown status: %d, want 400", r.status)
	}
	op := operator("olga")
	if r := a.do(OperatorGetTicket, &op, map[string]string{"orgId": org, "ticketId": theirs}, nil, ""); r.status != 404 {
		t.Errorf("operator naming the wrong org for a ticket: %d, want 404", r.status)
	}
	if r := a.do(OperatorCommentTicket, &op, one, nil, `{"body":""}`); r.status != 400 {
		t.Errorf("operator empty comment: %d, want 400", r.status)
	}
}

func TestSampleTicketEventsServe(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operator("olga")
	org := a.org(ada, "Acme")
	as := func(ev events.APIGatewayV2HTTPRequest, c orgs.Caller, params map[string]string) events.APIGatewayV2HTTPRequest {
		claims := ev.RequestContext.Authorizer.JWT.Claims
		claims["sub"], claims["email"] = c.ID, c.Email
		claims["iat"] = fmt.Sprint(c.IssuedAt.Unix())
		ev.PathParameters = params
		return ev
	}
	resp := a.call(CreateTicket, as(loadEvent(t, "create-ticket.json"), ada, map[string]string{"orgId": org}))
	if resp.StatusCode != 201 {
		t.Fatalf("create-ticket.json: %d %s", resp.StatusCode, resp.Body)
	}
	var tk struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &tk); err != nil {
		t.Fatal(err)
	}
	resp = a.call(OperatorCommentTicket, as(loadEvent(t, "operator-comment-ticket.json"), op, map[string]string{"orgId": org, "ticketId": tk.ID}))
	if resp.StatusCode != 201 {
		t.Fatalf("operator-comment-ticket.json: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestCommentsCantMakeATicketUnreadable(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operator("olga")
	org := a.org(ada, "Acme")
	tk := a.ticket(ada, org, "Help")
	params := map[string]string{"orgId": org, "ticketId": tk}
	// Comments as long as allowed, of the character JSON escapes the most (<, as \u003c).
	body := `{"body":"` + strings.Repeat("<", tickets.MaxBody) + `"}`
	refused := 0
	for i := 0; i < 60 && refused == 0; i++ {
		switch r := a.do(CommentTicket, &ada, params, nil, body); r.status {
		case 201:
		case 409:
			refused = i
			if !strings.Contains(r.body, "size limit") {
				t.Errorf("the refusal: %s", r.body)
			}
		default:
			t.Fatalf("comment %d: %d %s", i, r.status, r.body)
		}
	}
	if refused == 0 {
		t.Fatalf("60 comments of %d characters were all taken: a ticket grows without bound", tickets.MaxBody)
	}
	if r := a.do(OperatorCommentTicket, &op, params, nil, `{"body":"`+strings.Repeat("x", tickets.MaxBody)+`","internal":true}`); r.status != 409 {
		t.Errorf("an operator's note past the limit: %d", r.status)
	}
	r := a.do(GetTicket, &ada, params, nil, "")
	if r.status != 200 || r.calls > 2 {
		t.Errorf("reading the full ticket: %d in %d DynamoDB calls, want 200 in at most 2", r.status, r.calls)
	}
	if resp := a.call(GetTicket, a.request(GetTicket, &ada, params, nil, "")); len(resp.Body) > 5<<20 {
		t.Errorf("the full ticket's answer is %d bytes: too close to Lambda's 6 MB", len(resp.Body))
	}
	if r := a.do(OperatorGetTicket, &op, params, nil, ""); r.status != 200 {
		t.Errorf("the support team reading the full ticket: %d", r.status)
	}
	// A comment decided on a read from before the ticket filled up is refused by the write.
	access, err := a.env.Orgs().Authorize(context.Background(), ada, org)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := a.store.Ticket(context.Background(), org, tk)
	if err != nil {
		t.Fatal(err)
	}
	stale.Bytes = 0
	if _, err := a.env.Tickets().Comment(context.Background(), access, &stale, strings.Repeat("<", tickets.MaxBody)); !errors.Is(err, tickets.ErrFull) {
		t.Errorf("a comment on a stale read of a full ticket: %v, want ErrFull", err)
	}
}

func TestATicketWithoutCommentsShowsAnEmptyList(t *testing.T) {
	a := newAPI(t)
	ada, op := person("ada"), operator("olga")
	org := a.org(ada, "Acme")
	params := map[string]string{"orgId": org, "ticketId": a.ticket(ada, org, "Help")}
	for _, r := range []reply{a.do(GetTicket, &ada, params, nil, ""), a.do(OperatorGetTicket, &op, params, nil, "")} {
		if r.status != 200 || !strings.Contains(r.body, `"comments":[]`) {
			t.Errorf("a ticket without comments: %d %s, want \"comments\": []", r.status, r.body)
		}
	}
	if r := a.do(ListTickets, &ada, map[string]string{"orgId": org}, nil, ""); strings.Contains(r.body, `"comments"`) {
		t.Errorf("the list shows comments: %s", r.body)
	}
}
