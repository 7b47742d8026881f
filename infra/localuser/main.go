// Command localuser signs a user in to the local mode's cognito-local and prints their ID
// token, for trying the API with curl:
//
//	export TOKEN=$(go run ./infra/localuser -email ada@example.com)
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/me
//
// A user who is not in the pool yet is created, with -password (default Passw0rd!local) and
// -name. A user an admin created (POST /v1/orgs/{orgId}/members) has a temporary password from
// the mail: give it with -password, or let -password-from-mail read it from the SES stand-in,
// and choose a new one with -new-password (asked for when the terminal allows). -accept-invite
// then accepts the newest invite mailed to the user, as the invite link's page would.
//
// It finds the API as the other local tools do: PORT, else the URL `make run` wrote into
// .local/api-url, else http://127.0.0.1:8080 (-api overrides); the SES stand-in by SES_ENDPOINT,
// else http://127.0.0.1:8005.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/localmode"
)

func main() {
	var o options
	flag.StringVar(&o.api, "api", localmode.DefaultAPI(), "base URL of the local API")
	flag.StringVar(&o.ses, "ses", envOr("SES_ENDPOINT", "http://127.0.0.1:8005"), "the SES stand-in, for -password-from-mail and -accept-invite")
	flag.StringVar(&o.email, "email", "", "the user's email address (required)")
	flag.StringVar(&o.password, "password", defaultPassword, "the user's password, or the temporary one from the mail of a user an admin created")
	flag.BoolVar(&o.passwordFromMail, "password-from-mail", false, "read the temporary password from the newest mail to the user in the SES stand-in")
	flag.StringVar(&o.newPassword, "new-password", "", "the password to choose when the user has a temporary one")
	flag.StringVar(&o.name, "name", "", "the user's name: set in the pool and in the API's profile")
	flag.BoolVar(&o.operator, "operator", false, "also put the user in the operators group")
	flag.BoolVar(&o.acceptInvite, "accept-invite", false, "accept the newest invite mailed to the user")
	token := flag.String("token", "id", "which token to print: id or access")
	flag.Parse()
	if o.email == "" || (*token != "id" && *token != "access") {
		flag.Usage()
		os.Exit(2)
	}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		o.prompt = func(question string) (string, error) { return ask(os.Stdin, os.Stderr, question) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tokens, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "localuser:", err)
		os.Exit(1)
	}
	if *token == "access" {
		fmt.Println(tokens.AccessToken)
	} else {
		fmt.Println(tokens.IDToken)
	}
}

// ask writes question to out and reads one line from in.
func ask(in io.Reader, out io.Writer, question string) (string, error) {
	fmt.Fprint(out, question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
