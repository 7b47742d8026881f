package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
	"github.com/vendorportal/orgs/internal/seal"
)

// fakeDirectory is an identity provider in memory that keeps the passwords it is given, so
// that tests can look for them where they must not be.
type fakeDirectory struct {
	mu      sync.Mutex
	byEmail map[string]*fakeUser
	byID    map[string]*fakeUser
}

type fakeUser struct {
	id, email, password string
	verified, temporary bool
	signedIn            bool
	createdAt           time.Time
}

func newFakeDirectory() *fakeDirectory {
	return &fakeDirectory{byEmail: map[string]*fakeUser{}, byID: map[string]*fakeUser{}}
}

func (d *fakeDirectory) CreateUser(_ context.Context, email string, verified bool, pw string) (provisioning.DirectoryUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if u, ok := d.byEmail[email]; ok {
		return provisioning.DirectoryUser{ID: u.id, Existing: true, AwaitingFirstSignIn: !u.signedIn, CreatedAt: u.createdAt, EmailVerified: u.verified}, nil
	}
	u := &fakeUser{id: "user-" + strings.ReplaceAll(email, "@", "-at-"), email: email, verified: verified, createdAt: harnessNow, password: pw, temporary: true}
	d.byEmail[email], d.byID[u.id] = u, u
	return provisioning.DirectoryUser{ID: u.id}, nil
}

func (d *fakeDirectory) SetTemporaryPassword(_ context.Context, id, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.byID[id]
	if !ok {
		return fmt.Errorf("no user %s", id)
	}
	u.password, u.temporary = pw, true
	return nil
}

func (d *fakeDirectory) SetEmail(context.Context, string, string) error { return nil }

func (d *fakeDirectory) DeleteUser(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if u, ok := d.byID[id]; ok {
		delete(d.byID, id)
		delete(d.byEmail, u.email)
	}
	return nil
}

func (d *fakeDirectory) LookupUser(_ context.Context, email string) (provisioning.DirectoryUser, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.byEmail[email]
	if !ok {
		return provisioning.DirectoryUser{}, false, nil
	}
	return provisioning.DirectoryUser{ID: u.id, Existing: true, AwaitingFirstSignIn: !u.signedIn, CreatedAt: u.createdAt, EmailVerified: u.verified}, true, nil
}

// signedUp is a user who signed up and signed in on their own.
func (d *fakeDirectory) signedUp(c orgs.Caller) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u := &fakeUser{id: c.ID, email: c.Email, verified: true, signedIn: true, password: "their own"}
	d.byEmail[c.Email], d.byID[c.ID] = u, u
}

func (d *fakeDirectory) user(email string) *fakeUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byEmail[email]
}

// provisioningAPI is an api whose routes create users in a fake directory.
func provisioningAPI(t *testing.T) (*api, *fakeDirectory) {
	a := newAPI(t)
	dir := newFakeDirectory()
	a.env.UseDirectory(dir)
	return a, dir
}

// sealedMails opens the sealed emails the calls since the last reset wrote to the outbox.
func (a *api) sealedMails() []outbox.Email {
	a.t.Helper()
	k := seal.Derive(a.env.Key(app.KeySealing), provisioning.SealPurpose)
	var out []outbox.Email
	for _, w := range a.writes.all() {
		for _, it := range w.items {
			if !strings.HasPrefix(it.pk, "OUTBOX#") || it.put == nil {
				continue
			}
			var m struct {
				ID   string `dynamodbav:"id"`
				Kind string `dynamodbav:"kind"`
				Body []byte `dynamodbav:"body"`
			}
			if err := attributevalue.UnmarshalMap(it.put, &m); err != nil {
				a.t.Fatal(err)
			}
			if m.Kind != string(provisioning.KindSealedEmail) {
				continue
			}
			e, err := provisioning.OpenEmail(k, outbox.Message{ID: m.ID, Kind: outbox.Kind(m.Kind), Body: m.Body})
			if err != nil {
				a.t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// tableDump is every item of the test's table as text (a test-only Scan of a fresh table).
func (a *api) tableDump() string {
	a.t.Helper()
	var b strings.Builder
	p := dynamodb.NewScanPaginator(a.env.DynamoDB(), &dynamodb.ScanInput{TableName: aws.String(a.env.Config.TableName)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			a.t.Fatal(err)
		}
		for _, it := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				a.t.Fatal(err)
			}
			j, _ := json.Marshal(m)
			b.Write(j)
			b.WriteString(fmt.Sprintf("%v\n", m))
		}
	}
	return b.String()
}

// verifiedDomain gives the org a verified domain straight through the service (DNS).
func (a *api) verifiedDomain(admin orgs.Caller, orgID, domain string) {
	a.t.Helper()
	ctx := context.Background()
	svc := a.env.DomainVerification()
	access, err := a.env.Orgs().Authorize(ctx, admin, orgID)
	if err != nil {
		a.t.Fatal(err)
	}
	d, err := svc.AddDomain(ctx, access, domain)
	if err != nil {
		a.t.Fatal(err)
	}
	s := *svc
	s.Resolver = zone{domains.TXTLabel + "." + d.Name: {d.TXTValue}}
	access, _ = a.env.Orgs().Authorize(ctx, admin, orgID)
	if _, err := s.Verify(ctx, access, domain, domains.VerifyInput{}); err != nil {
		a.t.Fatal(err)
	}
}

// zone is a DNS zone of TXT records.
type zone map[string][]string

func (z zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	if r, ok := z[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("no such host %s", name)
}

func TestCreatedUserGetsAGeneratedPasswordByEmailThatIsNowhereElse(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.writes.reset()
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil,
		`{"email":"Bob@Example.com","name":"Bob","role":"user","notifyEmail":"bob.home@example.com"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.calls > 2 {
		t.Errorf("create-member made %d DynamoDB calls; the budget is 2", r.calls)
	}
	m := r.json(t)
	if m["email"] != "bob@example.com" || m["source"] != "created" || m["role"] != "user" {
		t.Errorf("member %v", m)
	}
	u := dir.user("bob@example.com")
	if u == nil || !u.temporary || len(u.password) < 16 {
		t.Fatalf("directory user %+v: want a temporary password of 16 characters or more", u)
	}
	if u.verified {
		t.Error("the address was marked verified though the password went to another address outside a verified domain")
	}
	mails := a.sealedMails()
	if len(mails) != 1 || mails[0].Message.To != "bob.home@example.com" || !strings.Contains(mails[0].Message.Text, u.password) {
		t.Fatalf("sealed mails %+v: want one to the notify address carrying the password", mails)
	}
	if strings.Contains(a.tableDump(), u.password) {
		t.Error("the table holds the password in clear")
	}
	if strings.Contains(a.logs.String(), u.password) || strings.Contains(r.body, u.password) {
		t.Error("the log or the answer holds the password")
	}
	acc, err := a.env.Orgs().Me(context.Background(), orgs.Caller{ID: u.id, Email: "bob@example.com", EmailVerified: true})
	if err != nil || len(acc.Orgs) != 2 {
		t.Fatalf("bob's orgs %+v, %v: want his personal account and Acme", acc.Orgs, err)
	}
}

func TestCreateMemberAfterAHalfDoneAttemptReusesTheDirectoryUser(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	// An earlier attempt made the directory user, then failed before its transaction.
	if _, err := dir.CreateUser(context.Background(), "bob@example.com", false, "Some-Earlier-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	// A minute is not up: the user may be a concurrent request's, so it is not taken over.
	if r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`); r.status != 409 {
		t.Fatalf("a young user taken over: %d %s", r.status, r.body)
	}
	dir.user("bob@example.com").createdAt = harnessNow.Add(-time.Hour)
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.calls > 3 {
		t.Errorf("%d calls; a retry after a fault may read the profile once more (3)", r.calls)
	}
	// The retry of the retry: the account exists now, so it is a conflict, not a second member.
	r = a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.status != 409 {
		t.Fatalf("a second create: %d %s", r.status, r.body)
	}
}

func TestConcurrentCreatesOfOneAddressMakeOneMemberWhosePasswordWorks(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.writes.reset()
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := a.request(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
			statuses[i] = a.call(CreateMember, req).StatusCode
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	mails := a.sealedMails()
	if created != 1 || len(mails) != 1 {
		t.Fatalf("statuses %v, %d mails: want one member, one mail", statuses, len(mails))
	}
	if u := dir.user("bob@example.com"); !strings.Contains(mails[0].Message.Text, u.password) {
		t.Error("the mailed password is not the user's")
	}
}

func TestCreateMemberRefusesAnAddressWithAnAccountOutsideVerifiedDomains(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.account(bob)
	dir.signedUp(bob)
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.status != 409 || !strings.Contains(r.body, "send an invite") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if dir.user(bob.Email).password != "their own" {
		t.Error("the existing user's password was changed")
	}
}

func TestCreateMemberAddsAnExistingAccountInAVerifiedDomainKeepingItsPassword(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.verifiedDomain(ada, orgID, "acme-corp.com")
	carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
	a.account(carol)
	dir.signedUp(carol)
	a.writes.reset()
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"username":"carol","name":"Carol"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.calls > 2 {
		t.Errorf("%d calls", r.calls)
	}
	if dir.user(carol.Email).password != "their own" || len(a.sealedMails()) != 0 {
		t.Error("an existing account's password was changed or mailed")
	}
}

func TestCreateMemberChecksTheInput(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
		`{"items":[{"key":"team","label":"Team","type":"string","required":true},{"key":"seats","label":"Seats","type":"number","required":false}]}`)
	cases := map[string]struct {
		body string
		want int
	}{
		"username without a verified domain":       {`{"username":"bob","properties":{"team":"x"}}`, 400},
		"specify without email outside the domain": {`{"email":"bob@example.com","properties":{"team":"x"},"password":{"mode":"specify","value":"Abcdefgh1234"}}`, 403},
		"a password the policy refuses":            {`{"email":"bob@example.com","properties":{"team":"x"},"password":{"mode":"specify","value":"short","sendEmail":true}}`, 400},
		"a required property missing":              {`{"email":"bob@example.com"}`, 400},
		"a property of the wrong type":             {`{"email":"bob@example.com","properties":{"team":"x","seats":"many"}}`, 400},
		"an unknown property":                      {`{"email":"bob@example.com","properties":{"team":"x","shoe":1}}`, 400},
		"an unknown role":                          {`{"email":"bob@example.com","properties":{"team":"x"},"role":"owner"}`, 400},
		"an unknown field":                         {`{"email":"bob@example.com","properties":{"team":"x"},"admin":true}`, 400},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, c.body)
			if r.status != c.want {
				t.Errorf("%d %s; want %d", r.status, r.body, c.want)
			}
			if strings.Contains(r.body, "Abcdefgh1234") || strings.Contains(r.body, "short\"") {
				t.Error("the error carries the password")
			}
		})
	}
}

func TestCreateMemberNeedsARoleTheCallerMayGrant(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada, vic := person("ada"), person("vic")
	orgID := a.org(ada, "Acme")
	a.member(orgID, vic, roles.ViewerAdmin)
	r := a.do(CreateMember, &vic, map[string]string{"orgId": orgID}, nil, `{"email":"eve@example.com","role":"admin"}`)
	if r.status != 403 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestUserPropertiesValidateMemberPatchAndHideRemovedDefinitions(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.member(orgID, bob, roles.User)
	r := a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
		`{"items":[{"key":"team","label":"Team","type":"string","required":false},{"key":"vip","label":"VIP","type":"boolean","required":false}]}`)
	if r.status != 200 || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	params := map[string]string{"orgId": orgID, "userId": bob.ID}
	if r := a.do(UpdateMember, &ada, params, nil, `{"properties":{"vip":"yes"}}`); r.status != 400 {
		t.Errorf("wrong type: %d %s", r.status, r.body)
	}
	if r := a.do(UpdateMember, &ada, params, nil, `{"properties":{"shoe":42}}`); r.status != 400 {
		t.Errorf("unknown key: %d %s", r.status, r.body)
	}
	if r := a.do(UpdateMember, &ada, params, nil, `{"properties":{"team":"ops","vip":true}}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do(UpdateMember, &ada, params, nil, `{"properties":{"vip":null}}`); r.status != 200 || strings.Contains(r.body, "vip") || !strings.Contains(r.body, `"team":"ops"`) {
		t.Errorf("null clears one, the others stay: %d %s", r.status, r.body)
	}
	a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"vip","label":"VIP","type":"boolean","required":false}]}`)
	list := a.do(ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Contains(list.body, "ops") {
		t.Errorf("a removed definition's values still show: %s", list.body)
	}
	got := a.do(GetUserProperties, &ada, map[string]string{"orgId": orgID}, nil, "")
	if got.status != 200 || !strings.Contains(got.body, `"key":"vip"`) || got.calls != 1 {
		t.Errorf("%d %s (%d calls)", got.status, got.body, got.calls)
	}
	for _, bad := range []string{
		`{"items":[{"key":"Team","label":"T","type":"string","required":false}]}`,
		`{"items":[{"key":"t","label":"T","type":"date","required":false}]}`,
		`{"items":[{"key":"t","label":"T","type":"string","required":false},{"key":"t","label":"T","type":"string","required":false}]}`,
		`{"items":[{"key":"email","label":"E","type":"string","required":false}]}`,
	} {
		if r := a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, bad); r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
}

var codePattern = regexp.MustCompile(`The code: (\d{8})`)

func TestDomainVerifiedByEmailCodeWithFiveTries(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	p := map[string]string{"orgId": orgID}
	if r := a.do(AddDomain, &ada, p, nil, `{"domain":"Acme-Corp.COM"}`); r.status != 201 || !strings.Contains(r.body, `"domain":"acme-corp.com"`) || !strings.Contains(r.body, `"status":"pending"`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, bad := range []string{"com", "localhost", "acme.invalid-tld-x", "a b.com"} {
		if r := a.do(AddDomain, &ada, p, nil, `{"domain":"`+bad+`"}`); r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	dp := map[string]string{"orgId": orgID, "domain": "acme-corp.com"}
	code := func() string {
		a.writes.reset()
		r := a.do(VerifyDomain, &ada, dp, nil, `{"email":"it@acme-corp.com"}`)
		if r.status != 202 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		mails := a.sealedMails()
		if len(mails) != 1 {
			t.Fatalf("mails %v", mails)
		}
		c := codePattern.FindStringSubmatch(mails[0].Message.Text)[1]
		if strings.Contains(a.tableDump(), c) {
			t.Error("the table holds the code")
		}
		return c
	}
	if r := a.do(VerifyDomain, &ada, dp, nil, `{"email":"it@elsewhere.com"}`); r.status != 400 {
		t.Errorf("an address elsewhere: %d %s", r.status, r.body)
	}
	right := code()
	for i := 0; i < 4; i++ {
		if r := a.do(VerifyDomain, &ada, dp, nil, `{"code":"00000000"}`); r.status != 400 {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
		}
	}
	if r := a.do(VerifyDomain, &ada, dp, nil, `{"code":"00000000"}`); r.status != 410 {
		t.Fatalf("fifth wrong code: %d %s", r.status, r.body)
	}
	if r := a.do(VerifyDomain, &ada, dp, nil, `{"code":"`+right+`"}`); r.status != 410 {
		t.Fatalf("the right code after five wrong ones: %d %s", r.status, r.body)
	}
	right = code()
	r := a.do(VerifyDomain, &ada, dp, nil, `{"code":"`+right+`"}`)
	if r.status != 200 || !strings.Contains(r.body, `"status":"verified"`) || !strings.Contains(r.body, `"primary":true`) || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	// A code proves one mailbox, DNS the domain: another org that proves it by DNS takes it
	// (API.md, Domains); ada's goes back to pending and her org's admins are told.
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	a.deliver()
	bob := person("bob")
	other := a.org(bob, "Other")
	a.do(AddDomain, &bob, map[string]string{"orgId": other}, nil, `{"domain":"acme-corp.com"}`)
	access, _ := a.env.Orgs().Authorize(context.Background(), bob, other)
	s := *a.env.DomainVerification()
	s.Resolver = zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); err != nil {
		t.Fatalf("a second org verifying by DNS the domain the first holds by email code: %v", err)
	}
	if r := a.do(ListDomains, &ada, map[string]string{"orgId": orgID}, nil, ""); !strings.Contains(r.body, `"status":"pending"`) || strings.Contains(r.body, `"status":"verified"`) {
		t.Errorf("the first org's domain after the DNS verification elsewhere: %s", r.body)
	}
	if r := a.do(ListDomains, &bob, map[string]string{"orgId": other}, nil, ""); !strings.Contains(r.body, `"status":"verified"`) || !strings.Contains(r.body, `"verifiedBy":"dns"`) {
		t.Errorf("the second org's domain: %s", r.body)
	}
	a.deliver()
	told := false
	for _, m := range rec.Sent {
		told = told || (m.To == ada.Email && strings.Contains(m.Subject+m.Text, "acme-corp.com"))
	}
	if !told {
		t.Errorf("the first org's admin was not told; sent %+v", rec.Sent)
	}
	// DNS against DNS: the holder keeps it.
	cy := person("cy")
	third := a.org(cy, "Third")
	a.do(AddDomain, &cy, map[string]string{"orgId": third}, nil, `{"domain":"acme-corp.com"}`)
	access, _ = a.env.Orgs().Authorize(context.Background(), cy, third)
	s.Resolver = zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a third org verifying by DNS a domain held by DNS: %v; want 409", err)
	}
}

func TestDomainVerifiedByDNSTXTRecord(t *testing.T) {
	a, _ := provisioningAPI(t)
	dns := zone{}
	a.env.UseResolver(dns)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	r := a.do(AddDomain, &ada, map[string]string{"orgId": orgID}, nil, `{"domain":"acme-corp.com"}`)
	var d struct {
		Verification struct {
			DNSRecord struct{ Name, Value string } `json:"dnsRecord"`
		} `json:"verification"`
	}
	_ = json.Unmarshal([]byte(r.body), &d)
	dp := map[string]string{"orgId": orgID, "domain": "acme-corp.com"}
	if r := a.do(VerifyDomain, &ada, dp, nil, `{}`); r.status != 409 || !strings.Contains(r.body, "no TXT record") {
		t.Fatalf("no record: %d %s", r.status, r.body)
	}
	dns[d.Verification.DNSRecord.Name] = []string{"unrelated", d.Verification.DNSRecord.Value}
	if r := a.do(VerifyDomain, &ada, dp, nil, `{}`); r.status != 200 || !strings.Contains(r.body, "verified") || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	if owner, err := a.store.DomainOwner(context.Background(), "acme-corp.com"); err != nil || owner != orgID {
		t.Fatalf("guard %q %v", owner, err)
	}
	if r := a.do(RemoveDomain, &ada, dp, nil, ""); r.status != 204 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := a.store.DomainOwner(context.Background(), "acme-corp.com"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the guard stays after removal: %v", err)
	}
}

func TestSuggestedOrgAndJoinByVerifiedDomain(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.verifiedDomain(ada, orgID, "acme-corp.com")
	dan := orgs.Caller{ID: "user-dan", Email: "dan@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
	if r := a.do(SuggestedOrgs, &dan, nil, nil, ""); r.status != 200 || strings.Contains(r.body, orgID) {
		t.Fatalf("autoJoin off: %d %s", r.status, r.body)
	}
	if r := a.do(JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.status != 404 {
		t.Fatalf("join with autoJoin off: %d %s", r.status, r.body)
	}
	a.do(UpdateOrg, &ada, map[string]string{"orgId": orgID}, nil, `{"autoJoin":"suggest"}`)
	r := a.do(SuggestedOrgs, &dan, nil, nil, "")
	if r.status != 200 || !strings.Contains(r.body, orgID) || !strings.Contains(r.body, `"autoJoin":"suggest"`) || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.do(JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.status != 404 {
		t.Fatalf("join with autoJoin suggest: %d %s", r.status, r.body)
	}
	a.do(UpdateOrg, &ada, map[string]string{"orgId": orgID}, nil, `{"autoJoin":"join"}`)
	eve := person("eve")
	if r := a.do(JoinOrg, &eve, map[string]string{"orgId": orgID}, nil, ""); r.status != 404 {
		t.Fatalf("another domain: %d %s", r.status, r.body)
	}
	r = a.do(JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, "")
	if r.status != 200 || !strings.Contains(r.body, `"source":"domain"`) || !strings.Contains(r.body, `"role":"user"`) || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.do(JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.status != 409 {
		t.Fatalf("joining twice: %d %s", r.status, r.body)
	}
	if r := a.do(SuggestedOrgs, &dan, nil, nil, ""); strings.Contains(r.body, orgID) {
		t.Errorf("a member is still offered the org: %s", r.body)
	}
	me, err := a.env.Orgs().Me(context.Background(), dan)
	if err != nil || len(me.Orgs) != 2 {
		t.Errorf("dan's orgs %+v %v", me.Orgs, err)
	}
}

func TestPasswordResetOnlyForProvisionedMembers(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.member(orgID, bob, roles.User)
	if r := a.do(ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""); r.status != 403 {
		t.Fatalf("an invited member: %d %s", r.status, r.body)
	}
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"carl@example.com"}`)
	carl := dir.user("carl@example.com")
	first := carl.password
	a.writes.reset()
	r = a.do(ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": carl.id}, nil, "")
	if r.status != 204 || r.calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.status, r.body, r.calls)
	}
	if carl.password != first {
		t.Error("the password changed before its email was on its way")
	}
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	a.deliver()
	if carl.password == first || !carl.temporary {
		t.Error("the password did not change to a new temporary one")
	}
	mails := a.sealedMails()
	if len(mails) != 1 || !strings.Contains(mails[0].Message.Text, carl.password) || strings.Contains(a.tableDump(), carl.password) || strings.Contains(a.logs.String(), carl.password) {
		t.Errorf("mails %d; the new password must be mailed sealed and be nowhere else", len(mails))
	}
	withIt := 0
	for _, m := range rec.Sent {
		if m.To == carl.email && strings.Contains(m.Text, carl.password) {
			withIt++
		}
	}
	if withIt != 1 {
		t.Errorf("the stream processor sent %d emails to %s with the password it set; want 1", withIt, carl.email)
	}
}

func TestLegacyUsersMigratedByAnOperatorAppearInTheirTab(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.account(bob)
	dir.signedUp(bob)
	op := person("opal")
	req := a.request(MigrateLegacyUsers, &op, map[string]string{"orgId": orgID}, nil,
		`{"users":[{"email":"old1@example.com","name":"Old One"},{"email":"bob@example.com","name":"Bob"},{"email":"ada@example.com","name":"Ada"}]}`)
	req.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[operators]"
	resp := a.call(MigrateLegacyUsers, req)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	var out struct {
		Results []struct {
			Status string
			Error  *struct{ Code string }
		}
	}
	_ = json.Unmarshal([]byte(resp.Body), &out)
	if len(out.Results) != 3 || out.Results[0].Status != "created" || out.Results[1].Status != "created" || out.Results[2].Error == nil || out.Results[2].Error.Code != "conflict" {
		t.Fatalf("results %s", resp.Body)
	}
	if dir.user("bob@example.com").password != "their own" || dir.user("old1@example.com").password == "" {
		t.Error("passwords: an existing account keeps its own, a new one gets a temporary one")
	}
	r := a.do(ListLegacyUsers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if r.status != 200 || !strings.Contains(r.body, "old1@example.com") || !strings.Contains(r.body, "bob@example.com") || strings.Contains(r.body, "ada@example.com") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	bobReq := a.request(MigrateLegacyUsers, &ada, map[string]string{"orgId": orgID}, nil, `{"users":[{"email":"x@example.com"}]}`)
	if resp := a.call(MigrateLegacyUsers, bobReq); resp.StatusCode != 403 {
		t.Errorf("a non-operator: %d", resp.StatusCode)
	}
}

func TestBulkCreateAnswersPerItemInOrder(t *testing.T) {
	a, _ := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	r := a.do(CreateMembersBulk, &ada, map[string]string{"orgId": orgID}, nil,
		`{"members":[{"email":"a1@example.com"},{"email":"bad"},{"email":"A1@example.com"},{"email":"a2@example.com","role":"support_only"}]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var out struct {
		Results []struct {
			Index  int
			Status string
			Member *struct{ Email string }
		}
	}
	_ = json.Unmarshal([]byte(r.body), &out)
	want := []string{"created", "error", "error", "created"}
	for i, res := range out.Results {
		if res.Index != i || res.Status != want[i] {
			t.Errorf("result %d: %+v, want %s", i, res, want[i])
		}
	}
}

func TestIdempotencyKeyMakesARepeatedCreateMemberReturnTheFirstMember(t *testing.T) {
	a, dir := provisioningAPI(t)
	// The record answers for a day of the real clock (the authorization step reads it so).
	a.env.Now = func() time.Time { return time.Now().UTC() }
	ada := person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.org(ada, "Acme")
	send := func(body string) (int, string) {
		req := a.request(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body)
		req.Headers["idempotency-key"] = "create-bob-1"
		resp := a.call(CreateMember, req)
		return resp.StatusCode, resp.Body
	}
	s1, b1 := send(`{"email":"bob@example.com"}`)
	first := dir.user("bob@example.com").password
	s2, b2 := send(`{"email":"bob@example.com"}`)
	if s1 != 201 || s2 != 201 || b1 != b2 {
		t.Fatalf("first %d %s, repeat %d %s", s1, b1, s2, b2)
	}
	if dir.user("bob@example.com").password != first {
		t.Error("the repeat reached the directory")
	}
	if s, _ := send(`{"email":"carl@example.com"}`); s != 409 {
		t.Errorf("the key with another body: %d", s)
	}
}

func TestIdempotencyKeyMakesARepeatedBulkCreateReturnTheFirstResults(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.Now = func() time.Time { return time.Now().UTC() }
	ada := person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.org(ada, "Acme")
	send := func(body string) (int, string, int) {
		req := a.request(CreateMembersBulk, &ada, map[string]string{"orgId": orgID}, nil, body)
		req.Headers["idempotency-key"] = "bulk-1"
		resp, calls := a.invoke(CreateMembersBulk, req)
		return resp.StatusCode, resp.Body, calls
	}
	body := `{"members":[{"email":"bad"},{"email":"b1@example.com"},{"email":"b2@example.com"}]}`
	s1, b1, _ := send(body)
	first := dir.user("b1@example.com").password
	s2, b2, calls := send(body)
	if s1 != 200 || s2 != 200 || b1 != b2 || strings.Count(b1, `"status":"created"`) != 2 {
		t.Fatalf("first %d %s, repeat %d %s", s1, b1, s2, b2)
	}
	if dir.user("b1@example.com").password != first || calls > 2 {
		t.Errorf("the repeat reached the directory or made %d DynamoDB calls", calls)
	}
	if s, _, _ := send(`{"members":[{"email":"b3@example.com"}]}`); s != 409 {
		t.Errorf("the key with another body: %d", s)
	}
}
