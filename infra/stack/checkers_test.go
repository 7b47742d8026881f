package stack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/vendorportal/orgs/infra/stack"
)

// checkNag fails on every finding of cdk-nag's AwsSolutions rules (stack.AddChecks) that the
// stack neither fixed nor suppressed with a reason: an error or warning annotation anywhere
// in the synthesis, nested stacks included.
func checkNag(t *testing.T, syn synthesized) {
	t.Helper()
	for _, f := range nagFindings(t, syn.stack) {
		t.Errorf("cdk-nag: %s", f)
	}
}

// nagFindings are the AwsSolutions findings of a synthesized stack, as "path: message".
func nagFindings(t *testing.T, s awscdk.Stack) []string {
	t.Helper()
	ann := assertions.Annotations_FromStack(s)
	rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	// The messages are read through their JSON: cxapi's Go type of them is deprecated.
	raw, err := json.Marshal(append(*ann.FindError(jsii.String("*"), rule), *ann.FindWarning(jsii.String("*"), rule)...))
	if err != nil {
		t.Fatal(err)
	}
	var messages []struct {
		ID    string `json:"id"`
		Entry struct {
			Data any `json:"data"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &messages); err != nil {
		t.Fatal(err)
	}
	var findings []string
	for _, m := range messages {
		findings = append(findings, fmt.Sprintf("%s: %v", m.ID, m.Entry.Data))
	}
	slices.Sort(findings)
	return findings
}

// TestNagReportsWhatNoOneExplained: the checker sees a finding (a queue without TLS
// enforcement or a dead-letter queue) until it is suppressed with a reason, so a clean
// synthesis means no finding, not a blind checker.
func TestNagReportsWhatNoOneExplained(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack.AddChecks(app)
	s := awscdk.NewStack(app, jsii.String("Probe"), nil)
	awssqs.NewQueue(s, jsii.String("Plain"), nil)
	stack.NewFailureQueue(s, "Explained", "a failure queue")
	assertions.Template_FromStack(s, nil)
	findings := nagFindings(t, s)
	var plain, failure []string
	for _, f := range findings {
		switch {
		case strings.HasPrefix(f, "/Probe/Plain/"):
			plain = append(plain, f)
		case strings.HasPrefix(f, "/Probe/Explained/"):
			failure = append(failure, f)
		}
	}
	if len(plain) == 0 {
		t.Errorf("no finding on a queue without TLS enforcement or a dead-letter queue: %v", findings)
	}
	if len(failure) != 0 {
		t.Errorf("stack.NewFailureQueue's queue has findings: %v", failure)
	}
}

// cfnLintIgnored are the cfn-lint rules the templates break on purpose, each with its reason.
var cfnLintIgnored = map[string]string{
	// CDK makes each function wait for its role both by reference (Role: GetAtt) and by an
	// explicit DependsOn (so that a role's policies exist before the function runs): the
	// second is redundant, and harmless.
	"W3005": "a function's DependsOn its role, which CDK adds beside the reference",
}

// checkCfnLint runs cfn-lint (1.51.0 comes with the machine image's Python) over every template
// of the synthesis, root and nested, and fails on any finding. Where cfn-lint is absent it
// says so and skips. A set of templates that passed once is remembered by its hash (with
// cfn-lint's version) in the user's cache directory, so an unchanged stack is not linted again.
func checkCfnLint(t *testing.T, syn synthesized) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Log("cfn-lint is not installed (pip install cfn-lint==1.51.0): the templates are not linted")
		return
	}
	files, err := filepath.Glob(filepath.Join(syn.outdir, "*.template.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates in %s: %v", syn.outdir, err)
	}
	slices.Sort(files)
	version, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("cfn-lint --version: %v", err)
	}
	h := sha256.New()
	h.Write(version)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	for rule, reason := range cfnLintIgnored {
		fmt.Fprintf(h, "ignore %s %s\n", rule, reason)
	}
	key := hex.EncodeToString(h.Sum(nil))
	cache := ""
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "orgs-template-checks", "cfn-lint-"+key)
		if _, err := os.Stat(cache); err == nil {
			t.Logf("cfn-lint: these %d templates passed before (%s)", len(files), cache)
			return
		}
	}
	args := []string{"--format", "parseable"}
	for _, rule := range slices.Sorted(func(yield func(string) bool) {
		for r := range cfnLintIgnored {
			if !yield(r) {
				return
			}
		}
	}) {
		args = append(args, "--ignore-checks", rule)
	}
	args = append(args, "--")
	args = append(args, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint found problems in the templates (%v):\n%s", err, strings.TrimSpace(string(out)))
		return
	}
	t.Logf("cfn-lint: %d templates pass", len(files))
	if cache != "" {
		if err := os.MkdirAll(filepath.Dir(cache), 0o755); err == nil {
			_ = os.WriteFile(cache, version, 0o644)
		}
	}
}
