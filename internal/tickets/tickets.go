// Package tickets is support: a customer's org opens tickets, the vendor's operators answer
// them. A ticket has a subject, a body, an optional catalog product, a status and comments;
// operators may add internal notes that the customer never sees, in the ticket or in the
// event log.
//
// Who sees a ticket: its creator; every member with support.access when the org's
// supportTicketVisibility is "all"; members with settings.manage always. A ticket outside the
// reader's view does not exist for them (404, never 403).
package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/roles"
)

// Status is where a ticket stands.
type Status string

// The ticket statuses.
const (
	Open              Status = "open"
	WaitingOnCustomer Status = "waiting_on_customer"
	Closed            Status = "closed"
)

// Valid reports whether s is a status.
func (s Status) Valid() bool { return s == Open || s == WaitingOnCustomer || s == Closed }

// Limits of the text a ticket holds, in characters.
const (
	MaxSubject = 200
	MaxBody    = 20000
)

// MaxBytes bounds what one ticket stores with its comments (Ticket.Bytes): one Query page
// (DynamoDB's 1 MB) reads it all, so a ticket read stays within two round trips, and its
// answer, every character escaped as JSON may escape it, stays within Lambda's 6 MB. Without
// a bound any member who may comment could make a ticket unreadable, to its readers and to
// the support team alike, by commenting on it often enough.
const MaxBytes = 768 << 10

// itemOverhead is what an item of a ticket or a comment stores besides its text: keys, ids,
// author, times, attribute names.
const itemOverhead = 512

// CommentBytes is what a comment with body adds to its ticket's Bytes.
func CommentBytes(body string) int { return len(body) + itemOverhead }

// Author types of a comment.
const (
	AuthorUser     = "user"
	AuthorOperator = "operator"
)

// Ticket is one support request.
type Ticket struct {
	ID        string
	OrgID     string
	OrgName   string
	Subject   string
	Body      string
	ProductID string
	Status    Status
	CreatedBy orgs.Person
	CreatedAt time.Time
	UpdatedAt time.Time
	// PublicComments and InternalNotes count the comments of each kind.
	PublicComments int
	InternalNotes  int
	// Bytes is what the ticket and its comments store (MaxBytes bounds it).
	Bytes    int
	Comments []Comment
}

// CommentCount is what a reader sees of the count: operators count the internal notes too.
func (t Ticket) CommentCount(operator bool) int {
	if operator {
		return t.PublicComments + t.InternalNotes
	}
	return t.PublicComments
}

// TicketRead asks the authorization step to read the org's ticket ID with it (orgs.Read):
// the routes acting on {ticketId}. Its result is a *Ticket, nil when the org has none of that
// id (TicketOf).
type TicketRead struct{ ID string }

// TicketOf returns the ticket the authorization step read for the route (TicketRead); nil
// when there is none.
func TicketOf(a orgs.Access) *Ticket {
	_, t, _ := orgs.ResultOf[TicketRead, *Ticket](a)
	return t
}

// Comment is one answer on a ticket.
type Comment struct {
	ID        string
	TicketID  string
	Body      string
	Author    Author
	Internal  bool
	CreatedAt time.Time
}

// Author is who wrote a comment.
type Author struct {
	Type  string
	ID    string
	Email string
}

// Page is one page of a ticket list.
type Page struct {
	Tickets []Ticket
	Next    string
}

// Errors a Store returns when a write's condition fails.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "ticket not found")
	// ErrChanged: the ticket changed between the read and the write.
	ErrChanged = apperr.New(apperr.Conflict, "the ticket was changed meanwhile; reload it and try again")
	// ErrUnknownProduct: productId names no catalog product.
	ErrUnknownProduct = apperr.New(apperr.Invalid, "productId names no product of the catalog")
	ErrClosed         = apperr.New(apperr.Conflict, "the ticket is closed: reopen it (PATCH status \"open\") before commenting")
	// ErrFull: the comment would take the ticket past MaxBytes.
	ErrFull = apperr.New(apperr.Conflict, "this ticket has reached its size limit: open a new ticket to go on")
)

// NewTicket is everything written when a ticket is opened.
type NewTicket struct {
	Ticket Ticket
	// Actor is the creator's membership as read: the write holds only while they keep it.
	Actor orgs.Member
	Event audit.Event
}

// CommentWrite adds a comment to a ticket and moves its status.
type CommentWrite struct {
	Before  Ticket
	Comment Comment
	// After is the status the comment sets, "" for none (an internal note). A comment that
	// sets one holds only while the ticket is not closed (ErrClosed).
	After Status
	// Bytes is what the comment adds to the ticket's Bytes: the write holds only while the
	// ticket stays within MaxBytes (ErrFull).
	Bytes int
	At    time.Time
	// Event is nil for an internal note: it never reaches the org's log.
	Event *audit.Event
	// Mail, when set, is written with the comment: the creator's email of a public reply.
	Mail *outbox.Message
}

// StatusWrite changes a ticket's status.
type StatusWrite struct {
	Before Ticket
	After  Status
	At     time.Time
	Event  audit.Event
}

// Store is the persistence tickets need.
type Store interface {
	// CreateTicket writes the ticket and its event, checking that the product (when named) is
	// in the catalog (ErrUnknownProduct) and that the org is live.
	CreateTicket(ctx context.Context, w NewTicket) error
	// Ticket reads a ticket with all its comments, oldest first; ErrNotFound when absent.
	Ticket(ctx context.Context, orgID, ticketID string) (Ticket, error)
	// OrgTickets lists the org's tickets newest first: all of them, or createdBy's only when
	// createdBy is set; of one status when status is set.
	OrgTickets(ctx context.Context, orgID, createdBy string, status Status, p paging.Request) (Page, error)
	// Queue lists every org's tickets of one status, oldest first.
	Queue(ctx context.Context, status Status, p paging.Request) (Page, error)
	// AddComment writes the comment, counts it and its bytes (ErrFull past MaxBytes), moves
	// the status (ErrClosed when the ticket was closed meanwhile) and writes the event and mail.
	AddComment(ctx context.Context, w CommentWrite) error
	// SetStatus moves the status on condition that it is still Before's (ErrChanged).
	SetStatus(ctx context.Context, w StatusWrite) error
}

// Service runs the ticket use cases.
type Service struct {
	Store  Store
	AppURL string
	Now    func() time.Time
	NewID  func() string
}

// Input is what a customer writes to open a ticket.
type Input struct {
	Subject   string
	Body      string
	ProductID string
}

// SeesAll reports whether the member sees every ticket of the org.
func SeesAll(a orgs.Access) bool {
	return a.Org.SupportTicketVisibility == orgs.VisibilityAll || a.Allows(roles.SettingsManage)
}

// visible reports whether the member may see t.
func visible(a orgs.Access, t Ticket) bool {
	return t.OrgID == a.Org.ID && (t.CreatedBy.ID == a.Member.UserID || SeesAll(a))
}

// Create opens a ticket in the member's org.
func (s *Service) Create(ctx context.Context, a orgs.Access, in Input) (Ticket, error) {
	subject, err := Text("subject", in.Subject, MaxSubject, false)
	if err != nil {
		return Ticket{}, err
	}
	body, err := Text("body", in.Body, MaxBody, true)
	if err != nil {
		return Ticket{}, err
	}
	product := strings.TrimSpace(in.ProductID)
	if product != "" && !ValidProductID(product) {
		return Ticket{}, ErrUnknownProduct
	}
	now := s.Now()
	t := Ticket{
		ID: s.NewID(), OrgID: a.Org.ID, OrgName: a.Org.Name, Subject: subject, Body: body,
		ProductID: product, Status: Open, CreatedBy: orgs.Person{ID: a.Member.UserID, Email: a.Member.Email},
		CreatedAt: now, UpdatedAt: now, Bytes: len(subject) + len(body) + len(product) + itemOverhead,
	}
	ev := s.event(ctx, a.Org.ID, userActor(a), t, "ticket.created", fmt.Sprintf("%s opened ticket %q", a.Member.Email, subject), now)
	if product != "" {
		ev.Details["productId"] = product
	}
	if err := s.Store.CreateTicket(ctx, NewTicket{Ticket: t, Actor: a.Member, Event: ev}); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// List returns the tickets the member may see, newest first.
func (s *Service) List(ctx context.Context, a orgs.Access, status string, p paging.Request) (Page, error) {
	st, err := statusFilter(status)
	if err != nil {
		return Page{}, err
	}
	by := a.Member.UserID
	if SeesAll(a) {
		by = ""
	}
	return s.Store.OrgTickets(ctx, a.Org.ID, by, st, p)
}

// Get returns a ticket the member may see, with its public comments.
func (s *Service) Get(ctx context.Context, a orgs.Access, ticketID string) (Ticket, error) {
	if !ValidID(ticketID) {
		return Ticket{}, ErrNotFound
	}
	t, err := s.Store.Ticket(ctx, a.Org.ID, ticketID)
	if err != nil {
		return Ticket{}, err
	}
	if !visible(a, t) {
		return Ticket{}, ErrNotFound
	}
	t.Comments = publicOnly(t.Comments)
	return t, nil
}

// Comment adds a member's comment to a ticket they may see; it reopens a ticket that was
// waiting on the customer. t is the ticket as the authorization step read it.
func (s *Service) Comment(ctx context.Context, a orgs.Access, t *Ticket, body string) (Comment, error) {
	if t == nil || !visible(a, *t) {
		return Comment{}, ErrNotFound
	}
	if t.Status == Closed {
		return Comment{}, ErrClosed
	}
	text, err := Text("body", body, MaxBody, true)
	if err != nil {
		return Comment{}, err
	}
	if t.Bytes+CommentBytes(text) > MaxBytes {
		return Comment{}, ErrFull
	}
	now := s.Now()
	c := Comment{ID: s.NewID(), TicketID: t.ID, Body: text, Author: Author{Type: AuthorUser, ID: a.Member.UserID, Email: a.Member.Email}, CreatedAt: now}
	ev := s.event(ctx, a.Org.ID, userActor(a), *t, "ticket.commented", fmt.Sprintf("%s commented on ticket %q", a.Member.Email, t.Subject), now)
	ev.Details["commentId"], ev.Details["status"] = c.ID, string(Open)
	if err := s.Store.AddComment(ctx, CommentWrite{Before: *t, Comment: c, After: Open, Bytes: CommentBytes(text), At: now, Event: &ev}); err != nil {
		return Comment{}, err
	}
	return c, nil
}

// SetStatus closes or reopens a ticket: its creator or a member with settings.manage may.
func (s *Service) SetStatus(ctx context.Context, a orgs.Access, t *Ticket, to string) (Ticket, error) {
	if t == nil || !visible(a, *t) {
		return Ticket{}, ErrNotFound
	}
	st := Status(to)
	switch {
	case !st.Valid():
		return Ticket{}, apperr.New(apperr.Invalid, "status must be %q or %q", Open, Closed)
	case t.CreatedBy.ID != a.Member.UserID && !a.Allows(roles.SettingsManage):
		return Ticket{}, apperr.New(apperr.Forbidden, "only the ticket's creator or a member who manages the settings may change its status")
	case st == WaitingOnCustomer:
		return Ticket{}, apperr.New(apperr.Forbidden, "only the support team sets %q; you may close a ticket or reopen it", WaitingOnCustomer)
	}
	return s.setStatus(ctx, userActor(a), *t, st, a.Member.Email)
}

func (s *Service) setStatus(ctx context.Context, actor audit.Actor, t Ticket, to Status, who string) (Ticket, error) {
	if t.Status == to {
		return t, nil // nothing changes, nothing is logged
	}
	now := s.Now()
	ev := s.event(ctx, t.OrgID, actor, t, "ticket.status_changed", fmt.Sprintf("%s set ticket %q to %s", who, t.Subject, to), now)
	ev.Details["from"], ev.Details["to"] = string(t.Status), string(to)
	if err := s.Store.SetStatus(ctx, StatusWrite{Before: t, After: to, At: now, Event: ev}); err != nil {
		return Ticket{}, err
	}
	t.Status, t.UpdatedAt = to, now
	return t, nil
}

// Operator is the vendor's support person acting on any org's tickets.
type Operator struct {
	ID    string
	Email string
}

func (o Operator) actor() audit.Actor {
	return audit.Actor{Type: audit.ActorOperator, ID: o.ID, Email: o.Email}
}

// Queue lists every org's tickets of one status (open by default), oldest first.
func (s *Service) Queue(ctx context.Context, status string, p paging.Request) (Page, error) {
	st := Open
	if status != "" {
		st = Status(status)
		if !st.Valid() {
			return Page{}, apperr.New(apperr.Invalid, "status must be one of %q, %q, %q", Open, WaitingOnCustomer, Closed)
		}
	}
	return s.Store.Queue(ctx, st, p)
}

// OperatorGet returns any ticket with every comment, internal notes included.
func (s *Service) OperatorGet(ctx context.Context, orgID, ticketID string) (Ticket, error) {
	if !ValidID(orgID) || !ValidID(ticketID) {
		return Ticket{}, ErrNotFound
	}
	return s.Store.Ticket(ctx, orgID, ticketID)
}

// OperatorComment answers a ticket. A public reply emails the creator and sets the ticket
// waiting on the customer, with one ticket.commented event; an internal note changes nothing
// else and reaches neither the customer nor the org's log.
func (s *Service) OperatorComment(ctx context.Context, op Operator, orgID, ticketID, body string, internal bool) (Comment, error) {
	t, err := s.OperatorGet(ctx, orgID, ticketID)
	if err != nil {
		return Comment{}, err
	}
	if t.Status == Closed && !internal {
		return Comment{}, ErrClosed
	}
	text, err := Text("body", body, MaxBody, true)
	if err != nil {
		return Comment{}, err
	}
	if t.Bytes+CommentBytes(text) > MaxBytes {
		return Comment{}, ErrFull
	}
	now := s.Now()
	c := Comment{ID: s.NewID(), TicketID: t.ID, Body: text, Author: Author{Type: AuthorOperator, ID: op.ID, Email: op.Email}, Internal: internal, CreatedAt: now}
	w := CommentWrite{Before: t, Comment: c, Bytes: CommentBytes(text), At: now}
	if !internal {
		w.After = WaitingOnCustomer
		ev := s.event(ctx, t.OrgID, op.actor(), t, "ticket.commented", fmt.Sprintf("Support answered ticket %q", t.Subject), now)
		ev.Details["commentId"], ev.Details["status"] = c.ID, string(WaitingOnCustomer)
		w.Event = &ev
		m, err := s.replyMail(t, c)
		if err != nil {
			return Comment{}, err
		}
		w.Mail = &m
	}
	if err := s.Store.AddComment(ctx, w); err != nil {
		return Comment{}, err
	}
	return c, nil
}

// OperatorSetStatus sets any status on any ticket.
func (s *Service) OperatorSetStatus(ctx context.Context, op Operator, orgID, ticketID, to string) (Ticket, error) {
	st := Status(to)
	if !st.Valid() {
		return Ticket{}, apperr.New(apperr.Invalid, "status must be one of %q, %q, %q", Open, WaitingOnCustomer, Closed)
	}
	t, err := s.OperatorGet(ctx, orgID, ticketID)
	if err != nil {
		return Ticket{}, err
	}
	t, err = s.setStatus(ctx, op.actor(), t, st, "Support")
	t.Comments = nil
	return t, err
}

func (s *Service) replyMail(t Ticket, c Comment) (outbox.Message, error) {
	msg, err := replyMessage(t, c, s.AppURL+"/orgs/"+t.OrgID+"/tickets/"+t.ID)
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.NewEmail(s.NewID(), t.OrgID, outbox.Email{Message: msg, Purpose: "ticket-reply"})
}

func (s *Service) event(ctx context.Context, orgID string, actor audit.Actor, t Ticket, action, summary string, now time.Time) audit.Event {
	ev := audit.Event{
		OrgID: orgID, Category: audit.Support, Action: action, Actor: actor,
		Target:  audit.Target{Type: "ticket", ID: t.ID, Label: t.Subject},
		Summary: summary,
	}
	ev.Stamp(ctx, s.NewID(), now)
	return ev
}

func userActor(a orgs.Access) audit.Actor {
	return audit.Actor{Type: audit.ActorUser, ID: a.Member.UserID, Email: a.Member.Email}
}

func publicOnly(cs []Comment) []Comment {
	out := make([]Comment, 0, len(cs))
	for _, c := range cs {
		if !c.Internal {
			out = append(out, c)
		}
	}
	return out
}

func statusFilter(s string) (Status, error) {
	if s == "" {
		return "", nil
	}
	if st := Status(s); st.Valid() {
		return st, nil
	}
	return "", apperr.New(apperr.Invalid, "status must be one of %q, %q, %q", Open, WaitingOnCustomer, Closed)
}

// Text checks a ticket's text with the service's one text cleaner (orgs.CleanText, and
// orgs.CleanMultilineText where multiline allows line breaks and tabs): trimmed, stored NFC,
// 1 to max characters, no control, bidi-override or zero-width characters (they hide or
// reorder what a reader sees).
func Text(field, s string, max int, multiline bool) (string, error) {
	if multiline {
		return orgs.CleanMultilineText(field, s, max, true)
	}
	return orgs.CleanText(field, s, max, true)
}

// ValidID reports whether s could be an id the server issued (a lower-case ULID).
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// ValidProductID reports whether s has the shape of a catalog product id.
func ValidProductID(s string) bool {
	if len(s) < 2 || len(s) > 63 {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (c == '-' && i > 0)
		if !ok {
			return false
		}
	}
	return true
}
