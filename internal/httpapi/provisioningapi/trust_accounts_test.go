package provisioningapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

// The review's critical finding, as an attack: an org verifies a domain with a code mailed to
// the attacker's own mailbox there, "creates" a victim who has an account, naming the
// attacker's address for the credentials, and resets the victim's password.
func TestAnEmailCodeDomainGivesNoPowerOverTheDomainsExistingAccounts(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	eve := apitest.Person("eve")
	orgID := a.Org(eve, "Eve's")
	// A free-mail domain can't be claimed at all.
	for _, d := range []string{"gmail.com", "outlook.com", "mailinator.com", "x.mailinator.com"} {
		if r := a.Do(provisioningapi.AddDomain, &eve, map[string]string{"orgId": orgID}, nil, `{"domain":"`+d+`"}`); r.Status != 400 {
			t.Errorf("adding %s: %d %s; want 400", d, r.Status, r.Body)
		}
	}
	// A company's domain, verified by a code mailed to the one mailbox the attacker has there.
	a.VerifyByCode(eve, orgID, "bigcorp.com", "eve@bigcorp.com")
	victim := orgs.Caller{ID: "user-vic", Email: "vic@bigcorp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
	a.Account(victim)
	dir.SignedUp(victim)
	for _, body := range []string{
		`{"email":"vic@bigcorp.com","notifyEmail":"eve@evil.example.com"}`,
		`{"email":"vic@bigcorp.com"}`,
		`{"username":"vic"}`,
	} {
		r := a.Do(provisioningapi.CreateMember, &eve, map[string]string{"orgId": orgID}, nil, body)
		if r.Status != 409 || !strings.Contains(r.Body, "send an invite") {
			t.Errorf("%s: %d %s; want 409 (an existing account outside a DNS-verified domain)", body, r.Status, r.Body)
		}
	}
	if u := dir.User(victim.Email); u.Password != "their own" {
		t.Error("the victim's password was changed")
	}
	// Were the victim a member somehow (an invite they accepted), the org still has no
	// power over their sign-in: it did not create their account.
	a.Join(orgID, eve, victim, roles.User)
	p := map[string]string{"orgId": orgID, "userId": victim.ID}
	if r := a.Do(provisioningapi.ResetMemberPassword, &eve, p, nil, ""); r.Status != 403 {
		t.Errorf("reset of an invited member: %d %s", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &eve, p, nil, `{"name":"Owned"}`); r.Status != 403 {
		t.Errorf("name of an invited member: %d %s", r.Status, r.Body)
	}
}

// A member whose source says "created" but whose account this org did not create (a row
// written before the rule, or by any path that gets the source wrong) is no provisioned
// member: the reset's and the name change's transactions check the account's own record.
func TestResetAndNameChangeCheckTheAccountsCreatorInTheirTransaction(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.UseMail(&mail.Recorder{})
	eve, vic := apitest.Person("eve"), apitest.Person("vic")
	orgID := a.Org(eve, "Eve's")
	a.Account(vic)
	dir.SignedUp(vic)
	if err := a.Store.SeedMember(context.Background(), orgs.Member{
		OrgID: orgID, UserID: vic.ID, Email: vic.Email, Role: roles.User, JoinedAt: apitest.HarnessNow, Source: orgs.SourceCreated,
	}, orgs.Shared); err != nil {
		t.Fatal(err)
	}
	p := map[string]string{"orgId": orgID, "userId": vic.ID}
	if r := a.Do(provisioningapi.ResetMemberPassword, &eve, p, nil, ""); r.Status != 403 {
		t.Errorf("reset: %d %s; want 403", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &eve, p, nil, `{"phone":"+15555550100"}`); r.Status != 403 {
		t.Errorf("phone: %d %s; want 403", r.Status, r.Body)
	}
	a.Deliver()
	if dir.User(vic.Email).Password != "their own" {
		t.Error("the password of an account the org did not create was changed")
	}
	// The org's own creation: both work, also after the account joined another org.
	r := a.Do(provisioningapi.CreateMember, &eve, map[string]string{"orgId": orgID}, nil, `{"email":"carl@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	carl := dir.User("carl@example.com")
	other := a.Org(apitest.Person("olga"), "Olga's")
	a.Join(other, apitest.Person("olga"), orgs.Caller{ID: carl.ID, Email: carl.Email, EmailVerified: true, IssuedAt: apitest.HarnessNow}, roles.Admin)
	pc := map[string]string{"orgId": orgID, "userId": carl.ID}
	if r := a.Do(provisioningapi.ResetMemberPassword, &eve, pc, nil, ""); r.Status != 204 {
		t.Errorf("reset of the org's own creation: %d %s", r.Status, r.Body)
	}
	if r := a.Do(membersapi.UpdateMember, &eve, pc, nil, `{"name":"Carl"}`); r.Status != 200 {
		t.Errorf("name of the org's own creation: %d %s", r.Status, r.Body)
	}
	// Olga's org did not create carl: it may not touch his sign-in though he is its admin.
	olga := apitest.Person("olga")
	a.Join(other, olga, apitest.Person("oscar"), roles.Admin)
	oscar := apitest.Person("oscar")
	if r := a.Do(provisioningapi.ResetMemberPassword, &oscar, map[string]string{"orgId": other, "userId": carl.ID}, nil, ""); r.Status != 403 {
		t.Errorf("reset by an org that did not create the account: %d %s", r.Status, r.Body)
	}
}

// In a DNS-verified domain the org holds the domain: an existing account is added as it is
// (source domain, told by email), and credentials for it are refused.
func TestADNSDomainAddsExistingAccountsAsTheyAreAndGivesThemNoCredentials(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.VerifiedDomain(ada, orgID, "acme-corp.com")
	carol := orgs.Caller{ID: "user-carol", Email: "carol@acme-corp.com", EmailVerified: true, IssuedAt: apitest.HarnessNow}
	a.Account(carol)
	dir.SignedUp(carol)
	for _, body := range []string{
		`{"email":"carol@acme-corp.com","notifyEmail":"ada@example.com"}`,
		`{"email":"carol@acme-corp.com","password":{"mode":"generate"}}`,
	} {
		if r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body); r.Status != 400 {
			t.Errorf("%s: %d %s; want 400", body, r.Status, r.Body)
		}
	}
	a.Writes.Reset()
	r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, `{"email":"carol@acme-corp.com"}`)
	if r.Status != 201 || !strings.Contains(r.Body, `"source":"domain"`) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	told := false
	for _, w := range a.Writes.All() {
		for _, it := range w.Items {
			if strings.HasPrefix(it.PK, "OUTBOX#") && it.Put != nil {
				told = true
			}
		}
	}
	if !told || len(a.SealedMails()) != 0 {
		t.Error("the added account's owner must get a notice, and no credentials")
	}
	if r := a.Do(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": carol.ID}, nil, ""); r.Status != 403 {
		t.Errorf("reset of an account added as it is: %d %s", r.Status, r.Body)
	}
	if dir.User(carol.Email).Password != "their own" {
		t.Error("the existing account's password was changed")
	}
}

// A password the admin chose, or one mailed elsewhere, leaves the address unverified: the
// creator can't sign in as ceo@bigcorp.com and auto-join Bigcorp's org.
func TestAPasswordTheAdminKnowsLeavesTheAddressUnverified(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	eve, bea := apitest.Person("eve"), apitest.Person("bea")
	evil := a.Org(eve, "Evil")
	bigcorp := a.Org(bea, "Bigcorp")
	a.VerifiedDomain(bea, bigcorp, "bigcorp.com")
	a.Do(orgsapi.UpdateOrg, &bea, map[string]string{"orgId": bigcorp}, nil, `{"autoJoin":"join"}`)
	for _, c := range []struct{ email, body string }{
		{"ceo@bigcorp.com", `{"email":"ceo@bigcorp.com","password":{"mode":"specify","value":"Known-To-Eve-123","sendEmail":true}}`},
		{"cfo@bigcorp.com", `{"email":"cfo@bigcorp.com","notifyEmail":"eve@evil.example.com"}`},
	} {
		r := a.Do(provisioningapi.CreateMember, &eve, map[string]string{"orgId": evil}, nil, c.body)
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", c.body, r.Status, r.Body)
		}
		u := dir.User(c.email)
		if u.Verified {
			t.Errorf("%s: the identity provider was told the address is verified", c.email)
		}
		// Signed in with the password, the token carries what the provider holds.
		as := orgs.Caller{ID: u.ID, Email: c.email, EmailVerified: u.Verified, IssuedAt: apitest.HarnessNow}
		if r := a.Do(provisioningapi.JoinOrg, &as, map[string]string{"orgId": bigcorp}, nil, ""); r.Status == 200 {
			t.Errorf("%s auto-joined Bigcorp: %s", c.email, r.Body)
		}
		if r := a.Do(provisioningapi.SuggestedOrgs, &as, nil, nil, ""); strings.Contains(r.Body, bigcorp) {
			t.Errorf("%s is offered Bigcorp: %s", c.email, r.Body)
		}
	}
	// specify without the email: only in a domain the org holds by DNS.
	a.VerifyByCode(eve, evil, "evil-corp.com", "eve@evil-corp.com")
	r := a.Do(provisioningapi.CreateMember, &eve, map[string]string{"orgId": evil}, nil, `{"email":"x@evil-corp.com","password":{"mode":"specify","value":"Known-To-Eve-123"}}`)
	if r.Status != 403 {
		t.Errorf("specify without sendEmail in an email-code domain: %d %s", r.Status, r.Body)
	}
}

// The import's dry run tells nothing about accounts outside the org: a row whose address has
// an account elsewhere checks exactly like a new one; the commit's row result says it.
func TestImportDryRunTellsNothingOfAccountsOutsideTheOrg(t *testing.T) {
	a, dir := importAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Account(bob)
	dir.SignedUp(bob)
	csv := "email\r\nbob@example.com\r\nnobody@example.com\r\n"
	r := a.Upload(&ada, orgID, "text/csv", []byte(csv), true)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var got dryRun
	_ = json.Unmarshal([]byte(r.Body), &got)
	if len(got.Results) != 2 || got.Results[0].Status != "valid" || got.Results[1].Status != "valid" || got.Results[0].Error != nil {
		t.Fatalf("the dry run tells an account apart from a new address: %s", r.Body)
	}
	if strings.Contains(r.Body, "account") {
		t.Errorf("the dry run speaks of accounts: %s", r.Body)
	}
}

// A user left in the identity provider by another org's attempt that failed before its
// write (one that could mark the address verified: its DNS-verified domain) is taken over
// by the next create as a new user would be made: deleted and made anew, with this create's
// standing of the address and its password in one call. Otherwise an org could set a
// password it knows on a verified ceo@bigcorp.com, or keep a session begun with the old one.
func TestATakenOverUserIsMadeAnewWithTheStandingOfTheCreateThatTakesIt(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.UseMail(&mail.Recorder{})
	eve := apitest.Person("eve")
	evil := a.Org(eve, "Evil")
	leftover := &apitest.FakeUser{ID: "user-leftover", Email: "ceo@bigcorp.com", Verified: true, Temporary: true,
		Password: "bigcorp's attempt", CreatedAt: apitest.HarnessNow.Add(-time.Hour)}
	dir.Mu.Lock()
	dir.ByEmail[leftover.Email], dir.ByID[leftover.ID] = leftover, leftover
	dir.Mu.Unlock()
	r := a.Do(provisioningapi.CreateMember, &eve, map[string]string{"orgId": evil}, nil,
		`{"email":"ceo@bigcorp.com","password":{"mode":"specify","value":"Known-To-Eve-123","sendEmail":true}}`)
	if r.Status != 201 {
		t.Fatalf("the create over the leftover: %d %s", r.Status, r.Body)
	}
	u := dir.User("ceo@bigcorp.com")
	if u == nil || u.ID == leftover.ID || strings.Contains(r.Body, leftover.ID) {
		t.Fatalf("the leftover was not replaced by a new user: %+v %s", u, r.Body)
	}
	if u.Password != "Known-To-Eve-123" || u.Verified {
		t.Errorf("the new user: password %q, verified %v; want Evil's password on an unverified address", u.Password, u.Verified)
	}
	if dir.ByID[leftover.ID] != nil {
		t.Error("the leftover user is still there")
	}
}

// An account added as it is (a DNS-verified domain's existing address) keeps the standing the
// identity provider holds of its address: one whose address nobody proved (a password another
// org's admin chose) is not made verified by being added.
func TestAnAccountAddedAsItIsKeepsItsAddressesStanding(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.UseMail(&mail.Recorder{})
	bea := apitest.Person("bea")
	bigcorp := a.Org(bea, "Bigcorp")
	a.VerifiedDomain(bea, bigcorp, "bigcorp.com")
	// Signed in once with a password another org's admin chose, never opened the portal.
	known := &apitest.FakeUser{ID: "user-known", Email: "bob@bigcorp.com", Verified: false, SignedIn: true, Password: "Chosen-By-Other-Admin1"}
	dir.Mu.Lock()
	dir.ByEmail[known.Email], dir.ByID[known.ID] = known, known
	dir.Mu.Unlock()
	r := a.Do(provisioningapi.CreateMember, &bea, map[string]string{"orgId": bigcorp}, nil, `{"email":"bob@bigcorp.com"}`)
	if r.Status != 201 || !strings.Contains(r.Body, `"source":"domain"`) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	for _, l := range strings.Split(a.TableDump(), "\n") {
		if strings.Contains(l, `"PK":"USER#user-known","SK":"PROFILE"`) && !strings.Contains(l, `"emailUnverified":true`) {
			t.Errorf("the profile made for an unverified address says it is verified: %s", l)
		}
	}
	if !strings.Contains(a.TableDump(), `"PK":"USER#user-known","SK":"PROFILE"`) {
		t.Error("no profile was made for the account added as it is")
	}
}
