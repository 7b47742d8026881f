// Command iamusage reports the grants no test exercised: given the file the tests wrote with
// IAM_USAGE_FILE set (iam/enforce records each action a function was allowed to make), it
// prints, function by function, the actions its role has that no call used. A grant listed
// here is either reached by no test (write one) or not needed (take it out of the row).
//
//	make iam-usage
//
// runs every test with IAM_USAGE_FILE=.local/iam-usage.txt and then this command on the file;
// by hand, for some packages only (what the other packages' tests use is then reported unused):
//
//	IAM_USAGE_FILE=$PWD/iam-usage.txt go test -count=1 ./internal/httpapi/ ./internal/localmode/
//	go run ./infra/iamusage iam-usage.txt
//
// The reads of the functions' keys and secrets are left out: they happen at the cold start,
// which the tests' shared harness does once for all routes, and each is checked instead by
// the functions' TestKeyReadsNeedTheirGrant (a key taken out of a grant is refused).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/routes"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: iamusage FILE (the IAM_USAGE_FILE the tests wrote)")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	used := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		used[strings.TrimSpace(sc.Text())] = true
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	report(os.Stdout, routes.Grants(), used)
}

// report writes, for each of grants, the actions of its statements that used (lines
// "<function> <action>") lacks, and a total; it returns how many it listed.
func report(w io.Writer, grants []iam.Grant, used map[string]bool) int {
	total, unused := 0, 0
	for _, g := range grants {
		var missing []string
		for _, s := range iam.Statements(g, resources(g)) {
			if s.Sid == iam.SidKeys || s.Sid == iam.SidSecrets {
				continue
			}
			for _, a := range s.Actions {
				total++
				if !used[g.Function+" "+a] {
					missing = append(missing, a)
				}
			}
		}
		if len(missing) > 0 {
			unused += len(missing)
			slices.Sort(missing)
			fmt.Fprintf(w, "%s: %s\n", g.Function, strings.Join(missing, " "))
		}
	}
	fmt.Fprintf(w, "%d of %d granted actions unused by the tests\n", unused, total)
	return unused
}

// resources names every resource a grant may be given something on (the names matter not:
// only the actions are reported).
func resources(g iam.Grant) iam.Resources {
	res := iam.Resources{Table: "table", Stream: "stream", MailIdentity: "identity", UserPool: "pool", WebhookQueue: "queue",
		Keys: map[string]string{}, Secrets: map[string]string{}}
	for _, k := range g.Keys {
		res.Keys[k] = k
	}
	for _, name := range g.Secrets {
		res.Secrets[name] = name
	}
	return res
}
