package localmode_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/standins"
	"github.com/vendorportal/orgs/internal/testenv"
)

// runOutbox does the outbox work written so far with provisioning's handlers, as the stream
// processor will once it is on main (branch outbox): it reads the pending messages with a
// test-only Scan of this test's table and deletes each once its handler succeeded. It returns
// how many messages of each kind it ran.
func (s *stack) runOutbox(only ...outbox.Kind) map[outbox.Kind]int {
	s.t.Helper()
	ctx := s.t.Context()
	env := s.api.Env
	db, table := env.DynamoDB(), env.Config.TableName
	handlers := env.ProvisioningHandlers()
	ran := map[outbox.Kind]int{}
	for round := 0; round < 5; round++ {
		var items []map[string]ddbtypes.AttributeValue
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table),
			FilterExpression:          aws.String("SK = :sk"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":sk": &ddbtypes.AttributeValueMemberS{Value: "OUTBOX"}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				s.t.Fatal(err)
			}
			items = append(items, page.Items...)
		}
		if len(items) == 0 || round > 0 && len(only) > 0 {
			// Work of the kinds asked for makes no more of them: one round does it.
			return ran
		}
		for _, it := range items {
			var m struct {
				PK    string `dynamodbav:"PK"`
				ID    string `dynamodbav:"id"`
				OrgID string `dynamodbav:"orgId"`
				Kind  string `dynamodbav:"kind"`
				Body  []byte `dynamodbav:"body"`
			}
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				s.t.Fatal(err)
			}
			if len(only) > 0 && !slices.Contains(only, outbox.Kind(m.Kind)) {
				continue
			}
			h, ok := handlers[outbox.Kind(m.Kind)]
			if !ok {
				s.t.Fatalf("no handler for outbox kind %q", m.Kind)
			}
			if err := h(ctx, outbox.Message{ID: m.ID, OrgID: m.OrgID, Kind: outbox.Kind(m.Kind), Body: m.Body}); err != nil {
				s.t.Fatalf("outbox %s %s: %v", m.Kind, m.ID, err)
			}
			ran[outbox.Kind(m.Kind)]++
			if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{
				"PK": &ddbtypes.AttributeValueMemberS{Value: m.PK}, "SK": &ddbtypes.AttributeValueMemberS{Value: "OUTBOX"}}}); err != nil {
				s.t.Fatal(err)
			}
		}
	}
	return ran
}

// mailTo returns the text of the only mail to address in the SES stand-in.
func mailTo(t *testing.T, address string) string {
	t.Helper()
	mails := testenv.Mails(t, testenv.SES(t), address)
	if len(mails) != 1 {
		t.Fatalf("%d mails to %s, want 1", len(mails), address)
	}
	return mails[0].Text
}

var (
	codeRE     = regexp.MustCompile(`The code: (\d{8})`)
	passwordRE = regexp.MustCompile(`temporary password:\s+(\S+)`)
)

// uniqueDomain is a domain no other test or run uses.
func uniqueDomain() string { return "e2e-" + strings.ToLower(rand.Text()[:10]) + ".com" }

// firstSignIn signs in with a temporary password, answers NEW_PASSWORD_REQUIRED with a new
// password and returns the ID token.
func (s *stack) firstSignIn(email, temporary, newPassword string) string {
	s.t.Helper()
	ctx := s.t.Context()
	out, err := s.cognito.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(s.api.Pool.ClientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": temporary},
	})
	if err != nil {
		s.t.Fatalf("sign in with the mailed password: %v", err)
	}
	if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		s.t.Fatalf("challenge %q, want NEW_PASSWORD_REQUIRED", out.ChallengeName)
	}
	res, err := s.cognito.RespondToAuthChallenge(ctx, &cognitoidentityprovider.RespondToAuthChallengeInput{
		ClientId: aws.String(s.api.Pool.ClientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": email, "NEW_PASSWORD": newPassword},
	})
	if err != nil || res.AuthenticationResult == nil {
		s.t.Fatalf("set a new password: %v", err)
	}
	return aws.ToString(res.AuthenticationResult.IdToken)
}

func TestProvisioningEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	alice := s.newUser()
	admin := alice.tokens.IDToken
	o := decode[org](t, s.do("POST", "/v1/orgs", admin, `{"name":"Provisioned Co"}`), 201)
	orgID := o.str("id")
	base := "/v1/orgs/" + orgID

	// A domain, verified by a code mailed to an address at it.
	domain := uniqueDomain()
	decode[map[string]any](t, s.do("POST", base+"/domains", admin, `{"domain":"`+strings.ToUpper(domain)+`"}`), 201)
	decode[map[string]any](t, s.do("POST", base+"/domains/"+domain+"/verify", admin, `{"email":"it@`+domain+`"}`), 202)
	if ran := s.runOutbox(); ran["email.sealed"] != 1 {
		t.Fatalf("outbox ran %v", ran)
	}
	code := codeRE.FindStringSubmatch(mailTo(t, "it@"+domain))[1]
	apiError(t, s.do("POST", base+"/domains/"+domain+"/verify", admin, `{"code":"12345678x"}`), 400, "invalid_request")
	d := decode[map[string]any](t, s.do("POST", base+"/domains/"+domain+"/verify", admin, `{"code":"`+code+`"}`), 200)
	if d["status"] != "verified" || d["primary"] != true {
		t.Fatalf("domain %v", d)
	}

	// A user created with a generated password signs in with it, sets a new one and sees the org.
	bobEmail := "bob@" + domain
	m := decode[map[string]any](t, s.do("POST", base+"/members", admin, `{"username":"bob","name":"Bob","role":"user"}`), 201)
	if m["email"] != bobEmail || m["source"] != "created" {
		t.Fatalf("member %v", m)
	}
	s.runOutbox()
	temp := passwordRE.FindStringSubmatch(mailTo(t, bobEmail))[1]
	bobToken := s.firstSignIn(bobEmail, temp, "Bobs-0wn-Password")
	me := decode[meJSON](t, s.do("GET", "/v1/me", bobToken, ""), 200)
	if len(me.Orgs) != 2 || me.Orgs[1].ID != orgID || me.Orgs[1].Role != "user" {
		t.Fatalf("bob's orgs %+v", me.Orgs)
	}

	// His password reset: a new temporary one arrives, and the one he chose stops working.
	bobID := m["userId"].(string)
	if r := s.do("POST", base+"/members/"+bobID+"/password-reset", admin, ""); r.status != 204 {
		t.Fatalf("reset: %s", r)
	}
	s.runOutbox()
	mails := testenv.Mails(t, testenv.SES(t), bobEmail)
	if len(mails) != 2 {
		t.Fatalf("%d mails to bob", len(mails))
	}
	reset := passwordRE.FindStringSubmatch(mails[1].Text)[1]
	if _, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, bobEmail, "Bobs-0wn-Password"); err == nil {
		t.Error("the old password still works after the reset")
	}
	s.firstSignIn(bobEmail, reset, "Bobs-Newer-Passw0rd")

	// A member who manages their own sign-in can't be reset.
	carol := s.newUser()
	decode[meJSON](t, s.do("GET", "/v1/me", carol.tokens.IDToken, ""), 200)
	inv := decode[map[string]any](t, s.do("POST", base+"/invites", admin, `{"email":"`+carol.email+`","role":"user"}`), 201)
	_ = inv
	token := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(mailTo(t, carol.email))[1]
	decode[map[string]any](t, s.do("POST", "/v1/invites/accept", carol.tokens.IDToken, `{"token":"`+token+`"}`), 200)
	apiError(t, s.do("POST", base+"/members/"+carol.sub+"/password-reset", admin, ""), 403, "forbidden")

	// Legacy support users, migrated by an operator, in their tab.
	op := s.newUser()
	if err := standins.AddToGroup(t.Context(), s.cognito, s.api.Pool, op.email, "operators"); err != nil {
		t.Fatal(err)
	}
	opTokens, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, op.email, password)
	if err != nil {
		t.Fatal(err)
	}
	legacyEmail := testenv.UniqueAddress(t)
	res := decode[struct {
		Results []struct{ Status string }
	}](t, s.do("POST", "/v1/operator/orgs/"+orgID+"/legacy-support-users", opTokens.IDToken,
		`{"users":[{"email":"`+legacyEmail+`","name":"Old Timer"},{"email":"`+carol.email+`","name":"Carol"}]}`), 200)
	if len(res.Results) != 2 || res.Results[0].Status != "created" || res.Results[1].Status != "error" {
		t.Fatalf("legacy results %+v", res.Results)
	}
	s.runOutbox()
	passwordRE.FindStringSubmatch(mailTo(t, legacyEmail))
	tab := decode[struct {
		Items []map[string]any
	}](t, s.do("GET", base+"/legacy-support-users", admin, ""), 200)
	if len(tab.Items) != 1 || tab.Items[0]["email"] != legacyEmail || tab.Items[0]["role"] != "support_only" || tab.Items[0]["source"] != "legacy" {
		t.Fatalf("legacy tab %+v", tab.Items)
	}

	// A new user at the verified domain sees the org as suggested and joins it.
	decode[org](t, s.do("PATCH", base, admin, `{"autoJoin":"join"}`), 200)
	danEmail := "dan@" + domain
	if _, err := standins.CreateUser(t.Context(), s.cognito, s.api.Pool, danEmail, password, nil); err != nil {
		t.Fatal(err)
	}
	dan, err := standins.SignIn(t.Context(), s.cognito, s.api.Pool, danEmail, password)
	if err != nil {
		t.Fatal(err)
	}
	sugg := decode[struct {
		Items []map[string]any
	}](t, s.do("GET", "/v1/me/suggested-orgs", dan.IDToken, ""), 200)
	if len(sugg.Items) != 1 || sugg.Items[0]["id"] != orgID || sugg.Items[0]["autoJoin"] != "join" {
		t.Fatalf("suggested %+v", sugg.Items)
	}
	joined := decode[map[string]any](t, s.do("POST", base+"/join", dan.IDToken, ""), 200)
	if joined["source"] != "domain" || joined["role"] != "user" {
		t.Fatalf("joined %v", joined)
	}
	me = decode[meJSON](t, s.do("GET", "/v1/me", dan.IDToken, ""), 200)
	if len(me.Orgs) != 2 {
		t.Fatalf("dan's orgs %+v", me.Orgs)
	}
	apiError(t, s.do("POST", base+"/join", carol.tokens.IDToken, ""), 404, "not_found")
}

func TestImportEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	alice := s.newUser()
	admin := alice.tokens.IDToken
	o := decode[org](t, s.do("POST", "/v1/orgs", admin, `{"name":"Imported Co"}`), 201)
	base := "/v1/orgs/" + o.str("id")
	decode[map[string]any](t, s.do("PUT", base+"/user-properties", admin, `{"items":[{"key":"team","label":"Team","type":"string","required":true}]}`), 200)

	tmpl := s.do("GET", base+"/members/import/template?format=csv", admin, "")
	if tmpl.status != 200 || !strings.HasPrefix(tmpl.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(tmpl.body), "email,name,role,phone,notifyEmail,team") {
		t.Fatalf("template %s %v", tmpl, tmpl.header)
	}
	x := s.do("GET", base+"/members/import/template?format=xlsx", admin, "")
	if x.status != 200 || x.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || len(x.body) < 100 || string(x.body[:2]) != "PK" {
		t.Fatalf("xlsx template %d %v", x.status, x.header)
	}

	a1, a2 := testenv.UniqueAddress(t), testenv.UniqueAddress(t)
	csv := "\xef\xbb\xbfemail,name,team\r\n" + a1 + ",One,ops\r\n" + a2 + ",Two,dev\r\n" + strings.ToUpper(a1) + ",Again,ops\r\n"
	upload := func(query string) response {
		return s.do("POST", base+"/members/import"+query, admin, csv, "Content-Type", "text/csv")
	}
	dry := decode[struct {
		Results []struct {
			Row    int
			Status string
		}
	}](t, upload("?dryRun=true"), 200)
	if len(dry.Results) != 3 || dry.Results[0].Status != "valid" || dry.Results[1].Status != "valid" || dry.Results[2].Status != "error" || dry.Results[2].Row != 4 {
		t.Fatalf("dry run %+v", dry.Results)
	}
	if ran := s.runOutbox(); len(ran) != 0 {
		t.Fatalf("a dry run wrote outbox work %v", ran)
	}
	job := decode[struct {
		ID, Status string
		Total      int
	}](t, upload(""), 202)
	if job.Status != "running" || job.Total != 3 {
		t.Fatalf("job %+v", job)
	}
	start := time.Now()
	ran := s.runOutbox()
	t.Logf("outbox work %v in %s", ran, time.Since(start))
	got := decode[struct {
		Status                 string
		Total, Created, Failed int
	}](t, s.do("GET", base+"/members/imports/"+job.ID, admin, ""), 200)
	if got.Status != "done" || got.Created != 2 || got.Failed != 1 {
		t.Fatalf("job %+v", got)
	}
	for _, addr := range []string{a1, a2} {
		temp := passwordRE.FindStringSubmatch(mailTo(t, addr))[1]
		tok := s.firstSignIn(addr, temp, "Imp0rted-Password")
		me := decode[meJSON](t, s.do("GET", "/v1/me", tok, ""), 200)
		if len(me.Orgs) != 2 {
			t.Errorf("%s's orgs %+v", addr, me.Orgs)
		}
	}
	var evs struct {
		Items []struct{ Action string }
	}
	_ = json.Unmarshal(s.do("GET", base+"/events?limit=50", admin, "").body, &evs)
	count := map[string]int{}
	for _, e := range evs.Items {
		count[e.Action]++
	}
	if count["import.started"] != 1 || count["import.finished"] != 1 || count["member.imported"] != 2 {
		t.Errorf("events %v", count)
	}
}

func TestImportOfAThousandRowsFinishesInUnderAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	s := startStack(t)
	alice := s.newUser()
	admin := alice.tokens.IDToken
	o := decode[org](t, s.do("POST", "/v1/orgs", admin, `{"name":"Big Import"}`), 201)
	base := "/v1/orgs/" + o.str("id")
	var b strings.Builder
	b.WriteString("email,name\r\n")
	prefix := strings.ToLower(rand.Text()[:8])
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "%s-%04d@example.com,User %d\r\n", prefix, i, i)
	}
	start := time.Now()
	job := decode[struct{ ID string }](t, s.do("POST", base+"/members/import", admin, b.String(), "Content-Type", "text/csv"), 202)
	committed := time.Since(start)
	// The chunks only: their 1,000 credential emails stay in the outbox, out of the shared
	// SES stand-in (the emails' handler is exercised above).
	s.runOutbox("import.chunk")
	elapsed := time.Since(start)
	got := decode[struct {
		Status          string
		Created, Failed int
	}](t, s.do("GET", base+"/members/imports/"+job.ID, admin, ""), 200)
	if got.Status != "done" || got.Created != 1000 {
		t.Fatalf("job %+v", got)
	}
	t.Logf("1,000 rows in local mode (cognito-local, DynamoDB Local): commit %s, all rows created in %s", committed, elapsed)
	if elapsed > time.Minute {
		t.Errorf("1,000 rows took %s; the target is under a minute", elapsed)
	}
}
