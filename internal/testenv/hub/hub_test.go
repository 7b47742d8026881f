package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/testenv/hub"
)

// A lane's DynamoDB Local serves TablesPerLocal tables, the next table goes to a fresh one,
// and the old one stops once its tables are gone.
func TestALaneMovesToAFreshDynamoDBLocalAndRetiresTheOld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the stand-ins")
	}
	h, err := hub.Start(t.Context(), hub.Options{Lanes: 1, TablesPerLocal: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	shared, err := hub.Get(t.Context(), h.URL)
	if err != nil {
		t.Fatal(err)
	}
	if shared.DynamoDB == "" || shared.Cognito == "" || shared.SES == "" {
		t.Fatalf("endpoints %+v", shared)
	}
	lease := func() string {
		t.Helper()
		endpoint, err := hub.Lease(t.Context(), h.URL)
		if err != nil {
			t.Fatal(err)
		}
		return endpoint
	}
	first, second := lease(), lease()
	if first != shared.DynamoDB || second != first {
		t.Fatalf("the first two tables went to %s and %s, want both on %s", first, second, shared.DynamoDB)
	}
	third := lease()
	if third == first {
		t.Fatalf("the third table went to the DynamoDB Local that served two already")
	}
	if _, err := standins.DynamoDBClient(third).ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("the fresh DynamoDB Local at %s: %v", third, err)
	}
	// Each one's successor starts half-way through its tables: the third's has.
	if got := h.DynamoDBLocals(); got != 3 {
		t.Errorf("%d DynamoDB Locals started, want 3", got)
	}

	// The stack's own DynamoDB Local lives until Close; a later one stops with its last table.
	fourth, fifth := lease(), lease()
	if fourth != third || fifth == third {
		t.Fatalf("tables 4 and 5 went to %s and %s (the third to %s)", fourth, fifth, third)
	}
	for _, e := range []string{third, fourth} {
		if err := hub.Release(t.Context(), h.URL, e); err != nil {
			t.Fatal(err)
		}
	}
	_ = testenv.Await(t, time.Minute, "the retired DynamoDB Local stops", func() (struct{}, bool) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		_, err := standins.DynamoDBClient(third).ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		return struct{}{}, err != nil
	})
}
