package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestInvokeRunsAsTheUserOfTheToken(t *testing.T) {
	db, table := testenv.DynamoDB(t)
	cognito, _, cognitoEndpoint := testenv.Cognito(t)
	ses := testenv.SES(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api, err := localmode.New(ctx, localmode.Options{
		DynamoDBEndpoint: aws.ToString(db.Options().BaseEndpoint), CognitoEndpoint: cognitoEndpoint, SESEndpoint: ses,
		TableName: table, PoolName: strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com"),
		Config: app.Config{Region: "us-east-1", AppURL: "http://localhost:3000", MailFrom: "no-reply@example.com", Secret: app.RandomSecret()},
		Log:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cognito.DeleteUserPool(context.Background(), &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: aws.String(api.Pool.ID)})
	})
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	// invoke reads the table and the stand-ins from the environment, as under make run.
	t.Setenv("DYNAMODB_ENDPOINT", aws.ToString(db.Options().BaseEndpoint))
	t.Setenv("SES_ENDPOINT", ses)
	t.Setenv("TABLE_NAME", table)

	email := testenv.UniqueAddress(t)
	sub, err := standins.CreateUser(t.Context(), cognito, api.Pool, email, "Passw0rd!invoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := standins.SignIn(t.Context(), cognito, api.Pool, email, "Passw0rd!invoke")
	if err != nil {
		t.Fatal(err)
	}
	event := filepath.Join("..", "..", "events", "get-me.json")

	var out bytes.Buffer
	if err := run("get-me", event, srv.URL, tokens.IDToken, &out); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	var me struct {
		User struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &me); err != nil || resp.StatusCode != 200 {
		t.Fatalf("get-me answered %d %s", resp.StatusCode, resp.Body)
	}
	if me.User.ID != sub || me.User.Email != email {
		t.Errorf("get-me ran as %+v, want the token's user %s (%s), not the sample event's", me.User, sub, email)
	}

	if err := run("get-me", event, srv.URL, "", &out); err == nil || !strings.Contains(err.Error(), "TOKEN") {
		t.Errorf("without a token: %v, want the advice to export TOKEN", err)
	}
}
