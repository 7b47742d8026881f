package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/dynamo/tableadmin"
	"github.com/vendorportal/orgs/internal/streamfeed"
)

// Stream returns a feeder of the stream of a test's table (from DynamoDB) to h, the stream
// processor's handler (triggers.StreamHandler, or one built from a test's own services with
// dynamo.StreamHandler). Call Drain to have the follow-up work of what the test wrote done
// before it looks, or run it in the background with Run(t.Context()), as local mode does.
func Stream(t testing.TB, client *dynamodb.Client, table string, h streamfeed.Handler) *streamfeed.Feeder {
	t.Helper()
	arn, err := tableadmin.StreamARN(t.Context(), client, table)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	o := client.Options()
	cfg := aws.Config{Region: o.Region, Credentials: o.Credentials, AppID: "stream-processor"}
	return &streamfeed.Feeder{
		Client: streamfeed.NewClient(cfg, aws.ToString(o.BaseEndpoint)), StreamARN: arn, Handler: h, Region: o.Region,
	}
}
