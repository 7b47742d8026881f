package localmode_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

// operator creates a user in the operators group and signs in, returning the ID token.
func (l *local) operator(email string) string {
	l.t.Helper()
	ctx := context.Background()
	if _, err := standins.CreateUser(ctx, l.cognito, l.api.Pool, email, "Passw0rd!e2e", nil); err != nil {
		l.t.Fatal(err)
	}
	if err := standins.AddToGroup(ctx, l.cognito, l.api.Pool, email, standins.OperatorsGroup); err != nil {
		l.t.Fatal(err)
	}
	tokens, err := standins.SignIn(ctx, l.cognito, l.api.Pool, email, "Passw0rd!e2e")
	if err != nil {
		l.t.Fatal(err)
	}
	return tokens.IDToken
}

type ticketOut struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	CommentCount int    `json:"commentCount"`
	OrgName      string `json:"orgName"`
	Comments     []struct {
		Body     string `json:"body"`
		Internal bool   `json:"internal"`
	} `json:"comments"`
}

type ticketList struct {
	Items []ticketOut `json:"items"`
}

func TestSupportTicketFromCustomerToOperatorAndBack(t *testing.T) {
	l := startLocal(t)
	adminEmail, samEmail, umaEmail := testenv.UniqueAddress(t), "sam-"+testenv.UniqueAddress(t), "uma-"+testenv.UniqueAddress(t)
	admin, sam, uma := l.user(adminEmail), l.user(samEmail), l.user(umaEmail)
	olga := l.operator("olga-" + testenv.UniqueAddress(t))

	var org struct {
		ID string `json:"id"`
	}
	l.do("POST", "/v1/orgs", admin, `{"name":"Acme Support Co"}`, 201, &org)
	base := "/v1/orgs/" + org.ID
	l.join(admin, org.ID, samEmail, sam, "support_only")
	l.join(admin, org.ID, umaEmail, uma, "user")

	// A support-only member opens a ticket; another member sees it only once the org shows all.
	var tk ticketOut
	l.do("POST", base+"/tickets", sam, `{"subject":"Installer rejects our key","body":"Error 17 on step 2."}`, 201, &tk)
	var list ticketList
	l.do("GET", base+"/tickets", uma, "", 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("uma sees %v before the org shows all", list.Items)
	}
	l.do("GET", base+"/tickets/"+tk.ID, uma, "", 404, nil)
	l.do("PATCH", base, admin, `{"supportTicketVisibility":"all"}`, 200, nil)
	l.do("GET", base+"/tickets", uma, "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != tk.ID {
		t.Fatalf("uma sees %v with visibility all", list.Items)
	}

	// The operator answers from the queue, with an internal note first.
	l.do("GET", "/v1/operator/tickets?status=open", sam, "", 403, nil)
	var queue ticketList
	l.do("GET", "/v1/operator/tickets?status=open&limit=200", olga, "", 200, &queue)
	if !slices.ContainsFunc(queue.Items, func(q ticketOut) bool { return q.ID == tk.ID && q.OrgName == "Acme Support Co" }) {
		t.Fatalf("the queue lacks the ticket: %+v", queue.Items)
	}
	opPath := "/v1/operator/orgs/" + org.ID + "/tickets/" + tk.ID
	l.do("POST", opPath+"/comments", olga, `{"body":"Customer runs the 2019 installer.","internal":true}`, 201, nil)
	l.do("POST", opPath+"/comments", olga, `{"body":"Please download version 2 and retry."}`, 201, nil)

	var seen ticketOut
	l.do("GET", base+"/tickets/"+tk.ID, sam, "", 200, &seen)
	if seen.Status != "waiting_on_customer" || seen.CommentCount != 1 || len(seen.Comments) != 1 || seen.Comments[0].Internal {
		t.Fatalf("the creator's view: %+v", seen)
	}
	var all ticketOut
	l.do("GET", opPath, olga, "", 200, &all)
	if all.CommentCount != 2 || len(all.Comments) != 2 {
		t.Fatalf("the operator's view: %+v", all)
	}

	// The creator replies, which reopens the ticket.
	l.do("POST", base+"/tickets/"+tk.ID+"/comments", sam, `{"body":"Version 2 works."}`, 201, nil)
	l.do("GET", base+"/tickets/"+tk.ID, sam, "", 200, &seen)
	if seen.Status != "open" {
		t.Errorf("after the creator's reply: %s, want open", seen.Status)
	}
	l.do("PATCH", base+"/tickets/"+tk.ID, sam, `{"status":"closed"}`, 200, nil)

	var evs struct {
		Items []struct {
			Action  string `json:"action"`
			Summary string `json:"summary"`
		} `json:"items"`
	}
	l.do("GET", base+"/events?category=support", admin, "", 200, &evs)
	var actions []string
	for _, e := range evs.Items {
		actions = append(actions, e.Action)
		if strings.Contains(e.Summary, "2019 installer") {
			t.Errorf("the internal note reached the log: %+v", e)
		}
	}
	want := []string{"ticket.status_changed", "ticket.commented", "ticket.commented", "ticket.created"}
	if !slices.Equal(actions, want) {
		t.Errorf("support events %v, want %v", actions, want)
	}
}

// join makes the user signed in with token a member of the org with role, through an invite
// from admin and its emailed link.
func (l *local) join(admin, orgID, email, token, role string) {
	l.t.Helper()
	l.do("POST", "/v1/orgs/"+orgID+"/invites", admin, `{"email":"`+email+`","role":"`+role+`"}`, 201, nil)
	mails := waitMails(l.t, l.ses, email, 1)
	if len(mails) == 0 {
		l.t.Fatalf("no invite email for %s", email)
	}
	link := acceptLink.FindStringSubmatch(mails[len(mails)-1].Text)
	if link == nil {
		l.t.Fatalf("no link in %s", mails[len(mails)-1].Text)
	}
	l.do("POST", "/v1/invites/accept", token, `{"token":"`+link[2]+`"}`, 200, nil)
}
