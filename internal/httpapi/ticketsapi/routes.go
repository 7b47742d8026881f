// Package ticketsapi is the HTTP edge of support tickets, the customers' side and the
// operators': its routes (each a package-level Route that its function's main names), their
// handlers and replays, over the kernel of package httpapi.
package ticketsapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The support ticket routes: the customer's side, inside an org, and the vendor's operators'.
var (
	ListTickets = &httpapi.Route{
		Name: "list-tickets", Method: "GET", Path: "/v1/orgs/{orgId}/tickets", Auth: httpapi.JWT, Permission: roles.SupportAccess,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The support tickets the caller may see, newest first",
		Build:   buildListTickets,
	}
	CreateTicket = &httpapi.Route{
		Name: "create-ticket", Method: "POST", Path: "/v1/orgs/{orgId}/tickets", Auth: httpapi.JWT, Permission: roles.SupportAccess,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBPut, httpapi.DDBCheck},
		Summary: "Open a support ticket",
		Build:   buildCreateTicket,
	}
	GetTicket = &httpapi.Route{
		Name: "get-ticket", Method: "GET", Path: "/v1/orgs/{orgId}/tickets/{ticketId}", Auth: httpapi.JWT, Permission: roles.SupportAccess,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "One support ticket with its comments",
		Build:   buildGetTicket,
	}
	CommentTicket = &httpapi.Route{
		Name: "comment-ticket", Method: "POST", Path: "/v1/orgs/{orgId}/tickets/{ticketId}/comments", Auth: httpapi.JWT, Permission: roles.SupportAccess,
		Reads:   readTicket,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut},
		Summary: "Comment on a support ticket; a ticket waiting on the customer is open again",
		Build:   buildCommentTicket,
	}
	UpdateTicket = &httpapi.Route{
		Name: "update-ticket", Method: "PATCH", Path: "/v1/orgs/{orgId}/tickets/{ticketId}", Auth: httpapi.JWT, Permission: roles.SupportAccess,
		Reads:   readTicket,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBUpdate, httpapi.DDBPut},
		Summary: "Close or reopen a support ticket (its creator, or a member who manages the settings)",
		Build:   buildUpdateTicket,
	}
	OperatorTicketQueue = &httpapi.Route{
		Name: "operator-ticket-queue", Method: "GET", Path: "/v1/operator/tickets", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The support team's queue: every org's tickets of one status, oldest first",
		Build:   buildOperatorTicketQueue,
	}
	OperatorGetTicket = &httpapi.Route{
		Name: "operator-get-ticket", Method: "GET", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBQuery},
		Summary: "Any org's ticket with every comment, internal notes included",
		Build:   buildOperatorGetTicket,
	}
	OperatorCommentTicket = &httpapi.Route{
		Name: "operator-comment-ticket", Method: "POST", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}/comments", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBQuery, httpapi.DDBUpdate, httpapi.DDBPut},
		Summary: "Answer a ticket (the creator is emailed) or add an internal note",
		Build:   buildOperatorCommentTicket,
	}
	OperatorUpdateTicket = &httpapi.Route{
		Name: "operator-update-ticket", Method: "PATCH", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}", Auth: httpapi.Operator,
		Actions: []string{httpapi.DDBQuery, httpapi.DDBUpdate, httpapi.DDBPut},
		Summary: "Set any status on any org's ticket",
		Build:   buildOperatorUpdateTicket,
	}
)
