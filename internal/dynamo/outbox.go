package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/outbox"
)

// The outbox's items:
//
//	OUTBOX#<messageId>  OUTBOX   one piece of follow-up work (outbox.Message), written in the
//	                             transaction of the change it follows; the table's stream hands
//	                             it to the stream processor.
//	                             GSI3 while pending or running: DUE#OUTBOX#<yyyy-mm-dd> / <dueAt>#<id>
//	                               dueAt: a new message's insertGrace after its creation (the
//	                               job's safety net should the stream never deliver it), a
//	                               retry's time, or a claimed attempt's lease.
//	                             ttl once done (doneRetention) or failed (failedRetention).
//	OUTBOX_CURSOR       OUTBOX_CURSOR  the oldest day shard of GSI3 that may still hold a due
//	                             message: the job reads from there to today, and moves it on
//	                             past each day it emptied (a day that is over never gets new
//	                             messages: a due time is never in the past when written).
//
// So the job's reads grow with the due messages and the days since its last run, never with
// the table, and a message due on a day long past is still found, however late the job runs.
const (
	SkOutbox        = "OUTBOX"
	PkOutboxCursor  = "OUTBOX_CURSOR"
	insertGrace     = time.Minute
	DoneRetention   = 7 * 24 * time.Hour
	FailedRetention = 30 * 24 * time.Hour
	// cursorSettle is how long after a day ends before the job may move the cursor past it,
	// leaving room for the index's propagation and the writers' clocks.
	CursorSettle = time.Hour
)

// outboxEpoch is a day before any outbox message can be due: the job's cursor starts there,
// so the first run on a table reads each day since once (a few hundred empty Queries, once
// in the table's life) and no message is left behind however late that run comes.
var OutboxEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func OutboxPK(id string) string { return "OUTBOX#" + id }

// IsOutboxKey reports whether a partition key is an outbox message's.
func IsOutboxKey(pk string) bool { return len(pk) > len("OUTBOX#") && pk[:len("OUTBOX#")] == "OUTBOX#" }

func OutboxShard(day time.Time) string { return "DUE#OUTBOX#" + day.UTC().Format(time.DateOnly) }

func OutboxDueKeys(id string, due time.Time) (string, string) {
	return OutboxShard(due), SortTime(due) + "#" + id
}

// outboxItem is an outbox message at rest. Times that conditions compare are sortTime
// strings ("" when unset).
type outboxItem struct {
	Keys
	ID         string    `dynamodbav:"id"`
	OrgID      string    `dynamodbav:"orgId,omitempty"`
	Kind       string    `dynamodbav:"kind"`
	Body       []byte    `dynamodbav:"body"`
	Status     string    `dynamodbav:"status"`
	Attempts   int       `dynamodbav:"attempts"`
	NotBefore  string    `dynamodbav:"notBefore,omitempty"`
	LeaseUntil string    `dynamodbav:"leaseUntil,omitempty"`
	LastError  string    `dynamodbav:"lastError,omitempty"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
}

func stampOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return SortTime(t)
}

func parseStamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func NewOutboxItem(m outbox.Message, now time.Time) outboxItem {
	it := outboxItem{
		ID: m.ID, OrgID: m.OrgID, Kind: string(m.Kind), Body: m.Body, Status: string(outbox.StatusPending),
		Attempts: m.Attempts, NotBefore: stampOrEmpty(m.NotBefore), CreatedAt: now,
	}
	due := now.Add(insertGrace)
	if m.NotBefore.After(due) {
		due = m.NotBefore
	}
	it.PK, it.SK = OutboxPK(m.ID), SkOutbox
	it.GSI3PK, it.GSI3SK = OutboxDueKeys(m.ID, due)
	return it
}

func (it outboxItem) message() outbox.Message {
	return outbox.Message{
		ID: it.ID, OrgID: it.OrgID, Kind: outbox.Kind(it.Kind), Body: it.Body,
		NotBefore: parseStamp(it.NotBefore), Attempts: it.Attempts,
		Status: outbox.Status(it.Status), LeaseUntil: parseStamp(it.LeaseUntil), LastError: it.LastError,
	}
}

// DecodeOutboxMessage decodes an outbox item as the table (or a stream image) holds it.
func DecodeOutboxMessage(av map[string]types.AttributeValue) (outbox.Message, error) {
	var it outboxItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return outbox.Message{}, fmt.Errorf("decode outbox item: %w", err)
	}
	return it.message(), nil
}

// Outbox adds messages to the transaction: they are written with the change, or not at all.
func (t *Txn) Outbox(now time.Time, msgs ...outbox.Message) {
	for _, m := range msgs {
		t.PutNew(NewOutboxItem(m, now), fmt.Errorf("outbox message %s exists", m.ID))
	}
}
