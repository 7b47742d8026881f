package streamfeed

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// TestAnEmptyMapTheStreamDecodesToNothingIsAnEmptyMap: an event item's empty details came
// over DynamoDB Local's stream as a nil value, which failed the whole record, so that the
// event never reached the event sink (webhooks) in local mode.
func TestAnEmptyMapTheStreamDecodesToNothingIsAnEmptyMap(t *testing.T) {
	img, err := image(map[string]types.AttributeValue{
		"action":  &types.AttributeValueMemberS{Value: "org.created"},
		"details": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := img["details"]; d.DataType() != events.DataTypeMap || len(d.Map()) != 0 {
		t.Errorf("details = %v, want an empty map", d)
	}
}
