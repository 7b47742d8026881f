// Package tableadmin creates and checks the single table as dynamo.Schema describes it: for
// local mode and tests (in AWS the CDK stack owns the table).
package tableadmin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/vendorportal/orgs/internal/dynamo"
)

// tableActiveTimeout bounds the wait for a new table to become ACTIVE. DynamoDB Local creates
// tables at once; AWS takes seconds, a little longer with indexes.
const tableActiveTimeout = 5 * time.Minute

// EnsureTable creates the table called name as Schema describes it, on-demand, and waits
// until it is ACTIVE with TTL and its stream enabled. It is meant for local mode and tests; in AWS the CDK
// stack owns the table. An existing table is left alone if its keys and indexes match Schema;
// if they do not, EnsureTable returns an error rather than let queries fail later in
// confusing ways.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		if err := createTable(ctx, client, name); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("describe table %s: %w", name, err)
	default:
		if err := checkTableMatchesSchema(desc.Table); err != nil {
			return fmt.Errorf("table %s exists but does not match dynamo.Schema (delete it to have it recreated): %w", name, err)
		}
		if err := ensureStream(ctx, client, desc.Table); err != nil {
			return err
		}
	}

	// Also for an existing table: it may still be CREATING, or another process may have
	// created it without TTL.
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = time.Second
		o.MaxDelay = 5 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("wait for table %s to become ACTIVE: %w", name, err)
	}
	return ensureTTL(ctx, client, name)
}

func createTable(ctx context.Context, client *dynamodb.Client, name string) error {
	attributes := []string{dynamo.Schema.PartitionKey, dynamo.Schema.SortKey}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keySchema(dynamo.Schema.PartitionKey, dynamo.Schema.SortKey),
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(dynamo.Schema.StreamView),
		},
	}
	for _, index := range dynamo.Schema.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(index.Name),
			KeySchema:  keySchema(index.PartitionKey, index.SortKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
		attributes = append(attributes, index.PartitionKey, index.SortKey)
	}
	for _, attribute := range attributes {
		if attribute == "" || slices.ContainsFunc(in.AttributeDefinitions, func(d types.AttributeDefinition) bool {
			return aws.ToString(d.AttributeName) == attribute
		}) {
			continue
		}
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(attribute),
			AttributeType: types.ScalarAttributeTypeS,
		})
	}

	_, err := client.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		// Someone else created it between our DescribeTable and CreateTable; the wait for
		// ACTIVE that follows covers that case too.
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	return nil
}

// keySchema returns a HASH key and, if sortKey is not empty, a RANGE key.
func keySchema(partitionKey, sortKey string) []types.KeySchemaElement {
	key := []types.KeySchemaElement{{AttributeName: aws.String(partitionKey), KeyType: types.KeyTypeHash}}
	if sortKey != "" {
		key = append(key, types.KeySchemaElement{AttributeName: aws.String(sortKey), KeyType: types.KeyTypeRange})
	}
	return key
}

// checkTableMatchesSchema compares the key and the index keys of an existing table with
// dynamo.Schema. Extra indexes are tolerated: they cost nothing and the code never asks for them.
func checkTableMatchesSchema(table *types.TableDescription) error {
	if !slices.Equal(keyNames(table.KeySchema), keyNames(keySchema(dynamo.Schema.PartitionKey, dynamo.Schema.SortKey))) {
		return fmt.Errorf("key is %v, want %v", keyNames(table.KeySchema), keyNames(keySchema(dynamo.Schema.PartitionKey, dynamo.Schema.SortKey)))
	}
	for _, want := range dynamo.Schema.Indexes {
		i := slices.IndexFunc(table.GlobalSecondaryIndexes, func(got types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(got.IndexName) == want.Name
		})
		if i < 0 {
			return fmt.Errorf("index %s is missing", want.Name)
		}
		got := keyNames(table.GlobalSecondaryIndexes[i].KeySchema)
		if !slices.Equal(got, keyNames(keySchema(want.PartitionKey, want.SortKey))) {
			return fmt.Errorf("index %s has key %v, want %v", want.Name, got, keyNames(keySchema(want.PartitionKey, want.SortKey)))
		}
	}
	return nil
}

// keyNames lists a key's attribute names, HASH first, whatever order DynamoDB answered in.
func keyNames(key []types.KeySchemaElement) []string {
	var hash, rangeKey []string
	for _, element := range key {
		if element.KeyType == types.KeyTypeHash {
			hash = append(hash, aws.ToString(element.AttributeName))
		} else {
			rangeKey = append(rangeKey, aws.ToString(element.AttributeName))
		}
	}
	return append(hash, rangeKey...)
}

func ensureTTL(ctx context.Context, client *dynamodb.Client, name string) error {
	if dynamo.Schema.TTLAttribute == "" {
		return nil
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL of table %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == dynamo.Schema.TTLAttribute &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(dynamo.Schema.TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %s.%s: %w", name, dynamo.Schema.TTLAttribute, err)
	}
	return nil
}

// ensureStream turns on the stream of a table made before the table had one.
func ensureStream(ctx context.Context, client *dynamodb.Client, table *types.TableDescription) error {
	if spec := table.StreamSpecification; spec != nil && aws.ToBool(spec.StreamEnabled) &&
		spec.StreamViewType == types.StreamViewType(dynamo.Schema.StreamView) {
		return nil
	}
	_, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName: table.TableName,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(dynamo.Schema.StreamView),
		},
	})
	if err != nil {
		return fmt.Errorf("enable the stream of %s: %w", aws.ToString(table.TableName), err)
	}
	return nil
}

// StreamARN returns the ARN of the table's current stream.
func StreamARN(ctx context.Context, client *dynamodb.Client, name string) (string, error) {
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", name, err)
	}
	if desc.Table.LatestStreamArn == nil {
		return "", fmt.Errorf("table %s has no stream", name)
	}
	return *desc.Table.LatestStreamArn, nil
}
