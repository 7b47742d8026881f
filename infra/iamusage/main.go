// Command iamusage reports the grants no test exercised: given the file the tests wrote with
// IAM_USAGE_FILE set (iam/enforce records each action a function was allowed to make), it
// prints, function by function, the actions its role has that no call used. A grant listed
// here is either reached by no test (write one) or not needed (take it out of the row).
//
//	IAM_USAGE_FILE=$PWD/iam-usage.txt go test ./internal/httpapi/ ./internal/localmode/ ...
//	go run ./infra/iamusage iam-usage.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/iam"
	"github.com/vendorportal/orgs/internal/triggers"
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
	total, unused := 0, 0
	for _, g := range triggers.Grants() {
		var missing []string
		for _, s := range iam.Statements(g, iam.Resources{Table: "t", Stream: "s", MailIdentity: "m", UserPool: "p", AppSecret: "a",
			Secrets: secretsOf(g)}) {
			if s.Sid == iam.SidAppSecret || s.Sid == iam.SidSecrets {
				continue // read by the cold start, from Secrets Manager in AWS only
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
			fmt.Printf("%s: %s\n", g.Function, strings.Join(missing, " "))
		}
	}
	fmt.Printf("%d of %d granted actions unused by the tests\n", unused, total)
}

func secretsOf(g iam.Grant) map[string]string {
	m := map[string]string{}
	for _, name := range g.Secrets {
		m[name] = name
	}
	return m
}
