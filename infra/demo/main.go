// Command demo fills the API that `make run` serves with demo data (internal/demo) and prints
// who can sign in with which password: `make demo`. It finds the API as the other local tools
// do (PORT, else the URL `make run` wrote into .local/api-url, else port 8080).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/vendorportal/orgs/internal/demo"
	"github.com/vendorportal/orgs/internal/localmode"
)

func main() {
	api := flag.String("api", localmode.DefaultAPI(), "the local API")
	ses := flag.String("ses", envOr("SES_ENDPOINT", "http://127.0.0.1:8005"), "the SES stand-in")
	flag.Parse()
	users, org, err := demo.Seed(context.Background(), demo.Options{API: *api, SES: *ses, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Printf("\nDemo data is in. Sign in (any of these, password %s):\n", demo.Password)
	tokens := false
	for _, u := range users {
		fmt.Printf("  %-28s %-14s %s\n", u.Email, u.Role, u.PersonalToken)
		tokens = tokens || u.PersonalToken != ""
	}
	if tokens {
		fmt.Printf("The vpu_ tokens are the members' personal tool tokens (shown only now; 30 days): curl -u <email>:<token> %s/v1/entitlements\n", *api)
	}
	apiFlag := ""
	if *api != localmode.DefaultAPI() {
		apiFlag = " -api " + *api
	}
	fmt.Printf("The org is %q (handle %s, id %s). A token for curl: go run ./infra/localuser%s -email %s -password '%s'\n",
		demo.OrgName, org.Handle, org.ID, apiFlag, users[1].Email, demo.Password)
	fmt.Printf("Browse the API at %s/docs.\n", *api)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
