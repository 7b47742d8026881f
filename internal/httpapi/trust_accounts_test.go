package httpapi

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

var eightDigits = regexp.MustCompile(`\b\d{8}\b`)

// verifyByCode verifies domain for the org with a code mailed to mailbox, as an attacker who
// holds that one mailbox can.
func (a *api) verifyByCode(admin orgs.Caller, orgID, domain, mailbox string) {
	a.t.Helper()
	if r := a.do(AddDomain, &admin, map[string]string{"orgId": orgID}, nil, `{"domain":"`+domain+`"}`); r.status != 201 {
		a.t.Fatalf("add %s: %d %s", domain, r.status, r.body)
	}
	dp := map[string]string{"orgId": orgID, "domain": domain}
	a.writes.reset()
	if r := a.do(VerifyDomain, &admin, dp, nil, `{"email":"`+mailbox+`"}`); r.status != 202 {
		a.t.Fatalf("send code: %d %s", r.status, r.body)
	}
	code := ""
	for _, m := range a.sealedMails() {
		if m.Message.To == mailbox {
			code = eightDigits.FindString(m.Message.Text)
		}
	}
	r := a.do(VerifyDomain, &admin, dp, nil, `{"code":"`+code+`"}`)
	if r.status != 200 || !strings.Contains(r.body, `"verifiedBy":"email"`) {
		a.t.Fatalf("verify by code: %d %s", r.status, r.body)
	}
}

// The review's critical finding, as an attack: an org verifies a domain with a code mailed to
// the attacker's own mailbox there, "creates" a victim who has an account, naming the
// attacker's address for the credentials, and resets the victim's password.
func TestAnEmailCodeDomainGivesNoPowerOverTheDomainsExistingAccounts(t *testing.T) {
	a, dir := provisioningAPI(t)
	eve := person("eve")
	orgID := a.org(eve, "Eve's")
	// A free-mail domain can't be claimed at all.
	for _, d := range []string{"gmail.com", "outlook.com", "mailinator.com", "x.mailinator.com"} {
		if r := a.do(AddDomain, &eve, map[string]string{"orgId": orgID}, nil, `{"domain":"`+d+`"}`); r.status != 400 {
			t.Errorf("adding %s: %d %s; want 400", d, r.status, r.body)
		}
	}
	// A company's domain, verified by a code mailed to the one mailbox the attacker has there.
	a.verifyByCode(eve, orgID, "bigcorp.com", "eve@bigcorp.com")
	victim := orgs.Caller{ID: "user-vic", Email: "vic@bigcorp.com", EmailVerified: true, IssuedAt: harnessNow}
	a.account(victim)
	dir.signedUp(victim)
	for _, body := range []string{
		`{"email":"vic@bigcorp.com","notifyEmail":"eve@evil.example.com"}`,
		`{"email":"vic@bigcorp.com"}`,
		`{"username":"vic"}`,
	} {
		r := a.do(CreateMember, &eve, map[string]string{"orgId": orgID}, nil, body)
		if r.status != 409 || !strings.Contains(r.body, "send an invite") {
			t.Errorf("%s: %d %s; want 409 (an existing account outside a DNS-verified domain)", body, r.status, r.body)
		}
	}
	if u := dir.user(victim.Email); u.password != "their own" {
		t.Error("the victim's password was changed")
	}
	// Were the victim a member somehow (an invite they accepted), the org still has no
	// power over their sign-in: it did not create their account.
	a.join(orgID, eve, victim, roles.User)
	p := map[string]string{"orgId": orgID, "userId": victim.ID}
	if r := a.do(ResetMemberPassword, &eve, p, nil, ""); r.status != 403 {
		t.Errorf("reset of an invited member: %d %s", r.status, r.body)
	}
	if r := a.do(UpdateMember, &eve, p, nil, `{"name":"Owned"}`); r.status != 403 {
		t.Errorf("name of an invited member: %d %s", r.status, r.body)
	}
}

// A member whose source says "created" but whose account this org did not create (a row
// written before the rule, or by any path that gets the source wrong) is no provisioned
// member: the reset's and the name change's transactions check the account's own record.
func TestResetAndNameChangeCheckTheAccountsCreatorInTheirTransaction(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.UseMail(&mail.Recorder{})
	eve, vic := person("eve"), person("vic")
	orgID := a.org(eve, "Eve's")
	a.account(vic)
	dir.signedUp(vic)
	if err := a.store.SeedMember(context.Background(), orgs.Member{
		OrgID: orgID, UserID: vic.ID, Email: vic.Email, Role: roles.User, JoinedAt: harnessNow, Source: orgs.SourceCreated,
	}, orgs.Shared); err != nil {
		t.Fatal(err)
	}
	p := map[string]string{"orgId": orgID, "userId": vic.ID}
	if r := a.do(ResetMemberPassword, &eve, p, nil, ""); r.status != 403 {
		t.Errorf("reset: %d %s; want 403", r.status, r.body)
	}
	if r := a.do(UpdateMember, &eve, p, nil, `{"phone":"+15555550100"}`); r.status != 403 {
		t.Errorf("phone: %d %s; want 403", r.status, r.body)
	}
	a.deliver()
	if dir.user(vic.Email).password != "their own" {
		t.Error("the password of an account the org did not create was changed")
	}
	// The org's own creation: both work, also after the account joined another org.
	r := a.do(CreateMember, &eve, map[string]string{"orgId": orgID}, nil, `{"email":"carl@example.com"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	carl := dir.user("carl@example.com")
	other := a.org(person("olga"), "Olga's")
	a.join(other, person("olga"), orgs.Caller{ID: carl.id, Email: carl.email, EmailVerified: true, IssuedAt: harnessNow}, roles.Admin)
	pc := map[string]string{"orgId": orgID, "userId": carl.id}
	if r := a.do(ResetMemberPassword, &eve, pc, nil, ""); r.status != 204 {
		t.Errorf("reset of the org's own creation: %d %s", r.status, r.body)
	}
	if r := a.do(UpdateMember, &eve, pc, nil, `{"name":"Carl"}`); r.status != 200 {
		t.Errorf("name of the org's own creation: %d %s", r.status, r.body)
	}
	// Olga's org did not create carl: it may not touch his sign-in though he is its admin.
	olga := person("olga")
	a.join(other, olga, person("oscar"), roles.Admin)
	oscar := person("oscar")
	if r := a.do(ResetMemberPassword, &oscar, map[string]string{"orgId": other, "userId": carl.id}, nil, ""); r.status != 403 {
		t.Errorf("reset by an org that did not create the account: %d %s", r.status, r.body)
	}
}

// In a DNS-verified domain the org holds the domain: an existing account is added as it is
// (source domain, told by email), and credentials for it are refused.
func TestADNSDomainAddsExistingAccountsAsTheyAreAndGivesThemNoCredentials(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.verifiedDomain(ada, orgID, "acme-corp.com")
	carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: harnessNow}
	a.account(carol)
	dir.signedUp(carol)
	for _, body := range []string{
		`{"email":"carol@acme-corp.com","notifyEmail":"ada@example.com"}`,
		`{"email":"carol@acme-corp.com","password":{"mode":"generate"}}`,
	} {
		if r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body); r.status != 400 {
			t.Errorf("%s: %d %s; want 400", body, r.status, r.body)
		}
	}
	a.writes.reset()
	r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"carol@acme-corp.com"}`)
	if r.status != 201 || !strings.Contains(r.body, `"source":"domain"`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	told := false
	for _, w := range a.writes.all() {
		for _, it := range w.items {
			if strings.HasPrefix(it.pk, "OUTBOX#") && it.put != nil {
				told = true
			}
		}
	}
	if !told || len(a.sealedMails()) != 0 {
		t.Error("the added account's owner must get a notice, and no credentials")
	}
	if r := a.do(ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": carol.ID}, nil, ""); r.status != 403 {
		t.Errorf("reset of an account added as it is: %d %s", r.status, r.body)
	}
	if dir.user(carol.Email).password != "their own" {
		t.Error("the existing account's password was changed")
	}
}

// A password the admin chose, or one mailed elsewhere, leaves the address unverified: the
// creator can't sign in as ceo@bigcorp.com and auto-join Bigcorp's org.
func TestAPasswordTheAdminKnowsLeavesTheAddressUnverified(t *testing.T) {
	a, dir := provisioningAPI(t)
	eve, bea := person("eve"), person("bea")
	evil := a.org(eve, "Evil")
	bigcorp := a.org(bea, "Bigcorp")
	a.verifiedDomain(bea, bigcorp, "bigcorp.com")
	a.do(UpdateOrg, &bea, map[string]string{"orgId": bigcorp}, nil, `{"autoJoin":"join"}`)
	for _, c := range []struct{ email, body string }{
		{"ceo@bigcorp.com", `{"email":"ceo@bigcorp.com","password":{"mode":"specify","value":"Known-To-Eve-123","sendEmail":true}}`},
		{"cfo@bigcorp.com", `{"email":"cfo@bigcorp.com","notifyEmail":"eve@evil.example.com"}`},
	} {
		r := a.do(CreateMember, &eve, map[string]string{"orgId": evil}, nil, c.body)
		if r.status != 201 {
			t.Fatalf("%s: %d %s", c.body, r.status, r.body)
		}
		u := dir.user(c.email)
		if u.verified {
			t.Errorf("%s: the identity provider was told the address is verified", c.email)
		}
		// Signed in with the password, the token carries what the provider holds.
		as := orgs.Caller{ID: u.id, Email: c.email, EmailVerified: u.verified, IssuedAt: harnessNow}
		if r := a.do(JoinOrg, &as, map[string]string{"orgId": bigcorp}, nil, ""); r.status == 200 {
			t.Errorf("%s auto-joined Bigcorp: %s", c.email, r.body)
		}
		if r := a.do(SuggestedOrgs, &as, nil, nil, ""); strings.Contains(r.body, bigcorp) {
			t.Errorf("%s is offered Bigcorp: %s", c.email, r.body)
		}
	}
	// specify without the email: only in a domain the org holds by DNS.
	a.verifyByCode(eve, evil, "evil-corp.com", "eve@evil-corp.com")
	r := a.do(CreateMember, &eve, map[string]string{"orgId": evil}, nil, `{"email":"x@evil-corp.com","password":{"mode":"specify","value":"Known-To-Eve-123"}}`)
	if r.status != 403 {
		t.Errorf("specify without sendEmail in an email-code domain: %d %s", r.status, r.body)
	}
}

// The import's dry run tells nothing about accounts outside the org: a row whose address has
// an account elsewhere checks exactly like a new one; the commit's row result says it.
func TestImportDryRunTellsNothingOfAccountsOutsideTheOrg(t *testing.T) {
	a, dir := importAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.account(bob)
	dir.signedUp(bob)
	csv := "email\r\nbob@example.com\r\nnobody@example.com\r\n"
	r := a.upload(&ada, orgID, "text/csv", []byte(csv), true)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var got dryRun
	_ = json.Unmarshal([]byte(r.body), &got)
	if len(got.Results) != 2 || got.Results[0].Status != "valid" || got.Results[1].Status != "valid" || got.Results[0].Error != nil {
		t.Fatalf("the dry run tells an account apart from a new address: %s", r.body)
	}
	if strings.Contains(r.body, "account") {
		t.Errorf("the dry run speaks of accounts: %s", r.body)
	}
}

// A user left in the identity provider by another org's attempt that failed before its
// write (one that could mark the address verified: its DNS-verified domain) is taken over
// by the next create as a new user would be made: deleted and made anew, with this create's
// standing of the address and its password in one call. Otherwise an org could set a
// password it knows on a verified ceo@bigcorp.com, or keep a session begun with the old one.
func TestATakenOverUserIsMadeAnewWithTheStandingOfTheCreateThatTakesIt(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.UseMail(&mail.Recorder{})
	eve := person("eve")
	evil := a.org(eve, "Evil")
	leftover := &fakeUser{id: "user-leftover", email: "ceo@bigcorp.com", verified: true, temporary: true,
		password: "bigcorp's attempt", createdAt: harnessNow.Add(-time.Hour)}
	dir.mu.Lock()
	dir.byEmail[leftover.email], dir.byID[leftover.id] = leftover, leftover
	dir.mu.Unlock()
	r := a.do(CreateMember, &eve, map[string]string{"orgId": evil}, nil,
		`{"email":"ceo@bigcorp.com","password":{"mode":"specify","value":"Known-To-Eve-123","sendEmail":true}}`)
	if r.status != 201 {
		t.Fatalf("the create over the leftover: %d %s", r.status, r.body)
	}
	u := dir.user("ceo@bigcorp.com")
	if u == nil || u.id == leftover.id || strings.Contains(r.body, leftover.id) {
		t.Fatalf("the leftover was not replaced by a new user: %+v %s", u, r.body)
	}
	if u.password != "Known-To-Eve-123" || u.verified {
		t.Errorf("the new user: password %q, verified %v; want Evil's password on an unverified address", u.password, u.verified)
	}
	if dir.byID[leftover.id] != nil {
		t.Error("the leftover user is still there")
	}
}

// An account added as it is (a DNS-verified domain's existing address) keeps the standing the
// identity provider holds of its address: one whose address nobody proved (a password another
// org's admin chose) is not made verified by being added.
func TestAnAccountAddedAsItIsKeepsItsAddressesStanding(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.UseMail(&mail.Recorder{})
	bea := person("bea")
	bigcorp := a.org(bea, "Bigcorp")
	a.verifiedDomain(bea, bigcorp, "bigcorp.com")
	// Signed in once with a password another org's admin chose, never opened the portal.
	known := &fakeUser{id: "user-known", email: "bob@bigcorp.com", verified: false, signedIn: true, password: "Chosen-By-Other-Admin1"}
	dir.mu.Lock()
	dir.byEmail[known.email], dir.byID[known.id] = known, known
	dir.mu.Unlock()
	r := a.do(CreateMember, &bea, map[string]string{"orgId": bigcorp}, nil, `{"email":"bob@bigcorp.com"}`)
	if r.status != 201 || !strings.Contains(r.body, `"source":"domain"`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, l := range strings.Split(a.tableDump(), "\n") {
		if strings.Contains(l, `"PK":"USER#user-known","SK":"PROFILE"`) && !strings.Contains(l, `"emailUnverified":true`) {
			t.Errorf("the profile made for an unverified address says it is verified: %s", l)
		}
	}
	if !strings.Contains(a.tableDump(), `"PK":"USER#user-known","SK":"PROFILE"`) {
		t.Error("no profile was made for the account added as it is")
	}
}
