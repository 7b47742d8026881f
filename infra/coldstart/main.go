// Command coldstart measures every Lambda function of functions/ against the project's two
// benchmark targets: the zipped package at most 1.3× a hello-world aws-lambda-go
// function's, and the init (cold start) at most 1.5× the hello world's.
//
// It builds each function and the hello world of infra/coldstart/hello with the flags of
// `make build` (CGO_ENABLED=0, -tags lambda.norpc -trimpath -ldflags='-s -w'), twice:
//
//   - for linux/arm64, the deployment target, to measure the package: the bootstrap zipped
//     with archive/zip (Deflate), as a Lambda deployment package is;
//   - for the host, to measure init: each binary is started against a stand-in of the Lambda
//     Runtime API on 127.0.0.1, with the environment Lambda and the CDK stack give a function
//     (region, dummy credentials, TABLE_NAME, APP_URL, the ARNs of their
//     keys and the GitHub OIDC key secret's ARN for its functions, with a Secrets Manager
//     stand-in on 127.0.0.1 answering GetSecretValue, ...),
//     and init is the time
//     from exec to the function's first GET .../invocation/next. The functions' first /next is
//     never answered: the process is killed there, so no handler runs and nothing calls AWS.
//     As a guard, HTTP(S)_PROXY point at a closed local port, so a call made during init
//     fails at once instead of leaving the machine. The hello world alone is invoked once,
//     with an API Gateway v2 HTTP event, to check the stand-in end to end.
//
// Init runs are interleaved: every round starts each binary once, the hello world included,
// in a fresh random order, so that noise from a shared machine falls on all of them alike.
// The measuring phase stops after -n rounds (default 50) or when -budget is spent, after at
// least 15 rounds; slow builds (a cold build cache) shrink that budget so that the whole run
// stays near -total (default 110 s).
//
// It prints a markdown table to stdout, rows over a target marked, and then the packages that
// the biggest function links beyond the hello world (symbol sizes of an unstripped arm64
// build, read with debug/elf like `go tool nm -size`, grouped by package). Progress goes to
// stderr. Run it from the module: `make measure` or `go run ./infra/coldstart`.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/triggers"
)

// The targets, as ratios to the hello world.
const (
	sizeTarget = 1.3
	initTarget = 1.5
)

const (
	helloName = "hello-world"
	helloPkg  = "./infra/coldstart/hello"
	sizeArch  = "arm64"
)

// function is one measured binary: a function of functions/, or the hello world.
type function struct {
	name string
	pkg  string // package pattern relative to the module root, e.g. ./functions/get-me
	ref  bool   // the hello world
	// keys: the server's keys the function reads (its route's or trigger's Keys), so it gets
	// their ARNs, as in the stack, and reads each from a Secrets Manager stand-in at init, a
	// loopback round trip each that the measurement includes.
	keys []string
	// readsSecrets: the route's other secrets (httpapi.Route.ReadsSecrets), read at init from
	// the same stand-in, whose ARNs the stack hands the function (the GitHub OIDC signing
	// keys: without them, the function would generate a key, which it never does in AWS).
	readsSecrets []string
	// mailDomains: the table of public mail domains (the repository's file), for the
	// functions of Route.MailDomains, to which the stack gives it in a layer.
	mailDomains string

	hostBin  string
	sizeBin  string
	buildErr string

	rawBytes int64 // arm64 bootstrap
	zipBytes int64 // arm64 bootstrap, zipped

	initErr string
	samples []time.Duration // wall time, exec to first /next
	cpu     []time.Duration // the process's user+sys time in the same runs
}

func main() {
	n := flag.Int("n", 50, "init runs per function (rounds)")
	budget := flag.Duration("budget", 60*time.Second, "time cap of the init-measuring phase; rounds stop once it is spent (after at least 15)")
	total := flag.Duration("total", 110*time.Second, "the whole run's aim: slow builds shorten the init phase's budget to fit (down to its 15 rounds)")
	pkgs := flag.Int("pkgs", 15, "rows of the per-package size breakdown of the biggest function; 0 skips it")
	only := flag.String("only", "", "measure only the functions whose name matches this regexp (the hello world always)")
	seed := flag.Uint64("seed", 0, "seed of the run order; 0 picks one")
	timeout := flag.Duration("timeout", 10*time.Second, "longest wait for one process's first /next")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *n, *budget, *total, *pkgs, *only, *seed, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, budget, total time.Duration, pkgRows int, only string, seed uint64, timeout time.Duration) error {
	started := time.Now()
	if runtime.GOOS != "linux" {
		return fmt.Errorf("init is measured by running linux binaries on the host; this host is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if n < 1 {
		return fmt.Errorf("-n must be at least 1")
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	fns, err := listFunctions(root, only)
	if err != nil {
		return err
	}
	all := append([]*function{{name: helloName, pkg: helloPkg, ref: true}}, fns...)
	hello := all[0]

	tmp, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Builds.
	hostArch := runtime.GOARCH
	for _, arch := range uniq(hostArch, sizeArch) {
		t := time.Now()
		logf("building %d binaries for linux/%s ...", len(all), arch)
		dir := filepath.Join(tmp, arch)
		buildAll(ctx, root, arch, dir, all)
		for _, f := range all {
			if f.buildErr != "" {
				continue
			}
			bin := filepath.Join(dir, filepath.Base(f.pkg), "bootstrap")
			if arch == hostArch {
				f.hostBin = bin
			}
			if arch == sizeArch {
				f.sizeBin = bin
			}
		}
		logf("  built in %s", time.Since(t).Round(100*time.Millisecond))
	}
	if hello.buildErr != "" {
		return fmt.Errorf("the hello world does not build: %s", hello.buildErr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Sizes.
	for _, f := range all {
		if f.buildErr != "" {
			continue
		}
		if f.rawBytes, f.zipBytes, err = zipSize(f.sizeBin); err != nil {
			return err
		}
	}
	hostHello := struct{ raw, zip int64 }{}
	if hostHello.raw, hostHello.zip, err = zipSize(hello.hostBin); err != nil {
		return err
	}

	// Init.
	api, err := startRuntimeAPI()
	if err != nil {
		return err
	}
	defer api.close()
	if err := api.sanityCheck(ctx, hello, timeout); err != nil {
		return fmt.Errorf("the Runtime API stand-in fails with the hello world: %w", err)
	}
	logf("stand-in checked: the hello world answered an API Gateway v2 event through it")
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	// Keep ~15 s for the package breakdown and the report.
	if left := total - time.Since(started) - 15*time.Second; left < budget {
		budget = max(left, 0)
		logf("init budget cut to %s to fit -total %s", budget.Round(time.Second), total)
	}
	loadBefore := loadAverage()
	rounds, err := measureInit(ctx, api, all, n, budget, seed, timeout)
	if err != nil {
		return err
	}
	if len(hello.samples) == 0 {
		return fmt.Errorf("no init sample of the hello world: %s", hello.initErr)
	}

	// Report.
	var b strings.Builder
	report(&b, all, reportInfo{
		hostArch: hostArch, rounds: rounds, wanted: n, seed: seed,
		hostHelloRaw: hostHello.raw, hostHelloZip: hostHello.zip,
		load: loadBefore + " before, " + loadAverage() + " after",
	})
	if pkgRows > 0 {
		if err := packageBreakdown(ctx, &b, root, tmp, all, pkgRows); err != nil {
			fmt.Fprintf(&b, "\n(package breakdown failed: %v)\n", err)
		}
	}
	fmt.Fprintf(&b, "\nMeasured in %s.\n", time.Since(started).Round(time.Second))
	fmt.Print(b.String())
	return nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// listFunctions lists functions/*/ as the Makefile does: every directory is a function.
func listFunctions(root, only string) ([]*function, error) {
	var re *regexp.Regexp
	if only != "" {
		var err error
		if re, err = regexp.Compile(only); err != nil {
			return nil, fmt.Errorf("-only: %w", err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	// The stack's settings of each function: which of the server's keys it reads, and which
	// other secrets.
	byName := map[string]*httpapi.Route{}
	for _, r := range routes.All() {
		byName[r.Name] = r
	}
	fnByName := map[string]*triggers.Function{}
	for _, f := range triggers.Functions {
		fnByName[f.Name] = f
	}
	var fns []*function
	for _, e := range entries {
		if !e.IsDir() || (re != nil && !re.MatchString(e.Name())) {
			continue
		}
		f := &function{name: e.Name(), pkg: "./functions/" + e.Name()}
		if r := byName[e.Name()]; r != nil {
			f.keys, f.readsSecrets = r.Keys, r.ReadsSecrets
			if r.MailDomains {
				f.mailDomains = filepath.Join(root, maildomains.RepoPath)
			}
		} else if t := fnByName[e.Name()]; t != nil {
			f.keys = t.Keys
		} else {
			return nil, fmt.Errorf("functions/%s is neither a route (routes.All) nor a trigger (triggers.Functions): run go generate ./functions", e.Name())
		}
		fns = append(fns, f)
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("no function under functions/ to measure")
	}
	return fns, nil
}

// measureInit runs rounds of init measurements, each binary once per round in random order.
func measureInit(ctx context.Context, api *runtimeAPI, all []*function, n int, budget time.Duration, seed uint64, timeout time.Duration) (int, error) {
	var live []*function
	for _, f := range all {
		if f.buildErr == "" {
			live = append(live, f)
		}
	}
	// One untimed run each: warms the page cache and weeds out functions that fail to init.
	logf("warm-up run of %d binaries ...", len(live))
	ok := live[:0]
	for _, f := range live {
		if _, _, err := api.initOnce(ctx, f, timeout); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			f.initErr = err.Error()
			logf("  %s: %v", f.name, err)
			continue
		}
		ok = append(ok, f)
	}
	live = ok

	const minRounds = 15
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	deadline := time.Now().Add(budget)
	rounds := 0
	for rounds < n {
		if rounds >= minRounds && time.Now().After(deadline) {
			logf("budget of %s spent after %d rounds", budget, rounds)
			break
		}
		for _, i := range rng.Perm(len(live)) {
			f := live[i]
			if f.initErr != "" {
				continue
			}
			d, cpu, err := api.initOnce(ctx, f, timeout)
			if err != nil {
				if ctx.Err() != nil {
					return rounds, ctx.Err()
				}
				f.initErr = err.Error()
				logf("  %s: %v", f.name, err)
				continue
			}
			f.samples = append(f.samples, d)
			f.cpu = append(f.cpu, cpu)
		}
		rounds++
		if rounds%5 == 0 || rounds == n {
			logf("init: %d/%d rounds", rounds, n)
		}
	}
	return rounds, nil
}

// stats returns the median and the p90 (nearest rank) of samples; zeros if there are none.
func stats(samples []time.Duration) (median, p90 time.Duration) {
	if len(samples) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := len(s)
	if k%2 == 1 {
		median = s[k/2]
	} else {
		median = (s[k/2-1] + s[k/2]) / 2
	}
	rank := (9*k + 9) / 10 // ceil(0.9 k)
	p90 = s[rank-1]
	return median, p90
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// loadAverage returns the 1-minute load average, from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func goCmd() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
