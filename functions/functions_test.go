package functions_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vendorportal/orgs/internal/apidoc"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/cognito"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/iam/enforce"
	"github.com/vendorportal/orgs/internal/mainsrc"
	"github.com/vendorportal/orgs/internal/orgauthz"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/scimauth"
	"github.com/vendorportal/orgs/internal/secrets"
	"github.com/vendorportal/orgs/internal/ses"
	"github.com/vendorportal/orgs/internal/sheets"
	"github.com/vendorportal/orgs/internal/sqs"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/toolauth"
	"github.com/vendorportal/orgs/internal/triggers"
)

// TestMainsMatchRouteTable fails when a route or a trigger function has no generated main, a main is stale, or a
// generated main is left over from a route that is gone: run `go generate ./functions`.
func TestMainsMatchRouteTable(t *testing.T) {
	names := map[string]bool{}
	for _, r := range routes.All() {
		if names[r.Name] {
			t.Errorf("two routes are named %q", r.Name)
		}
		names[r.Name] = true
		got, err := os.ReadFile(filepath.Join(r.Name, "main.go"))
		if err != nil {
			t.Errorf("route %s has no main: %v (run go generate ./functions)", r.Name, err)
			continue
		}
		if string(got) != routes.MainSource(r) {
			t.Errorf("functions/%s/main.go is stale (run go generate ./functions)", r.Name)
		}
	}
	for _, f := range triggers.Functions {
		if names[f.Name] {
			t.Errorf("two functions are named %q", f.Name)
		}
		names[f.Name] = true
		got, err := os.ReadFile(filepath.Join(f.Name, "main.go"))
		if err != nil || string(got) != triggers.MainSource(f) {
			t.Errorf("functions/%s/main.go is missing or stale (run go generate ./functions)", f.Name)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !names[e.Name()] {
			t.Errorf("functions/%s has no route in the table", e.Name())
		}
	}
}

type openAPI struct {
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

type operation struct {
	OperationID string                 `yaml:"operationId"`
	Security    *[]map[string][]string `yaml:"security"`
}

// TestOpenAPIMatchesRouteTable fails when openapi.yaml and the route table disagree on the set
// of routes, their function names, or which routes are public.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	raw, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec openAPI
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]operation{}
	for path, ops := range spec.Paths {
		for method, node := range ops {
			if method == "parameters" {
				continue
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if method == apidoc.AnyMethodKey {
				method = httpapi.AnyMethod
			} else if strings.HasPrefix(method, "x-") {
				continue
			}
			inSpec[strings.ToUpper(method)+" "+path] = op
		}
	}
	var inTable []string
	for _, r := range routes.All() {
		key := r.Method + " " + r.Path
		inTable = append(inTable, key)
		op, ok := inSpec[key]
		if !ok {
			t.Errorf("route %s (%s) is missing from openapi.yaml", key, r.Name)
			continue
		}
		if op.OperationID != r.Name {
			t.Errorf("%s: operationId %q, want the function name %q", key, op.OperationID, r.Name)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (r.Auth == httpapi.Public) {
			t.Errorf("%s: openapi says public=%v, the route table says auth %q", key, public, r.Auth)
		}
	}
	for key := range inSpec {
		if !slices.Contains(inTable, key) {
			t.Errorf("openapi.yaml has %s, which is not in the route table", key)
		}
	}
}

// function is a route or a trigger function, as far as linking goes.
type function struct {
	name    string
	actions []string
	build   func(env *app.Env)
	// installs are the packages whose Install its main calls.
	installs []string
	// keys are the server's keys it is given (Route.Keys, triggers.Function.Keys).
	keys []string
	// grant is what its role is given (Route.Grant, triggers.Function.Grant).
	grant iam.Grant
	// mailDomains: it is given the table of public mail domains (Route.MailDomains).
	mailDomains bool
}

func allFunctions() []function {
	var fns []function
	for _, r := range routes.All() {
		fns = append(fns, function{r.Name, r.IAMActions(), func(env *app.Env) { httpapi.Bind(r, env) }, mainsrc.RouteInstalls(r), r.Keys, r.Grant(), r.MailDomains})
	}
	for _, f := range triggers.Functions {
		fns = append(fns, function{f.Name, f.IAMActions(), func(env *app.Env) { f.Build(env) }, mainsrc.InstallsFor(f.IAMActions()), f.Keys, f.Grant(), false})
	}
	return fns
}

func hasAction(actions []string, prefix string) bool {
	return slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, prefix) })
}

// TestFunctionsLinkOnlyTheClientsTheyUse fails when a function whose Actions allow no SES
// (or no Cognito) call imports the SES (or the Cognito) SDK, directly or not: every package
// imported is initialized at each cold start and linked, whatever the handler calls. It also
// keeps the template engines out of every function (internal/mail fills its own templates).
// The imports are those of `make build`: linux/arm64, -tags lambda.norpc.
func TestFunctionsLinkOnlyTheClientsTheyUse(t *testing.T) {
	deps := functionDeps(t)
	forbidden := []struct {
		action string // an action whose absence forbids the packages
		pkgs   []string
	}{
		{"ses:", []string{"github.com/aws/aws-sdk-go-v2/service/ses", "github.com/vendorportal/orgs/internal/ses"}},
		{"cognito-idp:", []string{"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider", "github.com/vendorportal/orgs/internal/cognito"}},
		{"sqs:", []string{"github.com/aws/aws-sdk-go-v2/service/sqs", "github.com/vendorportal/orgs/internal/sqs"}},
		{"", []string{"github.com/aws/aws-sdk-go-v2/service/secretsmanager"}}, // read with a signed request (package secrets)
		{"", []string{"text/template", "html/template"}},
	}
	// The XLSX reader only where the route reads or writes spreadsheets, and excelize (with
	// its character sets), which the tests use to make workbooks as Excel would, nowhere.
	spreadsheet := []string{"github.com/thedatashed/xlsxreader", "github.com/vendorportal/orgs/internal/sheets"}
	for _, fn := range allFunctions() {
		got, ok := deps[fn.name]
		if !ok {
			t.Errorf("go list knows no package functions/%s", fn.name)
			continue
		}
		if slices.Contains(got, "github.com/xuri/excelize/v2") {
			t.Errorf("%s imports excelize", fn.name)
		}
		if !slices.Contains(fn.installs, "sheets") {
			for _, p := range spreadsheet {
				if slices.Contains(got, p) {
					t.Errorf("%s imports %s, though its route reads and writes no spreadsheet", fn.name, p)
				}
			}
		}
		for _, f := range forbidden {
			if f.action != "" && hasAction(fn.actions, f.action) {
				continue
			}
			for _, p := range f.pkgs {
				i := slices.IndexFunc(got, func(dep string) bool { return dep == p || strings.HasPrefix(dep, p+"/") })
				switch {
				case i < 0:
				case f.action == "":
					t.Errorf("%s imports %s", fn.name, got[i])
				default:
					t.Errorf("%s imports %s, though its Actions have no %s action", fn.name, got[i], f.action)
				}
			}
		}
	}
}

// functionDeps returns the packages each function's main depends on, by function name.
func functionDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	deps := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 {
			deps[fields[0][strings.LastIndexByte(fields[0], '/')+1:]] = fields[1:]
		}
	}
	return deps
}

// TestFunctionsBuildWithTheClientsTheirActionsInstall builds every function's handler as its
// generated main does: with SES only if its Actions have an ses: action, and the Cognito user
// pool only with a cognito-idp: one. A handler that asks for a client its main does not
// install panics at the cold start; this finds it first.
func TestFunctionsBuildWithTheClientsTheirActionsInstall(t *testing.T) {
	installs := map[string]func(*app.Env){"ses": ses.Install, "cognito": cognito.Install, "sheets": sheets.Install,
		"secrets": secrets.Install, "toolauth": toolauth.Install, "orgauthz": orgauthz.Install, "scimauth": scimauth.Install, "sqs": sqs.Install}
	// As in AWS, the server's keys are in Secrets Manager (a stand-in here), and a function
	// holds the ARNs of its own keys only: asking for another panics.
	values := map[string]string{}
	for _, k := range app.Keys() {
		values["arn:aws:secretsmanager:us-east-1:123456789012:secret:"+k] = "s3cret-" + k
	}
	sm, err := standins.NewSecretsManager(values)
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	for _, fn := range allFunctions() {
		if _, err := buildAsDeployed(fn, fn.grant, sm.URL, installs); err != nil {
			t.Errorf("%s, with %v installed: %v", fn.name, fn.installs, err)
		}
	}
}

// buildAsDeployed builds fn's handler as its cold start in AWS would, with the installs of
// its main, the ARNs of its own keys in a Secrets Manager at endpoint, and the IAM check of
// role's statements (package iam/enforce) on its AWS calls; it returns what failed.
func buildAsDeployed(fn function, role iam.Grant, endpoint string, installs map[string]func(*app.Env)) (*app.Env, error) {
	arns := map[string]string{}
	for _, k := range fn.keys {
		arns[k] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + k
	}
	cfg := app.Config{Region: "us-east-1", TableName: "orgs", AppURL: "http://localhost:3000", AppID: fn.name,
		KeyARNs: arns, Keys: append([]string{}, fn.keys...), SecretsManagerEndpoint: endpoint}
	if fn.mailDomains {
		// Where the stack's layer puts it; here the repository's file.
		cfg.MailDomainsFile = filepath.Join("..", maildomains.RepoPath)
	}
	enforce.Local(cfg, "", role).Install(&cfg, fn.name)
	env := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, p := range fn.installs {
		installs[p](env)
	}
	return env, catch(func() { fn.build(env) })
}

// TestKeyReadsNeedTheirGrant takes each key of each function out of its role's grant in turn
// (its ARN still set): the function's read of that key, at its cold start for most, fails
// with AccessDeniedException on the key's secret, as it would in AWS.
func TestKeyReadsNeedTheirGrant(t *testing.T) {
	installs := map[string]func(*app.Env){"ses": ses.Install, "cognito": cognito.Install, "sheets": sheets.Install,
		"secrets": secrets.Install, "toolauth": toolauth.Install, "orgauthz": orgauthz.Install, "scimauth": scimauth.Install, "sqs": sqs.Install}
	values := map[string]string{}
	for _, k := range app.Keys() {
		values["arn:aws:secretsmanager:us-east-1:123456789012:secret:"+k] = "s3cret-" + k
	}
	sm, err := standins.NewSecretsManager(values)
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	refused := 0
	for _, fn := range allFunctions() {
		for _, k := range fn.keys {
			role := fn.grant
			role.Keys = slices.DeleteFunc(slices.Clone(role.Keys), func(g string) bool { return g == k })
			env, err := buildAsDeployed(fn, role, sm.URL, installs)
			if err == nil {
				// A key read after the cold start (the stream processor's and the scheduled
				// job's sealing key, at their first sealed email) is refused at that read.
				err = catch(func() { env.Key(k) })
			}
			want := "not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:" + k
			if err == nil || !strings.Contains(err.Error(), enforce.ErrorCode) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, its role without the key %s: %v; want AccessDeniedException on its secret", fn.name, k, err)
				continue
			}
			refused++
		}
	}
	if refused == 0 {
		t.Error("no function has a key")
	}
}

func catch(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	f()
	return nil
}
