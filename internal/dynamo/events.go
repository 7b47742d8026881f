package dynamo

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
)

func (it eventItem) event() audit.Event {
	details := it.Details
	if details == nil {
		details = map[string]any{}
	}
	return audit.Event{
		ID: it.ID, OrgID: it.OrgID, Category: audit.Category(it.Category), Action: it.Action,
		OccurredAt: it.OccurredAt, Actor: it.Actor, Target: it.Target, IP: it.IP,
		UserAgent: it.UserAgent, Summary: it.Summary, Details: details,
	}
}

// DecodeEvent decodes an event item as the table holds it. Tests use it to read the events
// that a transaction writes.
func DecodeEvent(av map[string]types.AttributeValue) (audit.Event, error) {
	var it eventItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return audit.Event{}, fmt.Errorf("decode event item: %w", err)
	}
	return it.event(), nil
}

// IsEventKey reports whether a partition key is that of an org's event log.
func IsEventKey(pk string) bool {
	return strings.HasPrefix(pk, "ORG#") && strings.HasSuffix(pk, "#EV")
}
