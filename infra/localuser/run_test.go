package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
	"github.com/vendorportal/orgs/internal/triggers"
)

// The tests serve the pool's Lambda triggers, so the package runs its own cognito-local.
func TestMain(m *testing.M) {
	testenv.ServeTriggers()
	testenv.Main(m)
}

// local is the local API over HTTP, with its pool's post-authentication trigger, so that
// each sign-in logs user.signed_in as it does under `make run`.
type local struct {
	t       *testing.T
	api     *localmode.API
	url     string
	ses     string
	cognito *cognitoidentityprovider.Client
}

func startLocal(t *testing.T) *local {
	t.Helper()
	db, table := testenv.DynamoDB(t)
	cognito, _, cognitoEndpoint := testenv.Cognito(t)
	ses := testenv.SES(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api, err := localmode.New(ctx, localmode.Options{
		DynamoDBEndpoint: aws.ToString(db.Options().BaseEndpoint), CognitoEndpoint: cognitoEndpoint, SESEndpoint: ses,
		TableName: table, PoolName: strings.TrimSuffix(testenv.UniqueAddress(t), "@example.com"),
		Config:         app.Config{Region: "us-east-1", AppURL: "http://localhost:3000", MailFrom: "no-reply@example.com", Secret: app.RandomSecret()},
		Log:            slog.New(slog.DiscardHandler),
		LambdaEndpoint: testenv.LambdaEndpoint(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cognito.DeleteUserPool(context.Background(), &cognitoidentityprovider.DeleteUserPoolInput{UserPoolId: aws.String(api.Pool.ID)})
	})
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	return &local{t: t, api: api, url: srv.URL, ses: ses, cognito: cognito}
}

func (l *local) opts(email string) options {
	return options{api: l.url, ses: l.ses, email: email, password: defaultPassword}
}

// run is localuser's run, failing the test on an error.
func (l *local) run(o options) standins.Tokens {
	l.t.Helper()
	tokens, err := run(l.t.Context(), o, io.Discard)
	if err != nil {
		l.t.Fatalf("localuser -email %s: %v", o.email, err)
	}
	return tokens
}

// call is one API request as token, decoding the answer into out; it fails the test on an
// answer other than 2xx.
func (l *local) call(token, method, path string, body, out any) {
	l.t.Helper()
	if err := call(l.t.Context(), l.url, token, method, path, body, out); err != nil {
		l.t.Fatal(err)
	}
}

// signIns counts the user.signed_in events of an org.
func (l *local) signIns(token, orgID string) int {
	l.t.Helper()
	var page struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	l.call(token, "GET", "/v1/orgs/"+orgID+"/events?limit=200", nil, &page)
	n := 0
	for _, e := range page.Items {
		if e.Action == "user.signed_in" {
			n++
		}
	}
	return n
}

func TestLocaluserSignsInOnceAndTheNameTakesEffect(t *testing.T) {
	l := startLocal(t)
	email := testenv.UniqueAddress(t)
	o := l.opts(email)
	o.name = "Ada Lovelace"
	token := l.run(o).IDToken
	var me struct {
		User struct {
			Name *string `json:"name"`
		} `json:"user"`
	}
	l.call(token, "GET", "/v1/me", nil, &me)
	if me.User.Name == nil || *me.User.Name != "Ada Lovelace" {
		t.Fatalf("profile name %v, want Ada Lovelace", me.User.Name)
	}
	var org struct {
		ID string `json:"id"`
	}
	l.call(token, "POST", "/v1/orgs", map[string]any{"name": "Signins " + email}, &org)

	before := l.signIns(token, org.ID)
	o.name = "Ada King"
	token = l.run(o).IDToken
	if got := l.signIns(token, org.ID); got != before+1 {
		t.Errorf("one localuser run logged %d user.signed_in, want 1", got-before)
	}
	// A new name for a user who has an account already reaches the profile too.
	l.call(token, "GET", "/v1/me", nil, &me)
	if me.User.Name == nil || *me.User.Name != "Ada King" {
		t.Errorf("profile name %v after -name 'Ada King', want it", me.User.Name)
	}
}

func TestLocaluserSaysAWrongPasswordIsWrong(t *testing.T) {
	l := startLocal(t)
	email := testenv.UniqueAddress(t)
	l.run(l.opts(email))
	o := l.opts(email)
	o.password = "not-" + defaultPassword
	_, err := run(t.Context(), o, io.Discard)
	if err == nil {
		t.Fatal("a wrong password signed in")
	}
	if strings.Contains(err.Error(), "UsernameExists") || !strings.Contains(err.Error(), "in the pool already") {
		t.Errorf("error %q: want one saying the user exists and the password is wrong", err)
	}
}

func TestLocaluserAnswersNewPasswordRequiredAndAcceptsInvites(t *testing.T) {
	l := startLocal(t)
	admin := l.run(l.opts(testenv.UniqueAddress(t))).IDToken
	var org struct {
		ID string `json:"id"`
	}
	l.call(admin, "POST", "/v1/orgs", map[string]any{"name": "Provisioned " + testenv.UniqueAddress(t)}, &org)
	base := "/v1/orgs/" + org.ID

	// A user an admin creates has a temporary password, mailed by the stream processor.
	carol := testenv.UniqueAddress(t)
	l.call(admin, "POST", base+"/members", map[string]any{"email": carol, "role": "user", "password": map[string]any{"mode": "generate"}}, nil)
	l.waitMail(carol, temporaryPassword)

	o := l.opts(carol)
	o.passwordFromMail = true
	if _, err := run(t.Context(), o, io.Discard); err == nil || !strings.Contains(err.Error(), "-new-password") {
		t.Fatalf("first sign-in without a new password: %v, want the advice to give -new-password", err)
	}
	o.prompt = func(string) (string, error) { return "Carol-passw0rd!", nil }
	token := l.run(o).IDToken
	var me struct {
		Orgs []struct {
			ID string `json:"id"`
		} `json:"orgs"`
	}
	l.call(token, "GET", "/v1/me", nil, &me)
	if !hasOrg(me.Orgs, org.ID) {
		t.Fatalf("carol's orgs %+v lack %s", me.Orgs, org.ID)
	}
	o = l.opts(carol)
	o.password = "Carol-passw0rd!"
	l.run(o) // the chosen password is hers now

	// An invitee accepts the newest invite mailed to them.
	dan := testenv.UniqueAddress(t)
	l.call(admin, "POST", base+"/invites", map[string]any{"email": dan, "role": "user"}, nil)
	l.waitMail(dan, inviteLink)
	o = l.opts(dan)
	o.acceptInvite = true
	token = l.run(o).IDToken
	l.call(token, "GET", "/v1/me", nil, &me)
	if !hasOrg(me.Orgs, org.ID) {
		t.Fatalf("dan's orgs %+v lack %s after -accept-invite", me.Orgs, org.ID)
	}
}

func hasOrg(orgs []struct {
	ID string `json:"id"`
}, id string) bool {
	for _, o := range orgs {
		if o.ID == id {
			return true
		}
	}
	return false
}

// waitMail waits until the SES stand-in has a mail to address whose text matches pattern. The
// stream processor sends it; when the feed started after the write, the scheduled job's
// re-drive sends it, as it does every JOB_INTERVAL under make run.
func (l *local) waitMail(address string, pattern *regexp.Regexp) {
	l.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(l.t.Context(), time.Second)
		_, err := newestMatch(ctx, l.ses, address, pattern)
		cancel()
		if err == nil {
			return
		}
		if err := triggers.RunScheduled(l.t.Context(), l.api.JobEnv, triggers.Tasks(l.api.JobEnv)); err != nil {
			l.t.Logf("scheduled job: %v", err)
		}
	}
}
