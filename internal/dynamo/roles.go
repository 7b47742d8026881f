package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Diagnosis is an onFail that decides the error from the item as it was.
type Diagnosis struct {
	Why func(old map[string]types.AttributeValue) error
}

func (d *Diagnosis) Error() string { return "the condition on the item failed" }
