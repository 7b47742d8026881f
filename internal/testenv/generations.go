package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv/hub"
)

// TablesPerDynamoDBLocal is how many tables one DynamoDB Local serves before the next test's
// table goes to a fresh one. DynamoDB Local keeps the stream of a deleted table (as DynamoDB
// does, for 24 hours), and every write then costs more the more streams it holds: over the
// 150 or so tables of one package's run, writes grew several times slower, and a test that
// takes 5 s alone took 37 s at the end of the run. A fresh JVM starts in about a second.
const TablesPerDynamoDBLocal = hub.DefaultTablesPerLocal

// generation is one DynamoDB Local process and the tables handed out on it.
type generation struct {
	client *dynamodb.Client
	stack  *standins.Stack // nil for the stand-ins' own DynamoDB Local, which Main stops
	handed int             // tables made on it
	live   int             // of which not yet deleted
}

var (
	genMu   sync.Mutex
	current *generation
	stops   sync.WaitGroup
)

// tableHome returns the client for the DynamoDB Local the next table goes to, and what to
// call once the table is deleted. Under the run's shared stand-ins the hub says which one;
// otherwise a fresh DynamoDB Local starts when the current one has served its tables. With a
// DynamoDB Local run elsewhere (DYNAMODB_ENDPOINT) there is only that one.
func tableHome(t testing.TB) (*dynamodb.Client, func()) {
	explicit := os.Getenv("DYNAMODB_ENDPOINT") != ""
	if hubURL != "" && !explicit {
		endpoint, err := hub.Lease(t.Context(), hubURL)
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		return hubClient(endpoint), func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			if err := hub.Release(ctx, hubURL, endpoint); err != nil {
				t.Logf("testenv: %v", err)
			}
		}
	}
	genMu.Lock()
	defer genMu.Unlock()
	if current == nil {
		current = &generation{client: dynamoDBClient}
	}
	if !explicit && current.handed >= TablesPerDynamoDBLocal {
		// Only DynamoDB Local starts: the other stand-ins are named, so Start checks them.
		next, err := standins.Start(context.Background(), standins.Options{CognitoEndpoint: stack.CognitoEndpoint, SESEndpoint: stack.SESEndpoint})
		if err != nil {
			// Keep using the one there is: slower, not wrong.
			t.Logf("testenv: a fresh DynamoDB Local did not start (%v); going on with the old one", err)
		} else {
			old := current
			current = &generation{client: standins.DynamoDBClient(next.DynamoDBEndpoint), stack: next}
			retire(old)
		}
	}
	g := current
	g.handed++
	g.live++
	return g.client, func() { tableGone(g) }
}

var (
	hubMu      sync.Mutex
	hubClients = map[string]*dynamodb.Client{}
)

// hubClient returns a client for the shared DynamoDB Local at endpoint, one per endpoint.
func hubClient(endpoint string) *dynamodb.Client {
	hubMu.Lock()
	defer hubMu.Unlock()
	c := hubClients[endpoint]
	if c == nil {
		c = standins.DynamoDBClient(endpoint)
		hubClients[endpoint] = c
	}
	return c
}

// tableGone is called when a table of g has been deleted.
func tableGone(g *generation) {
	genMu.Lock()
	defer genMu.Unlock()
	g.live--
	if g != current {
		retire(g)
	}
}

// retire stops g once its last table is gone (never the stand-ins' own DynamoDB Local,
// which Main stops with the rest). Called with genMu held.
func retire(g *generation) {
	if g.live > 0 || g.stack == nil {
		return
	}
	s := g.stack
	g.stack = nil
	stops.Go(func() {
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: stopping a DynamoDB Local:", err)
		}
	})
}

// stopGenerations stops every DynamoDB Local started after the first, for Main.
func stopGenerations() {
	genMu.Lock()
	if current != nil && current.stack != nil {
		s := current.stack
		current.stack = nil
		stops.Go(func() { _ = s.Stop() })
	}
	genMu.Unlock()
	stops.Wait()
}
