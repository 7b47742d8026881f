package dynamo

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/apperr"
)

// EncodeKey turns a LastEvaluatedKey (every key attribute of the table is a string) into the
// opaque position a paging.Request carries; "" for none.
func EncodeKey(k map[string]types.AttributeValue) (string, error) {
	if len(k) == 0 {
		return "", nil
	}
	m := make(map[string]string, len(k))
	for name, v := range k {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", fmt.Errorf("key attribute %s is not a string", name)
		}
		m[name] = s.Value
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// DecodeKey is the inverse of encodeKey; nil for "".
func DecodeKey(s string) (map[string]types.AttributeValue, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, apperr.New(apperr.Invalid, "cursor is not valid; start again from the first page")
	}
	k := make(map[string]types.AttributeValue, len(m))
	for name, v := range m {
		k[name] = &types.AttributeValueMemberS{Value: v}
	}
	return k, nil
}
