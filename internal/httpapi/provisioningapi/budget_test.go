package provisioningapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/httpapi/invitesapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/mail"
)

// The org's daily email budget (ORG_DAILY_EMAIL_LIMIT) counts provisioning's emails as it
// counts invitations': one budget, a request that would pass it refused whole, nothing of it
// written or made in the directory.

func TestProvisioningEmailsShareTheDailyBudgetWithInvitesAndAreRefusedWhole(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.Config.DailyEmailLimit = 4
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"one@example.com"}`); r.Status != 201 || r.Calls > 2 {
		t.Fatalf("first create: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	if r := a.Do(invitesapi.CreateInvite, &ada, org, nil, `{"email":"inv@example.com","role":"user"}`); r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	// Two emails are left: a form of three is refused whole, before anyone is made.
	r := a.Do(provisioningapi.CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"b1@example.com"},{"email":"b2@example.com"},{"email":"b3@example.com"}]}`)
	if r.Status != 429 || !strings.Contains(r.Body, "rate_limited") || !strings.Contains(r.Body, "needs 3") {
		t.Fatalf("a bulk past the budget: %d %s", r.Status, r.Body)
	}
	if dir.User("b1@example.com") != nil {
		t.Error("a refused bulk made a directory user")
	}
	// A failed item gives its email back: two valid of three leave the budget spent.
	r = a.Do(provisioningapi.CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"b1@example.com"},{"email":"bad"},{"email":"b2@example.com"}]}`)
	if r.Status != 200 || strings.Count(r.Body, `"status":"created"`) != 2 {
		t.Fatalf("a bulk within the budget: %d %s", r.Status, r.Body)
	}
	// Spent: a single create is refused in its transaction, and the user it made is gone.
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"late@example.com"}`); r.Status != 429 {
		t.Fatalf("a create past the budget: %d %s", r.Status, r.Body)
	}
	if dir.User("late@example.com") != nil {
		t.Error("the refused create left its directory user")
	}
	if r := a.Do(membersapi.ListMembers, &ada, org, nil, ""); strings.Contains(r.Body, "late@example.com") || strings.Count(r.Body, `"userId"`) != 4 {
		t.Errorf("members after the refusals: %s", r.Body)
	}
	// A password reset is an email too: refused, the password stays.
	one := dir.User("one@example.com")
	before := one.Password
	if r := a.Do(provisioningapi.ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": one.ID}, nil, ""); r.Status != 429 {
		t.Fatalf("a reset past the budget: %d %s", r.Status, r.Body)
	}
	a.Env.UseMail(&mail.Recorder{})
	a.Deliver()
	if one.Password != before {
		t.Error("a refused reset changed the password")
	}
	if r := a.Do(invitesapi.CreateInvite, &ada, org, nil, `{"email":"inv2@example.com","role":"user"}`); r.Status != 429 {
		t.Errorf("an invite after provisioning spent the budget: %d %s", r.Status, r.Body)
	}
}

// An account added as it is gets no credentials but a notice of who added it (API.md,
// provisioned members): that email goes to an address outside the org too, so it counts in
// the budget like the credentials it replaced, and the request is counted once, not twice.
func TestAnExistingAccountAddedAsItIsCountsItsNoticeOnce(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	rec := &mail.Recorder{}
	a.Env.UseMail(rec)
	a.Env.Config.DailyEmailLimit = 3
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.VerifiedDomain(ada, orgID, "example.com")
	a.Account(bob)
	dir.SignedUp(bob)
	org := map[string]string{"orgId": orgID}
	// bob@example.com has an account in the verified domain: added as he is, with a notice.
	r := a.Do(provisioningapi.CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"bob@example.com"},{"email":"new@example.com"}]}`)
	if r.Status != 200 || strings.Count(r.Body, `"status":"created"`) != 2 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"third@example.com"}`); r.Status != 201 {
		t.Errorf("the third email of a budget of 3: %d %s", r.Status, r.Body)
	}
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"fourth@example.com"}`); r.Status != 429 {
		t.Errorf("past the budget: %d %s", r.Status, r.Body)
	}
	a.Deliver()
	n := 0
	for _, m := range rec.Sent {
		if m.To == bob.Email {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bob got %d emails; want the one notice", n)
	}
}

func TestAnImportPastTheBudgetIsRefusedWholeAndItsUnsentEmailsComeBack(t *testing.T) {
	a, dir := importAPI(t)
	a.Env.Config.DailyEmailLimit = 3
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	four := []byte("email\nu1@example.com\nu2@example.com\nu3@example.com\nu4@example.com\n")
	a.Writes.Reset()
	if r := a.Upload(&ada, orgID, "text/csv", four, false); r.Status != 429 || !strings.Contains(r.Body, "needs 4") {
		t.Fatalf("an import past the budget: %d %s", r.Status, r.Body)
	}
	if len(a.Writes.All()) != 0 || len(dir.ByEmail) != 0 {
		t.Fatal("a refused import wrote or made users")
	}
	// Three rows, one of which fails when its chunk runs (its address was taken meanwhile):
	// the failed row's email comes back.
	three := []byte("email\nu1@example.com\nu2@example.com\nu3@example.com\n")
	r := a.Upload(&ada, orgID, "text/csv", three, false)
	if r.Status != 202 {
		t.Fatalf("commit: %d %s", r.Status, r.Body)
	}
	var job struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &job)
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"other@example.com"}`); r.Status != 429 {
		t.Fatalf("the import's emails were not counted at its start: %d %s", r.Status, r.Body)
	}
	dir.SignedUp(apitest.Person("u3")) // u3@example.com now has an account of its own
	a.Deliver()
	got := a.Do(provisioningapi.GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if !strings.Contains(got.Body, `"status":"done"`) || !strings.Contains(got.Body, `"created":2`) || !strings.Contains(got.Body, `"failed":1`) {
		t.Fatalf("job: %s", got.Body)
	}
	if r := a.Do(provisioningapi.CreateMember, &ada, org, nil, `{"email":"other@example.com"}`); r.Status != 201 {
		t.Errorf("the failed row's email was not given back: %d %s", r.Status, r.Body)
	}
}

// The acting user's budget (USER_DAILY_EMAIL_LIMIT) counts provisioning's emails across all
// the orgs they act in: a fresh org's budget is no way around it.
func TestProvisioningEmailsCountInTheUsersBudgetAcrossOrgs(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.Config.UserDailyEmailLimit = 2
	ada := apitest.Person("ada")
	first, second := a.Org(ada, "Acme"), a.Org(ada, "Acme Two")
	if r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": first}, nil, `{"email":"one@example.com"}`); r.Status != 201 {
		t.Fatalf("first create: %d %s", r.Status, r.Body)
	}
	// One email left for ada anywhere: a form of two from her second org is refused whole.
	r := a.Do(provisioningapi.CreateMembersBulk, &ada, map[string]string{"orgId": second}, nil, `{"members":[{"email":"b1@example.com"},{"email":"b2@example.com"}]}`)
	if r.Status != 429 || !strings.Contains(r.Body, "rate_limited") {
		t.Fatalf("a bulk past the user's budget from another org: %d %s", r.Status, r.Body)
	}
	if dir.User("b1@example.com") != nil {
		t.Error("a refused bulk made a directory user")
	}
	if r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": second}, nil, `{"email":"two@example.com"}`); r.Status != 201 {
		t.Fatalf("the user's second email: %d %s", r.Status, r.Body)
	}
	if r := a.Do(invitesapi.CreateInvite, &ada, map[string]string{"orgId": first}, nil, `{"email":"inv@example.com","role":"user"}`); r.Status != 429 {
		t.Errorf("an invite after the user's budget is spent: %d %s", r.Status, r.Body)
	}
}
