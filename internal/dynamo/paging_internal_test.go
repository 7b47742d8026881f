package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestKeyPositionsRoundTrip(t *testing.T) {
	k := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "ORG#1"}, "SK": &types.AttributeValueMemberS{Value: "MEMBER#2"},
	}
	s, err := EncodeKey(k)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k, back, cmpopts.IgnoreUnexported(types.AttributeValueMemberS{})); diff != "" {
		t.Error(diff)
	}
	if s, _ := EncodeKey(nil); s != "" {
		t.Error("no key must encode as empty")
	}
}
