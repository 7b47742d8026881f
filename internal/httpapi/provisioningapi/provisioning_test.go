package provisioningapi_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

func TestCreatedUserGetsAGeneratedPasswordByEmailThatIsNowhereElse(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.Writes.Reset()
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil,
		`{"email":"Bob@Example.com","name":"Bob","role":"user","notifyEmail":"bob.home@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r.Calls > 2 {
		t.Errorf("create-member made %d DynamoDB calls; the budget is 2", r.Calls)
	}
	m := r.JSON(t)
	if m["email"] != "bob@example.com" || m["source"] != "created" || m["role"] != "user" {
		t.Errorf("member %v", m)
	}
	u := dir.User("bob@example.com")
	if u == nil || !u.Temporary || len(u.Password) < 16 {
		t.Fatalf("directory user %+v: want a temporary password of 16 characters or more", u)
	}
	if u.Verified {
		t.Error("the address was marked verified though the password went to another address outside a verified domain")
	}
	mails := a.SealedMails()
	if len(mails) != 1 || mails[0].Message.To != "bob.home@example.com" || !strings.Contains(mails[0].Message.Text, u.Password) {
		t.Fatalf("sealed mails %+v: want one to the notify address carrying the password", mails)
	}
	if strings.Contains(a.TableDump(), u.Password) {
		t.Error("the table holds the password in clear")
	}
	if strings.Contains(a.Logs.String(), u.Password) || strings.Contains(r.Body, u.Password) {
		t.Error("the log or the answer holds the password")
	}
	acc, err := a.Env.Orgs().Me(context.Background(), orgs.Caller{ID: u.ID, Email: "bob@example.com", EmailVerified: true})
	if err != nil || len(acc.Orgs) != 2 {
		t.Fatalf("bob's orgs %+v, %v: want his personal account and Acme", acc.Orgs, err)
	}
}

func TestCreateMemberAfterAHalfDoneAttemptReusesTheDirectoryUser(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	// An earlier attempt made the directory user, then failed before its transaction.
	if _, err := dir.CreateUser(context.Background(), "bob@example.com", false, "Some-Earlier-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	// A minute is not up: the user may be a concurrent request's, so it is not taken over.
	if r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`); r.Status != 409 {
		t.Fatalf("a young user taken over: %d %s", r.Status, r.Body)
	}
	dir.User("bob@example.com").CreatedAt = apitest.HarnessNow.Add(-time.Hour)
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r.Calls > 3 {
		t.Errorf("%d calls; a retry after a fault may read the profile once more (3)", r.Calls)
	}
	// The retry of the retry: the account exists now, so it is a conflict, not a second member.
	r = a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.Status != 409 {
		t.Fatalf("a second create: %d %s", r.Status, r.Body)
	}
}

func TestConcurrentCreatesOfOneAddressMakeOneMemberWhosePasswordWorks(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.Writes.Reset()
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := a.Request(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
			statuses[i] = a.Call(provisioningapi.CreateMember, req).StatusCode
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
	mails := a.SealedMails()
	if created != 1 || len(mails) != 1 {
		t.Fatalf("statuses %v, %d mails: want one member, one mail", statuses, len(mails))
	}
	if u := dir.User("bob@example.com"); !strings.Contains(mails[0].Message.Text, u.Password) {
		t.Error("the mailed password is not the user's")
	}
}

func TestCreateMemberRefusesAnAddressWithAnAccountOutsideVerifiedDomains(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Account(bob)
	dir.SignedUp(bob)
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"bob@example.com"}`)
	if r.Status != 409 || !strings.Contains(r.Body, "send an invite") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if dir.User(bob.Email).Password != "their own" {
		t.Error("the existing user's password was changed")
	}
}

func TestCreateMemberAddsAnExistingAccountInAVerifiedDomainKeepingItsPassword(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.VerifiedDomain(ada, orgID, "acme-corp.com")
	carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
	a.Account(carol)
	dir.SignedUp(carol)
	a.Writes.Reset()
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"username":"carol","name":"Carol"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r.Calls > 2 {
		t.Errorf("%d calls", r.Calls)
	}
	if dir.User(carol.Email).Password != "their own" || len(a.SealedMails()) != 0 {
		t.Error("an existing account's password was changed or mailed")
	}
}

func TestCreateMemberChecksTheInput(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
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
			r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, c.body)
			if r.Status != c.want {
				t.Errorf("%d %s; want %d", r.Status, r.Body, c.want)
			}
			if strings.Contains(r.Body, "Abcdefgh1234") || strings.Contains(r.Body, "short\"") {
				t.Error("the error carries the password")
			}
		})
	}
}

func TestCreateMemberNeedsARoleTheCallerMayGrant(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada, vic := apitest.Person("ada"), apitest.Person("vic")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, vic, roles.ViewerAdmin)
	r := a.Do(provisioningapi.CreateMember, &vic, map[string]string{"orgId": orgID}, nil, `{"email":"eve@example.com","role":"admin"}`)
	if r.Status != 403 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func TestUserPropertiesValidateMemberPatchAndHideRemovedDefinitions(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, bob, roles.User)
	r := a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
		`{"items":[{"key":"team","label":"Team","type":"string","required":false},{"key":"vip","label":"VIP","type":"boolean","required":false}]}`)
	if r.Status != 200 || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	params := map[string]string{"orgId": orgID, "userId": bob.ID}
	if r := a.Do(membersapi.UpdateMember, &ada, params, nil, `{"properties":{"vip":"yes"}}`); r.Status != 400 {
		t.Errorf("wrong type: %d %s", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &ada, params, nil, `{"properties":{"shoe":42}}`); r.Status != 400 {
		t.Errorf("unknown key: %d %s", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &ada, params, nil, `{"properties":{"team":"ops","vip":true}}`); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &ada, params, nil, `{"properties":{"vip":null}}`); r.Status != 200 || strings.Contains(r.Body, "vip") || !strings.Contains(r.Body, `"team":"ops"`) {
		t.Errorf("null clears one, the others stay: %d %s", r.Status, r.Body)
	}
	a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"vip","label":"VIP","type":"boolean","required":false}]}`)
	list := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Contains(list.Body, "ops") {
		t.Errorf("a removed definition's values still show: %s", list.Body)
	}
	got := a.Do(provisioningapi.GetUserProperties, &ada, map[string]string{"orgId": orgID}, nil, "")
	if got.Status != 200 || !strings.Contains(got.Body, `"key":"vip"`) || got.Calls != 1 {
		t.Errorf("%d %s (%d calls)", got.Status, got.Body, got.Calls)
	}
	for _, bad := range []string{
		`{"items":[{"key":"Team","label":"T","type":"string","required":false}]}`,
		`{"items":[{"key":"t","label":"T","type":"date","required":false}]}`,
		`{"items":[{"key":"t","label":"T","type":"string","required":false},{"key":"t","label":"T","type":"string","required":false}]}`,
		`{"items":[{"key":"email","label":"E","type":"string","required":false}]}`,
	} {
		if r := a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, bad); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}

var codePattern = regexp.MustCompile(`The code: (\d{8})`)

func TestDomainVerifiedByEmailCodeWithFiveTries(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	p := map[string]string{"orgId": orgID}
	if r := a.Do(provisioningapi.AddDomain, &ada, p, nil, `{"domain":"Acme-Corp.COM"}`); r.Status != 201 || !strings.Contains(r.Body, `"domain":"acme-corp.com"`) || !strings.Contains(r.Body, `"status":"pending"`) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"com", "localhost", "acme.invalid-tld-x", "a b.com"} {
		if r := a.Do(provisioningapi.AddDomain, &ada, p, nil, `{"domain":"`+bad+`"}`); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	dp := map[string]string{"orgId": orgID, "domain": "acme-corp.com"}
	code := func() string {
		a.Writes.Reset()
		r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"email":"it@acme-corp.com"}`)
		if r.Status != 202 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		mails := a.SealedMails()
		if len(mails) != 1 {
			t.Fatalf("mails %v", mails)
		}
		c := codePattern.FindStringSubmatch(mails[0].Message.Text)[1]
		if strings.Contains(a.TableDump(), c) {
			t.Error("the table holds the code")
		}
		return c
	}
	if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"email":"it@elsewhere.com"}`); r.Status != 400 {
		t.Errorf("an address elsewhere: %d %s", r.Status, r.Body)
	}
	right := code()
	for i := 0; i < 4; i++ {
		if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"code":"00000000"}`); r.Status != 400 {
			t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"code":"00000000"}`); r.Status != 410 {
		t.Fatalf("fifth wrong code: %d %s", r.Status, r.Body)
	}
	if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"code":"`+right+`"}`); r.Status != 410 {
		t.Fatalf("the right code after five wrong ones: %d %s", r.Status, r.Body)
	}
	right = code()
	r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{"code":"`+right+`"}`)
	if r.Status != 200 || !strings.Contains(r.Body, `"status":"verified"`) || !strings.Contains(r.Body, `"primary":true`) || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	// A code proves one mailbox, DNS the domain: another org that proves it by DNS takes it
	// (API.md, Domains); ada's goes back to pending and her org's admins are told.
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	a.Deliver()
	bob := apitest.Person("bob")
	other := a.Org(bob, "Other")
	a.Do(provisioningapi.AddDomain, &bob, map[string]string{"orgId": other}, nil, `{"domain":"acme-corp.com"}`)
	access, _ := a.Env.Orgs().Authorize(context.Background(), bob, other)
	s := *a.Env.DomainVerification()
	s.Resolver = apitest.Zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); err != nil {
		t.Fatalf("a second org verifying by DNS the domain the first holds by email code: %v", err)
	}
	if r := a.Do(provisioningapi.ListDomains, &ada, map[string]string{"orgId": orgID}, nil, ""); !strings.Contains(r.Body, `"status":"pending"`) || strings.Contains(r.Body, `"status":"verified"`) {
		t.Errorf("the first org's domain after the DNS verification elsewhere: %s", r.Body)
	}
	if r := a.Do(provisioningapi.ListDomains, &bob, map[string]string{"orgId": other}, nil, ""); !strings.Contains(r.Body, `"status":"verified"`) || !strings.Contains(r.Body, `"verifiedBy":"dns"`) {
		t.Errorf("the second org's domain: %s", r.Body)
	}
	a.Deliver()
	told := false
	for _, m := range rec.Sent {
		told = told || (m.To == ada.Email && strings.Contains(m.Subject+m.Text, "acme-corp.com"))
	}
	if !told {
		t.Errorf("the first org's admin was not told; sent %+v", rec.Sent)
	}
	// DNS against DNS: the holder keeps it.
	cy := apitest.Person("cy")
	third := a.Org(cy, "Third")
	a.Do(provisioningapi.AddDomain, &cy, map[string]string{"orgId": third}, nil, `{"domain":"acme-corp.com"}`)
	access, _ = a.Env.Orgs().Authorize(context.Background(), cy, third)
	s.Resolver = apitest.Zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a third org verifying by DNS a domain held by DNS: %v; want 409", err)
	}
}

func TestDomainVerifiedByDNSTXTRecord(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	dns := apitest.Zone{}
	a.Env.UseResolver(dns)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	r := a.Do(provisioningapi.AddDomain, &ada, map[string]string{"orgId": orgID}, nil, `{"domain":"acme-corp.com"}`)
	var d struct {
		Verification struct {
			DNSRecord struct{ Name, Value string } `json:"dnsRecord"`
		} `json:"verification"`
	}
	_ = json.Unmarshal([]byte(r.Body), &d)
	dp := map[string]string{"orgId": orgID, "domain": "acme-corp.com"}
	if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{}`); r.Status != 409 || !strings.Contains(r.Body, "no TXT record") {
		t.Fatalf("no record: %d %s", r.Status, r.Body)
	}
	dns[d.Verification.DNSRecord.Name] = []string{"unrelated", d.Verification.DNSRecord.Value}
	if r := a.Do(provisioningapi.VerifyDomain, &ada, dp, nil, `{}`); r.Status != 200 || !strings.Contains(r.Body, "verified") || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if owner, err := a.Store.DomainOwner(context.Background(), "acme-corp.com"); err != nil || owner != orgID {
		t.Fatalf("guard %q %v", owner, err)
	}
	if r := a.Do(provisioningapi.RemoveDomain, &ada, dp, nil, ""); r.Status != 204 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if _, err := a.Store.DomainOwner(context.Background(), "acme-corp.com"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the guard stays after removal: %v", err)
	}
}

func TestSuggestedOrgAndJoinByVerifiedDomain(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.VerifiedDomain(ada, orgID, "acme-corp.com")
	dan := orgs.Caller{ID: "user-dan", Email: "dan@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
	if r := a.Do(provisioningapi.SuggestedOrgs, &dan, nil, nil, ""); r.Status != 200 || strings.Contains(r.Body, orgID) {
		t.Fatalf("autoJoin off: %d %s", r.Status, r.Body)
	}
	if r := a.Do(provisioningapi.JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.Status != 404 {
		t.Fatalf("join with autoJoin off: %d %s", r.Status, r.Body)
	}
	a.Do(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": orgID}, nil, `{"autoJoin":"suggest"}`)
	r := a.Do(provisioningapi.SuggestedOrgs, &dan, nil, nil, "")
	if r.Status != 200 || !strings.Contains(r.Body, orgID) || !strings.Contains(r.Body, `"autoJoin":"suggest"`) || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.Do(provisioningapi.JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.Status != 404 {
		t.Fatalf("join with autoJoin suggest: %d %s", r.Status, r.Body)
	}
	a.Do(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": orgID}, nil, `{"autoJoin":"join"}`)
	eve := apitest.Person("eve")
	if r := a.Do(provisioningapi.JoinOrg, &eve, map[string]string{"orgId": orgID}, nil, ""); r.Status != 404 {
		t.Fatalf("another domain: %d %s", r.Status, r.Body)
	}
	r = a.Do(provisioningapi.JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, "")
	if r.Status != 200 || !strings.Contains(r.Body, `"source":"domain"`) || !strings.Contains(r.Body, `"role":"user"`) || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.Do(provisioningapi.JoinOrg, &dan, map[string]string{"orgId": orgID}, nil, ""); r.Status != 409 {
		t.Fatalf("joining twice: %d %s", r.Status, r.Body)
	}
	if r := a.Do(provisioningapi.SuggestedOrgs, &dan, nil, nil, ""); strings.Contains(r.Body, orgID) {
		t.Errorf("a member is still offered the org: %s", r.Body)
	}
	me, err := a.Env.Orgs().Me(context.Background(), dan)
	if err != nil || len(me.Orgs) != 2 {
		t.Errorf("dan's orgs %+v %v", me.Orgs, err)
	}
}

func TestPasswordResetOnlyForProvisionedMembers(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, bob, roles.User)
	if r := a.Do(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": bob.ID}, nil, ""); r.Status != 403 {
		t.Fatalf("an invited member: %d %s", r.Status, r.Body)
	}
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"carl@example.com"}`)
	carl := dir.User("carl@example.com")
	first := carl.Password
	a.Writes.Reset()
	r = a.Do(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": carl.ID}, nil, "")
	if r.Status != 204 || r.Calls > 2 {
		t.Fatalf("%d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if carl.Password != first {
		t.Error("the password changed before its email was on its way")
	}
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	a.Deliver()
	if carl.Password == first || !carl.Temporary {
		t.Error("the password did not change to a new temporary one")
	}
	mails := a.SealedMails()
	if len(mails) != 1 || !strings.Contains(mails[0].Message.Text, carl.Password) || strings.Contains(a.TableDump(), carl.Password) || strings.Contains(a.Logs.String(), carl.Password) {
		t.Errorf("mails %d; the new password must be mailed sealed and be nowhere else", len(mails))
	}
	withIt := 0
	for _, m := range rec.Sent {
		if m.To == carl.Email && strings.Contains(m.Text, carl.Password) {
			withIt++
		}
	}
	if withIt != 1 {
		t.Errorf("the stream processor sent %d emails to %s with the password it set; want 1", withIt, carl.Email)
	}
}

func TestLegacyUsersMigratedByAnOperatorAppearInTheirTab(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Account(bob)
	dir.SignedUp(bob)
	op := apitest.Person("opal")
	req := a.Request(provisioningapi.MigrateLegacyUsers, &op, map[string]string{"orgId": orgID}, nil,
		`{"users":[{"email":"old1@example.com","name":"Old One"},{"email":"bob@example.com","name":"Bob"},{"email":"ada@example.com","name":"Ada"}]}`)
	req.RequestContext.Authorizer.JWT.Claims["cognito:groups"] = "[operators]"
	resp := a.Call(provisioningapi.MigrateLegacyUsers, req)
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
	if dir.User("bob@example.com").Password != "their own" || dir.User("old1@example.com").Password == "" {
		t.Error("passwords: an existing account keeps its own, a new one gets a temporary one")
	}
	r := a.Do(provisioningapi.ListLegacyUsers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if r.Status != 200 || !strings.Contains(r.Body, "old1@example.com") || !strings.Contains(r.Body, "bob@example.com") || strings.Contains(r.Body, "ada@example.com") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	bobReq := a.Request(provisioningapi.MigrateLegacyUsers, &ada, map[string]string{"orgId": orgID}, nil, `{"users":[{"email":"x@example.com"}]}`)
	if resp := a.Call(provisioningapi.MigrateLegacyUsers, bobReq); resp.StatusCode != 403 {
		t.Errorf("a non-operator: %d", resp.StatusCode)
	}
}

func TestBulkCreateAnswersPerItemInOrder(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	r := a.Do(provisioningapi.CreateMembersBulk, &ada, map[string]string{"orgId": orgID}, nil,
		`{"members":[{"email":"a1@example.com"},{"email":"bad"},{"email":"A1@example.com"},{"email":"a2@example.com","role":"support_only"}]}`)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var out struct {
		Results []struct {
			Index  int
			Status string
			Member *struct{ Email string }
		}
	}
	_ = json.Unmarshal([]byte(r.Body), &out)
	want := []string{"created", "error", "error", "created"}
	for i, res := range out.Results {
		if res.Index != i || res.Status != want[i] {
			t.Errorf("result %d: %+v, want %s", i, res, want[i])
		}
	}
}

func TestIdempotencyKeyMakesARepeatedCreateMemberReturnTheFirstMember(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	// The record answers for a day of the real clock (the authorization step reads it so).
	a.Env.Now = func() time.Time { return time.Now().UTC() }
	ada := apitest.Person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.Org(ada, "Acme")
	send := func(body string) (int, string) {
		req := a.Request(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body)
		req.Headers["idempotency-key"] = "create-bob-1"
		resp := a.Call(provisioningapi.CreateMember, req)
		return resp.StatusCode, resp.Body
	}
	s1, b1 := send(`{"email":"bob@example.com"}`)
	first := dir.User("bob@example.com").Password
	s2, b2 := send(`{"email":"bob@example.com"}`)
	if s1 != 201 || s2 != 201 || b1 != b2 {
		t.Fatalf("first %d %s, repeat %d %s", s1, b1, s2, b2)
	}
	if dir.User("bob@example.com").Password != first {
		t.Error("the repeat reached the directory")
	}
	if s, _ := send(`{"email":"carl@example.com"}`); s != 409 {
		t.Errorf("the key with another body: %d", s)
	}
}

func TestIdempotencyKeyMakesARepeatedBulkCreateReturnTheFirstResults(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.Now = func() time.Time { return time.Now().UTC() }
	ada := apitest.Person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.Org(ada, "Acme")
	send := func(body string) (int, string, int) {
		req := a.Request(provisioningapi.CreateMembersBulk, &ada, map[string]string{"orgId": orgID}, nil, body)
		req.Headers["idempotency-key"] = "bulk-1"
		resp, calls := a.Invoke(provisioningapi.CreateMembersBulk, req)
		return resp.StatusCode, resp.Body, calls
	}
	body := `{"members":[{"email":"bad"},{"email":"b1@example.com"},{"email":"b2@example.com"}]}`
	s1, b1, _ := send(body)
	first := dir.User("b1@example.com").Password
	s2, b2, calls := send(body)
	if s1 != 200 || s2 != 200 || b1 != b2 || strings.Count(b1, `"status":"created"`) != 2 {
		t.Fatalf("first %d %s, repeat %d %s", s1, b1, s2, b2)
	}
	if dir.User("b1@example.com").Password != first || calls > 2 {
		t.Errorf("the repeat reached the directory or made %d DynamoDB calls", calls)
	}
	if s, _, _ := send(`{"members":[{"email":"b3@example.com"}]}`); s != 409 {
		t.Errorf("the key with another body: %d", s)
	}
}
