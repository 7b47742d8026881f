// Package testenv gives tests real stand-ins for DynamoDB, Cognito and SES (see package
// standins) instead of mocks. The stand-ins start once per test binary, on the first test
// that asks for one, on free ports and in memory; each test then gets its own table and its
// own user pool, so tests can run in parallel without seeing each other's data.
//
// A package using it calls Main from its TestMain, which stops the stand-ins after the tests:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Stand-ins already running elsewhere are used instead when DYNAMODB_ENDPOINT,
// COGNITO_ENDPOINT or SES_ENDPOINT is set (each on its own), which saves the start-up time
// when running tests over and over. Under make test, the test binaries share the stand-ins
// infra/teststandins runs for the whole run (package hub, found through TESTENV_STANDINS):
// one cognito-local, one SES stand-in, and DynamoDB Locals handed out table by table; a
// package whose tests serve the pool's Lambda triggers calls ServeTriggers and runs its own
// cognito-local. STANDINS_LOG=1 copies the stand-ins' output to stderr.
//
// If the stand-ins cannot start, the tests asking for them fail; with -short they are
// skipped instead.
package testenv

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/dynamo/tableadmin"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv/hub"
)

// cleanupTimeout bounds the deletion of a test's table or pool, which runs after the test's
// own context is cancelled.
const cleanupTimeout = 10 * time.Second

var (
	startOnce sync.Once
	stack     *standins.Stack // nil until started, or if starting failed
	startErr  error
	startTook time.Duration

	dynamoDBClient *dynamodb.Client
	cognitoClient  *cognitoidentityprovider.Client

	// hubURL is the run's shared stand-ins (hub.Env), "" if none.
	hubURL = os.Getenv(hub.Env)
	// ownCognito is set by ServeTriggers.
	ownCognito bool
	// binaryStarted bounds the mail Mails reads from a shared SES stand-in.
	binaryStarted = time.Now()
)

// ServeTriggers says that this package's tests serve the user pool's Lambda triggers
// (LambdaEndpoint). The cognito-local shared by the run's test binaries invokes them nowhere,
// so the package gets a cognito-local of its own. Call it from TestMain, before Main.
func ServeTriggers() { ownCognito = true }

// Main runs the tests, stops the stand-ins if any test started them, and exits with the
// tests' exit code. Call it from TestMain.
//
// after, if any, run once the tests passed, before the stand-ins stop: a failure it returns
// fails the run (a check over what the whole run saw).
func Main(m *testing.M, after ...func() error) {
	code := m.Run()
	for _, f := range after {
		if code != 0 {
			break
		}
		if err := f(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	stopGenerations()
	if stack != nil {
		if testing.Verbose() {
			fmt.Printf("testenv: the stand-ins took %s to start\n", startTook.Round(time.Millisecond))
		}
		if err := stack.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: stopping the stand-ins:", err)
		}
	}
	os.Exit(code)
}

// started returns the running stand-ins, starting them on the first call. It fails the test
// if they cannot start, or skips it under -short.
func started(t testing.TB) *standins.Stack {
	t.Helper()
	startOnce.Do(func() {
		opts := standins.Options{
			DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
			CognitoEndpoint:  os.Getenv("COGNITO_ENDPOINT"),
			SESEndpoint:      os.Getenv("SES_ENDPOINT"),
		}
		if os.Getenv("STANDINS_LOG") != "" {
			opts.Log = os.Stderr
		}
		began := time.Now()
		if hubURL != "" {
			shared, err := hub.Get(context.Background(), hubURL)
			if err != nil {
				startErr = err
				return
			}
			// The variables, if set, still win.
			opts.DynamoDBEndpoint = cmp.Or(opts.DynamoDBEndpoint, shared.DynamoDB)
			if !ownCognito {
				opts.CognitoEndpoint = cmp.Or(opts.CognitoEndpoint, shared.Cognito)
			}
			opts.SESEndpoint = cmp.Or(opts.SESEndpoint, shared.SES)
		}
		// Not the test's context: the stand-ins serve every test in the binary.
		stack, startErr = standins.Start(context.Background(), opts)
		startTook = time.Since(began)
		if startErr == nil {
			dynamoDBClient = standins.DynamoDBClient(stack.DynamoDBEndpoint)
			cognitoClient = standins.CognitoClient(stack.CognitoEndpoint)
		}
	})
	if startErr != nil {
		if testing.Short() {
			t.Skipf("testenv: the AWS stand-ins did not start (skipped under -short): %v", startErr)
		}
		t.Fatalf("testenv: the AWS stand-ins did not start: %v%s", startErr, endpointsFromEnv())
	}
	return stack
}

// endpointsFromEnv names the endpoint variables that are set, as a hint for an error message.
func endpointsFromEnv() string {
	var set []string
	for _, name := range []string{"DYNAMODB_ENDPOINT", "COGNITO_ENDPOINT", "SES_ENDPOINT"} {
		if v := os.Getenv(name); v != "" {
			set = append(set, name+"="+v)
		}
	}
	if len(set) == 0 {
		return ""
	}
	return "\n(the environment names stand-ins running elsewhere: " + strings.Join(set, " ") + ")"
}

// DynamoDB returns a client for the DynamoDB stand-in and the name of a table made for this
// test alone, as tableadmin.EnsureTable makes it. The table is deleted when the test ends. Use
// the client returned, and its endpoint, for this table: after TablesPerDynamoDBLocal tables
// the next ones are made on a fresh DynamoDB Local.
func DynamoDB(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	started(t)
	table := uniqueName(t, 255)
	client, gone := tableHome(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
			t.Logf("testenv: delete table %s: %v", table, err)
		}
		gone()
	})
	if err := tableadmin.EnsureTable(t.Context(), client, table); err != nil {
		t.Fatalf("testenv: create table %s: %v", table, err)
	}
	return client, table
}

// Cognito returns a client for the Cognito stand-in, a user pool made for this test alone by
// standins.EnsureUserPool, and the stand-in's endpoint, from which the tokens' issuer
// derives (app.IssuerFor). The pool is deleted when the test ends.
func Cognito(t testing.TB) (*cognitoidentityprovider.Client, standins.Pool, string) {
	t.Helper()
	s := started(t)
	name := uniqueName(t, 128)
	pool, err := standins.EnsureUserPool(t.Context(), cognitoClient, name)
	if err != nil {
		t.Fatalf("testenv: create user pool %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := cognitoClient.DeleteUserPool(ctx, &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: aws.String(pool.ID)}); err != nil {
			t.Logf("testenv: delete user pool %s: %v", pool.ID, err)
		}
	})
	return cognitoClient, pool, s.CognitoEndpoint
}

// SES returns the endpoint of the SES stand-in. Its store of sent mail is shared by every
// test in the binary, and with SES_ENDPOINT by every run, so send to an address from
// UniqueAddress and read the store with Mails.
func SES(t testing.TB) string {
	t.Helper()
	return started(t).SESEndpoint
}

// Mails returns the mail the SES stand-in at endpoint has captured for the address to, in
// To, Cc or Bcc, oldest first, since this test binary started.
func Mails(t testing.TB, endpoint, to string) []standins.Mail {
	t.Helper()
	// The stand-in keeps every mail of the run: only the recent ones come over the wire.
	all, err := standins.SESMessagesSince(t.Context(), endpoint, binaryStarted.Add(-time.Second))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var mails []standins.Mail
	for _, m := range all {
		if slices.ContainsFunc(slices.Concat(m.To, m.Cc, m.Bcc), func(address string) bool {
			return strings.EqualFold(address, to)
		}) {
			mails = append(mails, m)
		}
	}
	return mails
}

// UniqueAddress returns an email address no other test or run uses, at example.com.
func UniqueAddress(t testing.TB) string {
	return strings.ToLower(uniqueName(t, 64)) + "@example.com"
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// uniqueName returns a name for a test's table or pool: the test's name, made safe for both
// DynamoDB and Cognito, and a random suffix, so that neither another test nor an earlier run
// against the same long-lived stand-ins has it.
func uniqueName(t testing.TB, maxLen int) string {
	suffix := "-" + strings.ToLower(rand.Text()[:10])
	base := strings.Trim(notNameChar.ReplaceAllString(t.Name(), "-"), "-")
	if limit := maxLen - len(suffix); len(base) > limit {
		base = base[:limit]
	}
	return base + suffix
}

// LambdaEndpoint is where the cognito-local of the stand-ins invokes the user pool's Lambda
// triggers; "" when COGNITO_ENDPOINT names one run elsewhere. localmode serves it. Under the
// run's shared stand-ins, the package must have called ServeTriggers.
func LambdaEndpoint(t testing.TB) string {
	t.Helper()
	s := started(t)
	if hubURL != "" && !ownCognito && os.Getenv("COGNITO_ENDPOINT") == "" {
		t.Fatal("testenv: LambdaEndpoint needs the package's own cognito-local: call testenv.ServeTriggers from TestMain")
	}
	return s.LambdaEndpoint
}
