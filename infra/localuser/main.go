// Command localuser creates a user in the local mode's cognito-local (or reuses it), signs
// it in and prints its ID token, for trying the API with curl:
//
//	export TOKEN=$(go run ./infra/localuser -email ada@example.com)
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/me
//
// It reads the pool from the running API's GET /v1/config.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
)

func main() {
	api := flag.String("api", "http://127.0.0.1:8080", "base URL of the local API")
	email := flag.String("email", "", "the user's email address (required)")
	password := flag.String("password", "Passw0rd!local", "the user's password")
	name := flag.String("name", "", "the user's name")
	operator := flag.Bool("operator", false, "also put the user in the operators group")
	token := flag.String("token", "id", "which token to print: id or access")
	flag.Parse()
	if *email == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tokens, err := run(ctx, *api, *email, *password, *name, *operator)
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

func run(ctx context.Context, api, email, password, name string, operator bool) (standins.Tokens, error) {
	cfg, err := localmode.FetchSignInConfig(ctx, api)
	if err != nil {
		return standins.Tokens{}, err
	}
	client := standins.CognitoClient(cfg.CognitoEndpoint)
	pool := standins.Pool{ID: cfg.UserPoolID, ClientID: cfg.UserPoolClientID}
	if _, err := standins.SignIn(ctx, client, pool, email, password); err != nil {
		attrs := map[string]string{}
		if name != "" {
			attrs["name"] = name
		}
		if _, err := standins.CreateUser(ctx, client, pool, email, password, attrs); err != nil {
			return standins.Tokens{}, err
		}
	}
	if operator {
		// Also for a user made earlier: the group shows in the tokens signed in after it.
		if err := standins.AddToGroup(ctx, client, pool, email, standins.OperatorsGroup); err != nil {
			return standins.Tokens{}, err
		}
	}
	return standins.SignIn(ctx, client, pool, email, password)
}
