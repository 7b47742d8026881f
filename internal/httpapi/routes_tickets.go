package httpapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/roles"
)

// The support ticket routes: the customer's side, inside an org, and the vendor's operators'.
var (
	ListTickets = &Route{
		Name: "list-tickets", Method: "GET", Path: "/v1/orgs/{orgId}/tickets", Auth: JWT, Permission: roles.SupportAccess,
		Actions: []string{ddbBatchGet, ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The support tickets the caller may see, newest first",
		Build:   buildListTickets,
	}
	CreateTicket = &Route{
		Name: "create-ticket", Method: "POST", Path: "/v1/orgs/{orgId}/tickets", Auth: JWT, Permission: roles.SupportAccess,
		Actions: []string{ddbBatchGet, ddbPut, ddbCheck},
		Summary: "Open a support ticket",
		Build:   buildCreateTicket,
	}
	GetTicket = &Route{
		Name: "get-ticket", Method: "GET", Path: "/v1/orgs/{orgId}/tickets/{ticketId}", Auth: JWT, Permission: roles.SupportAccess,
		Actions: []string{ddbBatchGet, ddbQuery},
		Summary: "One support ticket with its comments",
		Build:   buildGetTicket,
	}
	CommentTicket = &Route{
		Name: "comment-ticket", Method: "POST", Path: "/v1/orgs/{orgId}/tickets/{ticketId}/comments", Auth: JWT, Permission: roles.SupportAccess,
		Reads:   readTicket,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut},
		Summary: "Comment on a support ticket; a ticket waiting on the customer is open again",
		Build:   buildCommentTicket,
	}
	UpdateTicket = &Route{
		Name: "update-ticket", Method: "PATCH", Path: "/v1/orgs/{orgId}/tickets/{ticketId}", Auth: JWT, Permission: roles.SupportAccess,
		Reads:   readTicket,
		Actions: []string{ddbBatchGet, ddbUpdate, ddbPut},
		Summary: "Close or reopen a support ticket (its creator, or a member who manages the settings)",
		Build:   buildUpdateTicket,
	}
	OperatorTicketQueue = &Route{
		Name: "operator-ticket-queue", Method: "GET", Path: "/v1/operator/tickets", Auth: Operator,
		Actions: []string{ddbQuery},
		Keys:    []string{app.KeyCursors},
		List:    Paged,
		Summary: "The support team's queue: every org's tickets of one status, oldest first",
		Build:   buildOperatorTicketQueue,
	}
	OperatorGetTicket = &Route{
		Name: "operator-get-ticket", Method: "GET", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}", Auth: Operator,
		Actions: []string{ddbQuery},
		Summary: "Any org's ticket with every comment, internal notes included",
		Build:   buildOperatorGetTicket,
	}
	OperatorCommentTicket = &Route{
		Name: "operator-comment-ticket", Method: "POST", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}/comments", Auth: Operator,
		Actions: []string{ddbQuery, ddbUpdate, ddbPut},
		Summary: "Answer a ticket (the creator is emailed) or add an internal note",
		Build:   buildOperatorCommentTicket,
	}
	OperatorUpdateTicket = &Route{
		Name: "operator-update-ticket", Method: "PATCH", Path: "/v1/operator/orgs/{orgId}/tickets/{ticketId}", Auth: Operator,
		Actions: []string{ddbQuery, ddbUpdate, ddbPut},
		Summary: "Set any status on any org's ticket",
		Build:   buildOperatorUpdateTicket,
	}
)

var ticketRoutes = []*Route{
	ListTickets, CreateTicket, GetTicket, CommentTicket, UpdateTicket,
	OperatorTicketQueue, OperatorGetTicket, OperatorCommentTicket, OperatorUpdateTicket,
}
