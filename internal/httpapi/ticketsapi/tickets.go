package ticketsapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/tickets"
)

type ticketJSON struct {
	ID           string             `json:"id"`
	Subject      string             `json:"subject"`
	Body         string             `json:"body"`
	ProductID    *string            `json:"productId"`
	Status       string             `json:"status"`
	CreatedBy    httpapi.PersonJSON `json:"createdBy"`
	CreatedAt    httpapi.Timestamp  `json:"createdAt"`
	UpdatedAt    httpapi.Timestamp  `json:"updatedAt"`
	CommentCount int                `json:"commentCount"`
	// Comments is in the single-ticket answers only: a pointer, so that a ticket without
	// comments shows "comments": [] there (omitempty drops an empty slice, not a pointer to one).
	Comments *[]commentJSON `json:"comments,omitempty"`
	// OrgID and OrgName are in the operators' answers only.
	OrgID   string `json:"orgId,omitempty"`
	OrgName string `json:"orgName,omitempty"`
}

type commentJSON struct {
	ID        string            `json:"id"`
	Body      string            `json:"body"`
	Author    authorJSON        `json:"author"`
	Internal  bool              `json:"internal"`
	CreatedAt httpapi.Timestamp `json:"createdAt"`
}

type authorJSON struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Email string `json:"email"`
}

// ticketOut renders a ticket for a customer, or with operator for the support team (the
// internal notes counted, the org named). withComments adds the comments the reader may see.
func ticketOut(t tickets.Ticket, operator, withComments bool) ticketJSON {
	out := ticketJSON{
		ID: t.ID, Subject: t.Subject, Body: t.Body, Status: string(t.Status),
		CreatedBy: httpapi.PersonJSON(t.CreatedBy), CreatedAt: httpapi.Timestamp(t.CreatedAt), UpdatedAt: httpapi.Timestamp(t.UpdatedAt),
		CommentCount: t.CommentCount(operator),
	}
	if t.ProductID != "" {
		out.ProductID = &t.ProductID
	}
	if operator {
		out.OrgID, out.OrgName = t.OrgID, t.OrgName
	}
	if withComments {
		cs := make([]commentJSON, 0, len(t.Comments))
		for _, c := range t.Comments {
			cs = append(cs, commentOut(c))
		}
		out.Comments = &cs
	}
	return out
}

func commentOut(c tickets.Comment) commentJSON {
	return commentJSON{ID: c.ID, Body: c.Body, Author: authorJSON(c.Author), Internal: c.Internal, CreatedAt: httpapi.Timestamp(c.CreatedAt)}
}

// readTicket has the authorization step read the ticket the path names.
func readTicket(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{tickets.TicketRead{ID: req.Path("ticketId")}}
}

func ticketPage(req *httpapi.Request, page tickets.Page, query string, operator bool) httpapi.ListJSON[ticketJSON] {
	out := httpapi.ListJSON[ticketJSON]{Items: make([]ticketJSON, len(page.Tickets)), NextCursor: req.Cursor(query, page.Next)}
	for i, t := range page.Tickets {
		out.Items[i] = ticketOut(t, operator, false)
	}
	return out
}

func buildListTickets(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		status := req.Query("status")
		// The reader's view is part of the query: a cursor issued while the org showed everyone
		// every ticket is no good once it shows each their own.
		query := "status=" + status + "\x00all=" + strconv.FormatBool(tickets.SeesAll(req.Access))
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(ctx, req.Access, status, p)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketPage(req, page, query, false)), nil
	}
}

type ticketInputJSON struct {
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	ProductID string `json:"productId"`
}

func buildCreateTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in ticketInputJSON
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		t, err := svc.Create(ctx, req.Access, tickets.Input(in))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, ticketOut(t, false, false)), nil
	}
}

func buildGetTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		t, err := svc.Get(ctx, req.Access, req.Path("ticketId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketOut(t, false, true)), nil
	}
}

func buildCommentTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Body string `json:"body"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		c, err := svc.Comment(ctx, req.Access, tickets.TicketOf(req.Access), in.Body)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, commentOut(c)), nil
	}
}

func buildUpdateTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Status string `json:"status"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		t, err := svc.SetStatus(ctx, req.Access, tickets.TicketOf(req.Access), in.Status)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketOut(t, false, false)), nil
	}
}

func buildOperatorTicketQueue(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		status := req.Query("status")
		query := "status=" + status
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.Queue(ctx, status, p)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketPage(req, page, query, true)), nil
	}
}

func operatorOf(req *httpapi.Request) tickets.Operator {
	return tickets.Operator{ID: req.Caller.ID, Email: req.Caller.Email}
}

func buildOperatorGetTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		t, err := svc.OperatorGet(ctx, req.Path("orgId"), req.Path("ticketId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketOut(t, true, true)), nil
	}
}

func buildOperatorCommentTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Body     string `json:"body"`
			Internal bool   `json:"internal"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		c, err := svc.OperatorComment(ctx, operatorOf(req), req.Path("orgId"), req.Path("ticketId"), in.Body, in.Internal)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, commentOut(c)), nil
	}
}

func buildOperatorUpdateTicket(env *app.Env) httpapi.Handler {
	svc := env.Tickets()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Status string `json:"status"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		t, err := svc.OperatorSetStatus(ctx, operatorOf(req), req.Path("orgId"), req.Path("ticketId"), in.Status)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, ticketOut(t, true, false)), nil
	}
}
