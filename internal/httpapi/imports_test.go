package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/sheets"
)

// importAPI is a provisioning api that reads spreadsheets.
func importAPI(t *testing.T) (*api, *fakeDirectory) {
	a, dir := provisioningAPI(t)
	a.env.UseSpreadsheets(sheets.XLSX{})
	a.env.UseMail(&mail.Recorder{})
	return a, dir
}

// upload is a request of the import route carrying body with its content type.
func (a *api) upload(c *orgs.Caller, orgID, contentType string, body []byte, dryRun bool) reply {
	a.t.Helper()
	q := map[string]string{}
	if dryRun {
		q["dryRun"] = "true"
	}
	ev := a.request(ImportMembers, c, map[string]string{"orgId": orgID}, nil, "")
	if dryRun {
		ev.QueryStringParameters = q
		ev.RawQueryString = "dryRun=true"
	}
	ev.Headers["content-type"] = contentType
	if strings.HasPrefix(contentType, "text/") {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	resp, calls := a.invoke(ImportMembers, ev)
	return reply{status: resp.StatusCode, body: resp.Body, calls: calls}
}

// outboxChunks returns the import chunks the calls since the last reset wrote.
func (a *api) outboxChunks() []outbox.Message {
	a.t.Helper()
	var out []outbox.Message
	for _, w := range a.writes.all() {
		for _, it := range w.items {
			if !strings.HasPrefix(it.pk, "OUTBOX#") || it.put == nil {
				continue
			}
			var m struct {
				ID    string `dynamodbav:"id"`
				OrgID string `dynamodbav:"orgId"`
				Kind  string `dynamodbav:"kind"`
				Body  []byte `dynamodbav:"body"`
			}
			if err := attributevalue.UnmarshalMap(it.put, &m); err != nil {
				a.t.Fatal(err)
			}
			if m.Kind == string(provisioning.KindImportChunk) {
				out = append(out, outbox.Message{ID: m.ID, OrgID: m.OrgID, Kind: outbox.Kind(m.Kind), Body: m.Body})
			}
		}
	}
	return out
}

type dryRun struct {
	Results []struct {
		Index  int
		Row    int
		Status string
		Error  *struct{ Code, Message string }
	}
}

func TestImportDryRunChecksEveryRowAndWritesNothing(t *testing.T) {
	a, dir := importAPI(t)
	ada, bob := person("ada"), person("bob")
	orgID := a.org(ada, "Acme")
	a.member(orgID, bob, "user")
	a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"seats","label":"Seats","type":"number","required":false}]}`)
	csv := "\xef\xbb\xbfemail,name,role,seats\r\n" +
		"new1@example.com,New One,user,3\r\n" +
		"BOB@example.com,Bob,user,\r\n" + // a member already, in another case
		"new1@example.com,Again,user,\r\n" + // the file's duplicate: the later row
		"new2@example.com,New Two,admin,many\r\n" + // a wrong type
		",,,\r\n" + // a blank row is skipped
		"new3@example.com,New Three,owner,\r\n" // an unknown role
	a.writes.reset()
	r := a.upload(&ada, orgID, "text/csv", []byte(csv), true)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var got dryRun
	_ = json.Unmarshal([]byte(r.body), &got)
	want := []struct {
		row    int
		status string
	}{{2, "valid"}, {3, "error"}, {4, "error"}, {5, "error"}, {7, "error"}}
	if len(got.Results) != len(want) {
		t.Fatalf("results %s", r.body)
	}
	for i, w := range want {
		if got.Results[i].Row != w.row || got.Results[i].Status != w.status {
			t.Errorf("result %d: %+v, want row %d %s", i, got.Results[i], w.row, w.status)
		}
	}
	if len(a.writes.all()) != 0 || len(dir.byEmail) != 0 {
		t.Errorf("a dry run wrote %d items or made %d users", len(a.writes.all()), len(dir.byEmail))
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	a, _ := importAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	many := &strings.Builder{}
	many.WriteString("email\n")
	for i := 0; i < 1001; i++ {
		fmt.Fprintf(many, "u%d@example.com\n", i)
	}
	cases := map[string]struct {
		ct   string
		body []byte
		want int
		says string
	}{
		"a wrong content type":   {"application/json", []byte(`{"email":"x"}`), 400, "Content-Type"},
		"an empty file":          {"text/csv", nil, 400, "empty"},
		"no header":              {"text/csv", []byte("\n\n"), 400, "header"},
		"an unknown column":      {"text/csv", []byte("email,shoeSize\nx@example.com,42\n"), 400, "shoeSize"},
		"more than 1,000 rows":   {"text/csv", []byte(many.String()), 413, "1000"},
		"not an XLSX":            {provisioning.ContentTypeXLSX, []byte("email\nx@example.com\n"), 400, "XLSX"},
		"a broken XLSX":          {provisioning.ContentTypeXLSX, []byte("PK\x03\x04garbage"), 400, "XLSX"},
		"a header and no rows":   {"text/csv", []byte("email,name\n"), 400, "no rows"},
		"over 5 MiB":             {"text/csv", bytes.Repeat([]byte("a"), 5<<20+1), 413, "bytes"},
		"a CSV that is not text": {"text/csv", []byte("email\n\xff\xfe\n"), 400, "UTF-8"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := a.upload(&ada, orgID, c.ct, c.body, true)
			if r.status != c.want || !strings.Contains(r.body, c.says) {
				t.Errorf("%d %s; want %d saying %q", r.status, r.body, c.want, c.says)
			}
		})
	}
}

// xlsxWithFormula is a workbook whose email cell of row 2 is a formula with a cached value:
// the import must read what the sheet showed, never evaluate it.
func xlsxWithFormula(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"email", "name"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"cached@example.com", "From A Formula"})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"plain@example.com", "Plain"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// Put a formula in A2 that would give another address, keeping the cached value.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if zf.Name == "xl/worksheets/sheet1.xml" {
			s := string(data)
			i := strings.Index(s, `<c r="A2"`)
			j := strings.Index(s[i:], ">") + i + 1
			s = s[:j] + `<f>CONCATENATE("evil","@attacker.example")</f>` + s[j:]
			data = []byte(s)
		}
		w, _ := zw.Create(zf.Name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	return out.Bytes()
}

func TestImportCommitCreatesEachRowOnceEvenWhenAChunkRunsTwice(t *testing.T) {
	a, dir := importAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	xlsx := xlsxWithFormula(t)
	r := a.upload(&ada, orgID, provisioning.ContentTypeXLSX, xlsx, true)
	if r.status != 200 || !strings.Contains(r.body, `"status":"valid"`) || strings.Contains(r.body, `"status":"error"`) {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	a.writes.reset()
	r = a.upload(&ada, orgID, provisioning.ContentTypeXLSX, xlsx, false)
	// Authorization, the members' email guards (100 to a call), the transaction.
	if r.status != 202 || r.calls > 3 {
		t.Fatalf("commit: %d %s (%d calls)", r.status, r.body, r.calls)
	}
	var job struct{ ID, Status string }
	_ = json.Unmarshal([]byte(r.body), &job)
	chunks := a.outboxChunks()
	if len(chunks) != 1 || job.Status != "running" {
		t.Fatalf("chunks %d, job %s", len(chunks), r.body)
	}
	handle := a.env.ProvisioningHandlers()[provisioning.KindImportChunk]
	a.writes.reset()
	for i := 0; i < 2; i++ {
		if err := handle(context.Background(), chunks[0]); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if dir.user("cached@example.com") == nil || dir.user("evil@attacker.example") != nil {
		t.Error("the formula cell was not read as its cached value")
	}
	got := a.do(GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if got.status != 200 || got.calls > 2 || !strings.Contains(got.body, `"status":"done"`) || !strings.Contains(got.body, `"created":2`) {
		t.Fatalf("job: %d %s (%d calls)", got.status, got.body, got.calls)
	}
	mails := a.sealedMails()
	if len(mails) != 2 {
		t.Errorf("%d credential emails for 2 rows run twice; want 2", len(mails))
	}
	list := a.do(ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Count(list.body, `"source":"import"`) != 2 {
		t.Errorf("members %s", list.body)
	}
	evs := a.do(ListEvents, &ada, map[string]string{"orgId": orgID}, nil, "")
	for action, n := range map[string]int{"import.started": 1, "import.finished": 1, "member.imported": 2} {
		if c := strings.Count(evs.body, `"action":"`+action+`"`); c != n {
			t.Errorf("%d %s events, want %d", c, action, n)
		}
	}
	if r := a.do(GetImport, &ada, map[string]string{"orgId": orgID, "importId": "nope"}, nil, ""); r.status != 404 {
		t.Errorf("a bad import id: %d", r.status)
	}
}

func TestImportTemplateHasThePropertyKeysAndARoleDropDown(t *testing.T) {
	a, _ := importAPI(t)
	ada := person("ada")
	orgID := a.org(ada, "Acme")
	a.do(PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"costCenter","label":"Cost center","type":"string","required":true}]}`)
	csvResp := a.call(ImportTemplate, a.request(ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"csv"}}, ""))
	if csvResp.StatusCode != 200 || !strings.HasPrefix(csvResp.Headers["Content-Type"], "text/csv") ||
		!strings.HasPrefix(csvResp.Body, "email,name,role,phone,notifyEmail,costCenter\n") || !strings.Contains(csvResp.Headers["Content-Disposition"], "attachment") {
		t.Fatalf("csv: %d %v %q", csvResp.StatusCode, csvResp.Headers, csvResp.Body)
	}
	x := a.call(ImportTemplate, a.request(ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"xlsx"}}, ""))
	if x.StatusCode != 200 || x.Headers["Content-Type"] != provisioning.ContentTypeXLSX || !x.IsBase64Encoded {
		t.Fatalf("xlsx: %d %v", x.StatusCode, x.Headers)
	}
	raw, _ := base64.StdEncoding.DecodeString(x.Body)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dvs, err := f.GetDataValidations(f.GetSheetList()[0])
	if err != nil || len(dvs) != 1 || !strings.Contains(dvs[0].Formula1, "support_only") || !strings.HasPrefix(dvs[0].Sqref, "C2") {
		t.Fatalf("data validations %+v %v", dvs, err)
	}
	// The template, filled in, imports.
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 2 || rows[0][5] != "costCenter" {
		t.Fatalf("rows %v", rows)
	}
	if r := a.upload(&ada, orgID, provisioning.ContentTypeXLSX, raw, true); r.status != 200 || !strings.Contains(r.body, `"valid"`) {
		t.Errorf("the template's own example: %d %s", r.status, r.body)
	}
}

func TestSampleEventsOfProvisioningServe(t *testing.T) {
	a, _ := importAPI(t)
	ada := orgs.Caller{ID: sampleSub, Email: sampleEmail, EmailVerified: true, IssuedAt: harnessNow}
	orgID := a.org(ada, "Acme")
	for file, r := range map[string]*Route{"create-member.json": CreateMember, "import-members-csv.json": ImportMembers, "add-domain.json": AddDomain} {
		ev := loadEvent(t, file)
		ev.PathParameters["orgId"] = orgID
		resp := a.call(r, ev)
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			t.Errorf("%s: %d %s", file, resp.StatusCode, resp.Body)
		}
	}
}

func TestIdempotencyKeyMakesARepeatedImportReturnTheFirstJob(t *testing.T) {
	a, _ := importAPI(t)
	a.env.Now = func() time.Time { return time.Now().UTC() }
	ada := person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.org(ada, "Acme")
	send := func() events.APIGatewayV2HTTPResponse {
		ev := a.request(ImportMembers, &ada, map[string]string{"orgId": orgID}, nil, "email\nbob@example.com\n")
		ev.Headers["content-type"], ev.Headers["idempotency-key"] = "text/csv", "import-1"
		return a.call(ImportMembers, ev)
	}
	first, again := send(), send()
	if first.StatusCode != 202 || again.StatusCode != 202 || first.Body != again.Body {
		t.Fatalf("first %d %s, repeat %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
	}
}
