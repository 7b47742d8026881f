package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/mail"
)

// The org's daily email budget (ORG_DAILY_EMAIL_LIMIT) counts provisioning's emails as it
// counts invitations': one budget, a request that would pass it refused whole, nothing of it
// written or made in the directory.

func TestProvisioningEmailsShareTheDailyBudgetWithInvitesAndAreRefusedWhole(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.Config.DailyEmailLimit = 4
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"one@example.com"}`); r.status != 201 || r.calls > 2 {
		t.Fatalf("first create: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	if r := a.do(CreateInvite, &ada, org, nil, `{"email":"inv@example.com","role":"user"}`); r.status != 201 {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	// Two emails are left: a form of three is refused whole, before anyone is made.
	r := a.do(CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"b1@example.com"},{"email":"b2@example.com"},{"email":"b3@example.com"}]}`)
	if r.status != 429 || !strings.Contains(r.body, "rate_limited") || !strings.Contains(r.body, "needs 3") {
		t.Fatalf("a bulk past the budget: %d %s", r.status, r.body)
	}
	if dir.user("b1@example.com") != nil {
		t.Error("a refused bulk made a directory user")
	}
	// A failed item gives its email back: two valid of three leave the budget spent.
	r = a.do(CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"b1@example.com"},{"email":"bad"},{"email":"b2@example.com"}]}`)
	if r.status != 200 || strings.Count(r.body, `"status":"created"`) != 2 {
		t.Fatalf("a bulk within the budget: %d %s", r.status, r.body)
	}
	// Spent: a single create is refused in its transaction, and the user it made is gone.
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"late@example.com"}`); r.status != 429 {
		t.Fatalf("a create past the budget: %d %s", r.status, r.body)
	}
	if dir.user("late@example.com") != nil {
		t.Error("the refused create left its directory user")
	}
	if r := a.do(ListMembers, &ada, org, nil, ""); strings.Contains(r.body, "late@example.com") || strings.Count(r.body, `"userId"`) != 4 {
		t.Errorf("members after the refusals: %s", r.body)
	}
	// A password reset is an email too: refused, the password stays.
	one := dir.user("one@example.com")
	before := one.password
	if r := a.do(ResetMemberPassword, &ada, map[string]string{"orgId": orgID, "userId": one.id}, nil, ""); r.status != 429 {
		t.Fatalf("a reset past the budget: %d %s", r.status, r.body)
	}
	a.env.UseMail(&mail.Recorder{})
	a.deliver()
	if one.password != before {
		t.Error("a refused reset changed the password")
	}
	if r := a.do(CreateInvite, &ada, org, nil, `{"email":"inv2@example.com","role":"user"}`); r.status != 429 {
		t.Errorf("an invite after provisioning spent the budget: %d %s", r.status, r.body)
	}
}

// An account added as it is gets no credentials but a notice of who added it (API.md,
// provisioned members): that email goes to an address outside the org too, so it counts in
// the budget like the credentials it replaced, and the request is counted once, not twice.
func TestAnExistingAccountAddedAsItIsCountsItsNoticeOnce(t *testing.T) {
	a, dir := provisioningAPI(t)
	rec := &mail.Recorder{}
	a.env.UseMail(rec)
	a.env.Config.DailyEmailLimit = 3
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.verifiedDomain(ada, orgID, "example.com")
	a.account(bob)
	dir.signedUp(bob)
	org := map[string]string{"orgId": orgID}
	// bob@example.com has an account in the verified domain: added as he is, with a notice.
	r := a.do(CreateMembersBulk, &ada, org, nil, `{"members":[{"email":"bob@example.com"},{"email":"new@example.com"}]}`)
	if r.status != 200 || strings.Count(r.body, `"status":"created"`) != 2 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"third@example.com"}`); r.status != 201 {
		t.Errorf("the third email of a budget of 3: %d %s", r.status, r.body)
	}
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"fourth@example.com"}`); r.status != 429 {
		t.Errorf("past the budget: %d %s", r.status, r.body)
	}
	a.deliver()
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
	a.env.Config.DailyEmailLimit = 3
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	org := map[string]string{"orgId": orgID}
	four := []byte("email\nu1@example.com\nu2@example.com\nu3@example.com\nu4@example.com\n")
	a.writes.reset()
	if r := a.upload(&ada, orgID, "text/csv", four, false); r.status != 429 || !strings.Contains(r.body, "needs 4") {
		t.Fatalf("an import past the budget: %d %s", r.status, r.body)
	}
	if len(a.writes.all()) != 0 || len(dir.byEmail) != 0 {
		t.Fatal("a refused import wrote or made users")
	}
	// Three rows, one of which fails when its chunk runs (its address was taken meanwhile):
	// the failed row's email comes back.
	three := []byte("email\nu1@example.com\nu2@example.com\nu3@example.com\n")
	r := a.upload(&ada, orgID, "text/csv", three, false)
	if r.status != 202 {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	var job struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &job)
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"other@example.com"}`); r.status != 429 {
		t.Fatalf("the import's emails were not counted at its start: %d %s", r.status, r.body)
	}
	dir.signedUp(person("u3")) // u3@example.com now has an account of its own
	a.deliver()
	got := a.do(GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if !strings.Contains(got.body, `"status":"done"`) || !strings.Contains(got.body, `"created":2`) || !strings.Contains(got.body, `"failed":1`) {
		t.Fatalf("job: %s", got.body)
	}
	if r := a.do(CreateMember, &ada, org, nil, `{"email":"other@example.com"}`); r.status != 201 {
		t.Errorf("the failed row's email was not given back: %d %s", r.status, r.body)
	}
}

// The acting user's budget (USER_DAILY_EMAIL_LIMIT) counts provisioning's emails across all
// the orgs they act in: a fresh org's budget is no way around it.
func TestProvisioningEmailsCountInTheUsersBudgetAcrossOrgs(t *testing.T) {
	a, dir := provisioningAPI(t)
	a.env.Config.UserDailyEmailLimit = 2
	ada := person("ada")
	first, second := a.org(ada, "Acme"), a.org(ada, "Acme Two")
	if r := a.do(CreateMember, &ada, map[string]string{"orgId": first}, nil, `{"email":"one@example.com"}`); r.status != 201 {
		t.Fatalf("first create: %d %s", r.status, r.body)
	}
	// One email left for ada anywhere: a form of two from her second org is refused whole.
	r := a.do(CreateMembersBulk, &ada, map[string]string{"orgId": second}, nil, `{"members":[{"email":"b1@example.com"},{"email":"b2@example.com"}]}`)
	if r.status != 429 || !strings.Contains(r.body, "rate_limited") {
		t.Fatalf("a bulk past the user's budget from another org: %d %s", r.status, r.body)
	}
	if dir.user("b1@example.com") != nil {
		t.Error("a refused bulk made a directory user")
	}
	if r := a.do(CreateMember, &ada, map[string]string{"orgId": second}, nil, `{"email":"two@example.com"}`); r.status != 201 {
		t.Fatalf("the user's second email: %d %s", r.status, r.body)
	}
	if r := a.do(CreateInvite, &ada, map[string]string{"orgId": first}, nil, `{"email":"inv@example.com","role":"user"}`); r.status != 429 {
		t.Errorf("an invite after the user's budget is spent: %d %s", r.status, r.body)
	}
}
