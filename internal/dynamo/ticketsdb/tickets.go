package ticketsdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/tickets"
)

// The support tickets' items:
//
//	ORG#<orgId>  TICKET#<ticketId>               a ticket; ids are ULIDs, so they sort by age
//	                                               GSI1: ORG#<orgId>#TK / <ticketId>          (all of the org's)
//	                                               GSI2: ORG#<orgId>#TK#BY#<userId> / <ticketId> (one creator's)
//	                                               GSI3: TICKETQ#<status> / <ticketId>#<orgId>  (the operators' queue)
//	ORG#<orgId>  TICKET#<ticketId>#C#<commentId>  a comment (internal notes too); the ticket and its
//	                                               comments are one Query of the prefix TICKET#<ticketId>
//
// Every list is one Query of one index partition: a member who sees only their own tickets
// reads only those, and the queue reads only tickets of the status asked for. The queue's
// partitions are shared by every org: at a vendor's ticket volume one partition per status is
// far below a partition's write limit.
const skTicket = "TICKET#"

func ticketSK(id string) string              { return skTicket + id }
func commentSK(ticketID, id string) string   { return skTicket + ticketID + "#C#" + id }
func ticketOrgPK(orgID string) string        { return dynamo.OrgPK(orgID) + "#TK" }
func ticketByPK(orgID, userID string) string { return dynamo.OrgPK(orgID) + "#TK#BY#" + userID }
func ticketQueuePK(s tickets.Status) string  { return "TICKETQ#" + string(s) }
func ticketQueueSK(t tickets.Ticket) string  { return t.ID + "#" + t.OrgID }
func productKey(id string) map[string]types.AttributeValue {
	return dynamo.Key("CATALOG", "PRODUCT#"+id)
}

type ticketItem struct {
	dynamo.Keys
	ID             string    `dynamodbav:"id"`
	OrgID          string    `dynamodbav:"orgId"`
	OrgName        string    `dynamodbav:"orgName"`
	Subject        string    `dynamodbav:"subject"`
	Body           string    `dynamodbav:"body"`
	ProductID      string    `dynamodbav:"productId,omitempty"`
	Status         string    `dynamodbav:"status"`
	CreatedByID    string    `dynamodbav:"createdById"`
	CreatedByEmail string    `dynamodbav:"createdByEmail"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	UpdatedAt      time.Time `dynamodbav:"updatedAt"`
	PublicComments int       `dynamodbav:"publicComments"`
	InternalNotes  int       `dynamodbav:"internalNotes"`
	// Bytes is tickets.Ticket.Bytes (absent on tickets opened before it was kept).
	Bytes int `dynamodbav:"textBytes"`
}

func newTicketItem(t tickets.Ticket) ticketItem {
	it := ticketItem{
		ID: t.ID, OrgID: t.OrgID, OrgName: t.OrgName, Subject: t.Subject, Body: t.Body, ProductID: t.ProductID,
		Status: string(t.Status), CreatedByID: t.CreatedBy.ID, CreatedByEmail: t.CreatedBy.Email,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, PublicComments: t.PublicComments, InternalNotes: t.InternalNotes,
		Bytes: t.Bytes,
	}
	it.PK, it.SK = dynamo.OrgPK(t.OrgID), ticketSK(t.ID)
	it.GSI1PK, it.GSI1SK = ticketOrgPK(t.OrgID), t.ID
	it.GSI2PK, it.GSI2SK = ticketByPK(t.OrgID, t.CreatedBy.ID), t.ID
	it.GSI3PK, it.GSI3SK = ticketQueuePK(t.Status), ticketQueueSK(t)
	return it
}

func (it ticketItem) ticket() tickets.Ticket {
	return tickets.Ticket{
		ID: it.ID, OrgID: it.OrgID, OrgName: it.OrgName, Subject: it.Subject, Body: it.Body, ProductID: it.ProductID,
		Status: tickets.Status(it.Status), CreatedBy: orgs.Person{ID: it.CreatedByID, Email: it.CreatedByEmail},
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, PublicComments: it.PublicComments, InternalNotes: it.InternalNotes,
		Bytes: it.Bytes,
	}
}

type commentItem struct {
	dynamo.Keys
	ID          string    `dynamodbav:"id"`
	TicketID    string    `dynamodbav:"ticketId"`
	Body        string    `dynamodbav:"body"`
	AuthorType  string    `dynamodbav:"authorType"`
	AuthorID    string    `dynamodbav:"authorId"`
	AuthorEmail string    `dynamodbav:"authorEmail"`
	Internal    bool      `dynamodbav:"internal"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
}

func newCommentItem(orgID string, c tickets.Comment) commentItem {
	it := commentItem{
		ID: c.ID, TicketID: c.TicketID, Body: c.Body, AuthorType: c.Author.Type, AuthorID: c.Author.ID,
		AuthorEmail: c.Author.Email, Internal: c.Internal, CreatedAt: c.CreatedAt,
	}
	it.PK, it.SK = dynamo.OrgPK(orgID), commentSK(c.TicketID, c.ID)
	return it
}

func (it commentItem) comment() tickets.Comment {
	return tickets.Comment{
		ID: it.ID, TicketID: it.TicketID, Body: it.Body, Internal: it.Internal, CreatedAt: it.CreatedAt,
		Author: tickets.Author{Type: it.AuthorType, ID: it.AuthorID, Email: it.AuthorEmail},
	}
}

var _ tickets.Store = (*Store)(nil)

// CreateTicket implements tickets.Store.
func (s *Store) CreateTicket(ctx context.Context, w tickets.NewTicket) error {
	t := s.Txn()
	t.PutNew(newTicketItem(w.Ticket), fmt.Errorf("ticket %s exists", w.Ticket.ID))
	t.Check(dynamo.Key(dynamo.OrgPK(w.Ticket.OrgID), dynamo.SkMeta), dynamo.OrgLive(), apperr.New(apperr.NotFound, "organization not found"))
	t.MemberStill(w.Ticket.OrgID, w.Actor)
	if w.Ticket.ProductID != "" {
		t.Check(productKey(w.Ticket.ProductID), dynamo.Exists(), tickets.ErrUnknownProduct)
	}
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// Ticket implements tickets.Store: one Query of the ticket's prefix reads it and its comments
// (more pages only for a ticket whose text passes 1 MB).
func (s *Store) Ticket(ctx context.Context, orgID, ticketID string) (tickets.Ticket, error) {
	var t tickets.Ticket
	found := false
	q := dynamo.Query{What: "ticket", Key: dynamo.KeyPrefix(dynamo.OrgPK(orgID), ticketSK(ticketID))}
	err := s.QueryEach(ctx, q, func(av map[string]types.AttributeValue) error {
		var k dynamo.Keys
		if err := attributevalue.UnmarshalMap(av, &k); err != nil {
			return err
		}
		switch {
		case k.SK == ticketSK(ticketID):
			var it ticketItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			comments := t.Comments
			t, found = it.ticket(), true
			t.Comments = comments
		case strings.HasPrefix(k.SK, ticketSK(ticketID)+"#C#"):
			var it commentItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return err
			}
			t.Comments = append(t.Comments, it.comment())
		}
		return nil
	})
	if err != nil {
		return tickets.Ticket{}, err
	}
	if !found {
		return tickets.Ticket{}, tickets.ErrNotFound
	}
	return t, nil
}

// OrgTickets implements tickets.Store: one Query of the org's or the creator's partition.
func (s *Store) OrgTickets(ctx context.Context, orgID, createdBy string, status tickets.Status, p paging.Request) (tickets.Page, error) {
	index, pkName, pk := dynamo.IndexGSI1, dynamo.AttrGSI1P, ticketOrgPK(orgID)
	if createdBy != "" {
		index, pkName, pk = dynamo.IndexGSI2, dynamo.AttrGSI2P, ticketByPK(orgID, createdBy)
	}
	return s.ticketPage(ctx, index, expression.Key(pkName).Equal(expression.Value(pk)), status, false, p)
}

// Queue implements tickets.Store: one Query of the status's queue partition.
func (s *Store) Queue(ctx context.Context, status tickets.Status, p paging.Request) (tickets.Page, error) {
	return s.ticketPage(ctx, dynamo.IndexGSI3, expression.Key(dynamo.AttrGSI3P).Equal(expression.Value(ticketQueuePK(status))), "", true, p)
}

func (s *Store) ticketPage(ctx context.Context, index string, kc expression.KeyConditionBuilder, status tickets.Status, oldestFirst bool, p paging.Request) (tickets.Page, error) {
	q := dynamo.Query{What: "tickets", Index: index, Key: kc, Descending: !oldestFirst, Limit: p.Limit}
	if status != "" {
		// Within one reader's view: the other statuses of tickets the reader may see.
		q.Filter = dynamo.Attr("status").Equal(dynamo.Val(string(status)))
	}
	list, next, err := dynamo.PageAs(ctx, s.Store, q, p.After, ticketItem.ticket)
	return tickets.Page{Tickets: list, Next: next}, err
}

// AddComment implements tickets.Store. A comment that moves the status holds while the
// ticket is not closed, whatever else changed since it was read; an internal note changes
// only the count.
func (s *Store) AddComment(ctx context.Context, w tickets.CommentWrite) error {
	counter := "publicComments"
	if w.Comment.Internal {
		counter = "internalNotes"
	}
	upd := expression.Add(dynamo.Attr(counter), dynamo.Val(1)).Add(dynamo.Attr("textBytes"), dynamo.Val(w.Bytes)).Set(dynamo.Attr("updatedAt"), dynamo.Val(w.At))
	// The ticket stays within its size limit whatever was written since it was read.
	fits := expression.AttributeNotExists(dynamo.Attr("textBytes")).Or(dynamo.Attr("textBytes").LessThanEqual(dynamo.Val(tickets.MaxBytes - w.Bytes)))
	cond := dynamo.Exists().And(fits)
	if w.After != "" {
		upd = upd.Set(dynamo.Attr("status"), dynamo.Val(string(w.After))).Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(ticketQueuePK(w.After)))
		cond = cond.And(dynamo.Attr("status").NotEqual(dynamo.Val(string(tickets.Closed))))
	}
	t := s.Txn()
	t.Update(dynamo.Key(dynamo.OrgPK(w.Before.OrgID), ticketSK(w.Before.ID)), upd, cond, &dynamo.Diagnosis{Why: func(old map[string]types.AttributeValue) error {
		var it ticketItem
		switch {
		case old == nil:
			return tickets.ErrNotFound
		case attributevalue.UnmarshalMap(old, &it) != nil:
			return tickets.ErrChanged
		case w.After != "" && it.Status == string(tickets.Closed):
			return tickets.ErrClosed
		}
		return tickets.ErrFull
	}})
	if n := len(t.Items); n > 0 && t.Items[n-1].Update != nil {
		t.Items[n-1].Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	t.PutNew(newCommentItem(w.Before.OrgID, w.Comment), fmt.Errorf("comment %s exists", w.Comment.ID))
	if w.Event != nil {
		t.Event(*w.Event)
	}
	if w.Mail != nil {
		t.Outbox(w.At, *w.Mail)
	}
	return t.Run(ctx, s.Client)
}

// SetStatus implements tickets.Store.
func (s *Store) SetStatus(ctx context.Context, w tickets.StatusWrite) error {
	// The status (and with it the queue partition) moves only from what was read: two people
	// changing it at once can't both win.
	upd := expression.Set(dynamo.Attr("status"), dynamo.Val(string(w.After))).
		Set(dynamo.Attr("updatedAt"), dynamo.Val(w.At)).
		Set(dynamo.Attr(dynamo.AttrGSI3P), dynamo.Val(ticketQueuePK(w.After)))
	cond := dynamo.Exists().And(dynamo.Attr("status").Equal(dynamo.Val(string(w.Before.Status))))
	t := s.Txn()
	t.Update(dynamo.Key(dynamo.OrgPK(w.Before.OrgID), ticketSK(w.Before.ID)), upd, cond, tickets.ErrChanged)
	t.Event(w.Event)
	return t.Run(ctx, s.Client)
}

// ticketRead reads the ticket a route acts on with the authorization step (planRead): a
// *tickets.Ticket, nil when the org has none of that id.
func ticketRead(orgID string, r tickets.TicketRead) dynamo.ReadPlan {
	return dynamo.ReadPlan{Keys: []dynamo.Keys{dynamo.IdKey(dynamo.OrgPK(orgID), ticketSK, r.ID)}, Decode: func(items []map[string]types.AttributeValue) (any, error) {
		return dynamo.DecodeAs("ticket", items[0], ticketItem.ticket)
	}}
}

// ticketReads registers the reads of tickets with the authorization step.
func ticketReads(k *dynamo.Store) { dynamo.RegisterRead(k, ticketRead) }
