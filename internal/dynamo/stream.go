package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/outbox"
)

// Reading the table's stream: the stream processor gets each changed item's new image as
// Lambda hands it over (events.DynamoDBAttributeValue) and asks what it is.

// StreamItem is what a stream record's new image holds, for the stream processor: an
// outbox message or a new event, or neither (nil both).
type StreamItem struct {
	Outbox *outbox.Message
	Event  *audit.Event
}

// DecodeStreamRecord tells what the item of r is. Only INSERT and MODIFY records carry work:
// an outbox message in any state (the processor decides whether it is ready), a new event
// (INSERT only: events are never changed). Anything else is an empty StreamItem.
func DecodeStreamRecord(r events.DynamoDBEventRecord) (StreamItem, error) {
	if r.EventName != string(events.DynamoDBOperationTypeInsert) && r.EventName != string(events.DynamoDBOperationTypeModify) {
		return StreamItem{}, nil
	}
	pk := r.Change.Keys[AttrPK]
	if pk.DataType() != events.DataTypeString || r.Change.NewImage == nil {
		return StreamItem{}, nil
	}
	switch {
	case IsOutboxKey(pk.String()):
		m, err := DecodeOutboxMessage(FromStreamImage(r.Change.NewImage))
		if err != nil {
			return StreamItem{}, err
		}
		return StreamItem{Outbox: &m}, nil
	case IsEventKey(pk.String()) && r.EventName == string(events.DynamoDBOperationTypeInsert):
		ev, err := DecodeEvent(FromStreamImage(r.Change.NewImage))
		if err != nil {
			return StreamItem{}, err
		}
		return StreamItem{Event: &ev}, nil
	}
	return StreamItem{}, nil
}

// FromStreamImage converts a stream image, as Lambda's event carries it, to the SDK's
// attribute values, which attributevalue decodes.
func FromStreamImage(img map[string]events.DynamoDBAttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		out[k] = fromStream(v)
	}
	return out
}

func fromStream(v events.DynamoDBAttributeValue) types.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		l := v.List()
		out := make([]types.AttributeValue, len(l))
		for i, x := range l {
			out[i] = fromStream(x)
		}
		return &types.AttributeValueMemberL{Value: out}
	case events.DataTypeMap:
		return &types.AttributeValueMemberM{Value: FromStreamImage(v.Map())}
	}
	return &types.AttributeValueMemberNULL{Value: true}
}

// ToStreamImage converts the SDK's attribute values to a stream image as Lambda's event
// carries it: local mode builds events.DynamoDBEvent payloads from the streams API with it.
func ToStreamImage(item map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	out := make(map[string]events.DynamoDBAttributeValue, len(item))
	for k, v := range item {
		sv, err := toStream(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = sv
	}
	return out, nil
}

func toStream(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(x.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(x.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(x.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(x.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(x.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(x.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(x.Value), nil
	case *types.AttributeValueMemberL:
		out := make([]events.DynamoDBAttributeValue, len(x.Value))
		for i, e := range x.Value {
			sv, err := toStream(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			out[i] = sv
		}
		return events.NewListAttribute(out), nil
	case *types.AttributeValueMemberM:
		m, err := ToStreamImage(x.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute value %T", v)
}

// EventSink receives each new event of an org's log from the stream (the webhooks' fan-out
// plugs in here). It may be called more than once for one event (a redelivered record), so it
// must be idempotent, e.g. by writing its deliveries keyed by the event's id. An error makes
// the record fail, so that the stream hands it over again.
type EventSink func(ctx context.Context, ev audit.Event) error

// StreamHandler returns the stream processor's handler: each record's outbox message that is
// ready goes to proc, each new event to sink (when not nil); records the table failed for are
// reported as batch item failures, so that Lambda hands them over again (the others are not
// redone: their messages are marked done). A record whose item can't be decoded is logged
// and skipped, as retrying can't mend it.
func StreamHandler(proc *outbox.Processor, sink EventSink, log *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, r := range ev.Records {
			if err := handleRecord(ctx, proc, sink, r); err != nil {
				var bad *undecodable
				if errors.As(err, &bad) {
					log.ErrorContext(ctx, "stream record skipped", "eventId", r.EventID, "error", err)
					continue
				}
				log.WarnContext(ctx, "stream record failed", "eventId", r.EventID, "sequence", r.Change.SequenceNumber, "error", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			}
		}
		return resp, nil
	}
}

type undecodable struct{ err error }

func (e *undecodable) Error() string { return e.err.Error() }

func handleRecord(ctx context.Context, proc *outbox.Processor, sink EventSink, r events.DynamoDBEventRecord) error {
	it, err := DecodeStreamRecord(r)
	if err != nil {
		return &undecodable{err}
	}
	switch {
	case it.Outbox != nil && it.Outbox.Ready(proc.Now()):
		return proc.Process(ctx, *it.Outbox)
	case it.Event != nil && sink != nil:
		return sink(ctx, *it.Event)
	}
	return nil
}
