package dynamo

import (
	"time"

	"github.com/vendorportal/orgs/internal/outbox"
)

// The outbox's items:
//
//	OUTBOX#<messageId>  OUTBOX   one piece of follow-up work (outbox.Message), written in the
//	                             transaction of the change it follows; the table's stream hands
//	                             it to the stream processor.
const skOutbox = "OUTBOX"

func outboxPK(id string) string { return "OUTBOX#" + id }

// outboxItem is an outbox message at rest.
type outboxItem struct {
	keys
	ID        string    `dynamodbav:"id"`
	OrgID     string    `dynamodbav:"orgId,omitempty"`
	Kind      string    `dynamodbav:"kind"`
	Body      []byte    `dynamodbav:"body"`
	Status    string    `dynamodbav:"status"`
	Attempts  int       `dynamodbav:"attempts"`
	NotBefore time.Time `dynamodbav:"notBefore,omitempty"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

func newOutboxItem(m outbox.Message, now time.Time) outboxItem {
	it := outboxItem{
		ID: m.ID, OrgID: m.OrgID, Kind: string(m.Kind), Body: m.Body, Status: "pending",
		Attempts: m.Attempts, NotBefore: m.NotBefore, CreatedAt: now,
	}
	it.PK, it.SK = outboxPK(m.ID), skOutbox
	return it
}

// outbox adds messages to the transaction: they are written with the change, or not at all.
func (t *txn) outbox(now time.Time, msgs ...outbox.Message) {
	for _, m := range msgs {
		t.putNew(newOutboxItem(m, now), nil)
	}
}
