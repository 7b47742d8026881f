package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/apperr"
)

// The response of a bulk request that carried an Idempotency-Key:
//
//	ORG#<orgId>  BULK#<inviteId>   the response body, under the first invite the request
//	                               created (what the key's record names); ttl a day, as the key's.
//
// A replay of the key reads it back in one GetItem.

func bulkSK(inviteID string) string { return "BULK#" + inviteID }

type bulkResponseItem struct {
	Keys
	Body []byte `dynamodbav:"body"`
}

// SaveBulkResponse implements invites.BulkStore.
func (s *Store) SaveBulkResponse(ctx context.Context, orgID, inviteID string, body []byte) error {
	it := bulkResponseItem{Keys: Keys{PK: OrgPK(orgID), SK: bulkSK(inviteID), TTL: time.Now().Add(IdempotencyTTL + time.Hour).Unix()}, Body: body}
	av, err := MarshalMap(it)
	if err != nil {
		return err
	}
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return fmt.Errorf("put bulk response: %w", err)
	}
	return nil
}

// BulkResponse implements invites.BulkStore: one consistent GetItem.
func (s *Store) BulkResponse(ctx context.Context, orgID, inviteID string) ([]byte, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: Key(OrgPK(orgID), bulkSK(inviteID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get bulk response: %w", err)
	}
	if out.Item == nil {
		return nil, apperr.New(apperr.NotFound, "no response kept for this bulk request")
	}
	var it bulkResponseItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, err
	}
	return it.Body, nil
}
