package provisioningapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/dynamo"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/eventsapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/provisioningapi"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/sheets"
)

// importAPI is a provisioning api that reads spreadsheets.
func importAPI(t *testing.T) (*apitest.API, *apitest.FakeDirectory) {
	a, dir := apitest.ProvisioningAPI(t)
	a.Env.UseSpreadsheets(sheets.XLSX{})
	a.Env.UseMail(&mail.Recorder{})
	return a, dir
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
	ada, bob := apitest.Person("ada"), apitest.Person("bob")
	orgID := a.Org(ada, "Acme")
	a.Member(orgID, bob, "user")
	a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"seats","label":"Seats","type":"number","required":false}]}`)
	csv := "\xef\xbb\xbfemail,name,role,seats\r\n" +
		"new1@example.com,New One,user,3\r\n" +
		"BOB@example.com,Bob,user,\r\n" + // a member already, in another case
		"new1@example.com,Again,user,\r\n" + // the file's duplicate: the later row
		"new2@example.com,New Two,admin,many\r\n" + // a wrong type
		",,,\r\n" + // a blank row is skipped
		"new3@example.com,New Three,owner,\r\n" // an unknown role
	a.Writes.Reset()
	r := a.Upload(&ada, orgID, "text/csv", []byte(csv), true)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var got dryRun
	_ = json.Unmarshal([]byte(r.Body), &got)
	want := []struct {
		row    int
		status string
	}{{2, "valid"}, {3, "error"}, {4, "error"}, {5, "error"}, {7, "error"}}
	if len(got.Results) != len(want) {
		t.Fatalf("results %s", r.Body)
	}
	for i, w := range want {
		if got.Results[i].Row != w.row || got.Results[i].Status != w.status {
			t.Errorf("result %d: %+v, want row %d %s", i, got.Results[i], w.row, w.status)
		}
	}
	if len(a.Writes.All()) != 0 || len(dir.ByEmail) != 0 {
		t.Errorf("a dry run wrote %d items or made %d users", len(a.Writes.All()), len(dir.ByEmail))
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	a, _ := importAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
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
			r := a.Upload(&ada, orgID, c.ct, c.body, true)
			if r.Status != c.want || !strings.Contains(r.Body, c.says) {
				t.Errorf("%d %s; want %d saying %q", r.Status, r.Body, c.want, c.says)
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
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	xlsx := xlsxWithFormula(t)
	r := a.Upload(&ada, orgID, provisioning.ContentTypeXLSX, xlsx, true)
	if r.Status != 200 || !strings.Contains(r.Body, `"status":"valid"`) || strings.Contains(r.Body, `"status":"error"`) {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	a.Writes.Reset()
	r = a.Upload(&ada, orgID, provisioning.ContentTypeXLSX, xlsx, false)
	// Authorization, the members' email guards (100 to a call), the transaction.
	if r.Status != 202 || r.Calls > 3 {
		t.Fatalf("commit: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	var job struct{ ID, Status string }
	_ = json.Unmarshal([]byte(r.Body), &job)
	chunks := a.OutboxChunks()
	if len(chunks) != 1 || job.Status != "running" {
		t.Fatalf("chunks %d, job %s", len(chunks), r.Body)
	}
	handle := a.Env.ProvisioningHandlers()[provisioning.KindImportChunk]
	a.Writes.Reset()
	for i := 0; i < 2; i++ {
		if err := handle(context.Background(), chunks[0]); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if dir.User("cached@example.com") == nil || dir.User("evil@attacker.example") != nil {
		t.Error("the formula cell was not read as its cached value")
	}
	got := a.Do(provisioningapi.GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if got.Status != 200 || got.Calls > 2 || !strings.Contains(got.Body, `"status":"done"`) || !strings.Contains(got.Body, `"created":2`) {
		t.Fatalf("job: %d %s (%d calls)", got.Status, got.Body, got.Calls)
	}
	mails := a.SealedMails()
	if len(mails) != 2 {
		t.Errorf("%d credential emails for 2 rows run twice; want 2", len(mails))
	}
	list := a.Do(membersapi.ListMembers, &ada, map[string]string{"orgId": orgID}, nil, "")
	if strings.Count(list.Body, `"source":"import"`) != 2 {
		t.Errorf("members %s", list.Body)
	}
	evs := a.Do(eventsapi.ListEvents, &ada, map[string]string{"orgId": orgID}, nil, "")
	for action, n := range map[string]int{"import.started": 1, "import.finished": 1, "member.imported": 2} {
		if c := strings.Count(evs.Body, `"action":"`+action+`"`); c != n {
			t.Errorf("%d %s events, want %d", c, action, n)
		}
	}
	if r := a.Do(provisioningapi.GetImport, &ada, map[string]string{"orgId": orgID, "importId": "nope"}, nil, ""); r.Status != 404 {
		t.Errorf("a bad import id: %d", r.Status)
	}
}

// countingDirectory counts the calls an import makes to the identity provider.
type countingDirectory struct {
	*apitest.FakeDirectory
	creates, others atomic.Int64
}

func (d *countingDirectory) CreateUser(ctx context.Context, email string, verified bool, pw string) (provisioning.DirectoryUser, error) {
	d.creates.Add(1)
	return d.FakeDirectory.CreateUser(ctx, email, verified, pw)
}

func (d *countingDirectory) SetTemporaryPassword(ctx context.Context, id, pw string) error {
	d.others.Add(1)
	return d.FakeDirectory.SetTemporaryPassword(ctx, id, pw)
}

func (d *countingDirectory) DeleteUser(ctx context.Context, id string) error {
	d.others.Add(1)
	return d.FakeDirectory.DeleteUser(ctx, id)
}

// An import's time is its rows' round trips: what a thousand-row import costs in AWS, and in
// local mode (TestImportOfAThousandRowsFinishes, where the stand-ins' work per round trip is
// most of it), follows from these counts. A row is one directory call and one transaction;
// a chunk adds its reads (authorization, the rows done, the job), and the last its finish.
// A chunk run again (a redelivered record) makes no row's calls.
func TestImportCostsOneDirectoryCallAndOneTransactionPerRow(t *testing.T) {
	a, fake := importAPI(t)
	dir := &countingDirectory{FakeDirectory: fake}
	a.Env.UseDirectory(dir)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	const rows = provisioning.ImportChunk + 7
	var csv strings.Builder
	csv.WriteString("email,name\r\n")
	for i := range rows {
		fmt.Fprintf(&csv, "row%03d@example.com,Row %d\r\n", i, i)
	}
	a.Writes.Reset()
	r := a.Upload(&ada, orgID, "text/csv", []byte(csv.String()), false)
	var job struct{ ID string }
	// Authorization, the members' email guards (100 to a call), the transaction.
	if err := json.Unmarshal([]byte(r.Body), &job); r.Status != 202 || err != nil || r.Calls != 2+(rows+99)/100 {
		t.Fatalf("commit: %d %s (%d calls)", r.Status, r.Body, r.Calls)
	}
	chunks := a.OutboxChunks()
	if len(chunks) != 2 {
		t.Fatalf("%d chunks for %d rows", len(chunks), rows)
	}
	handle := a.Env.ProvisioningHandlers()[provisioning.KindImportChunk]
	run := func(m outbox.Message) (calls int, creates, others int64) {
		t.Helper()
		ctx, counter := dynamo.WithCallCounter(context.Background())
		c0, o0, r0 := dir.creates.Load(), dir.others.Load(), dynamo.ConflictRetries()
		if err := handle(ctx, m); err != nil {
			t.Fatal(err)
		}
		// A transaction tried again after a conflict is the same write (the package's tests
		// run one at a time, so the process's count is this run's).
		retries := int(dynamo.ConflictRetries() - r0)
		return counter.Calls() - retries, dir.creates.Load() - c0, dir.others.Load() - o0
	}
	done := 0
	for i, m := range chunks {
		n := min(provisioning.ImportChunk, rows-done)
		done += n
		reads := 3
		if i == len(chunks)-1 {
			reads++ // FinishImport
		}
		if calls, creates, others := run(m); calls != n+reads || creates != int64(n) || others != 0 {
			t.Errorf("chunk %d of %d rows: %d DynamoDB calls, %d creates and %d other directory calls; want %d, %d, 0", i, n, calls, creates, others, n+reads, n)
		}
	}
	if calls, creates, others := run(chunks[0]); calls != 3 || creates != 0 || others != 0 {
		t.Errorf("a chunk run again: %d DynamoDB calls, %d directory calls; want 3 reads and none", calls, creates+others)
	}
	got := a.Do(provisioningapi.GetImport, &ada, map[string]string{"orgId": orgID, "importId": job.ID}, nil, "")
	if !strings.Contains(got.Body, `"status":"done"`) || !strings.Contains(got.Body, fmt.Sprintf(`"created":%d`, rows)) {
		t.Errorf("job %s", got.Body)
	}
	if mails := a.SealedMails(); len(mails) != rows {
		t.Errorf("%d credential emails for %d rows", len(mails), rows)
	}
}

func TestImportTemplateHasThePropertyKeysAndARoleDropDown(t *testing.T) {
	a, _ := importAPI(t)
	ada := apitest.Person("ada")
	orgID := a.Org(ada, "Acme")
	a.Do(provisioningapi.PutUserProperties, &ada, map[string]string{"orgId": orgID}, nil, `{"items":[{"key":"costCenter","label":"Cost center","type":"string","required":true}]}`)
	csvResp := a.Call(provisioningapi.ImportTemplate, a.Request(provisioningapi.ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"csv"}}, ""))
	if csvResp.StatusCode != 200 || !strings.HasPrefix(csvResp.Headers["Content-Type"], "text/csv") ||
		!strings.HasPrefix(csvResp.Body, "email,name,role,phone,notifyEmail,costCenter\n") || !strings.Contains(csvResp.Headers["Content-Disposition"], "attachment") {
		t.Fatalf("csv: %d %v %q", csvResp.StatusCode, csvResp.Headers, csvResp.Body)
	}
	x := a.Call(provisioningapi.ImportTemplate, a.Request(provisioningapi.ImportTemplate, &ada, map[string]string{"orgId": orgID}, map[string][]string{"format": {"xlsx"}}, ""))
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
	if r := a.Upload(&ada, orgID, provisioning.ContentTypeXLSX, raw, true); r.Status != 200 || !strings.Contains(r.Body, `"valid"`) {
		t.Errorf("the template's own example: %d %s", r.Status, r.Body)
	}
}

func TestSampleEventsOfProvisioningServe(t *testing.T) {
	a, _ := importAPI(t)
	ada := orgs.Caller{ID: apitest.SampleSub, Email: apitest.SampleEmail, EmailVerified: true, IssuedAt: apitest.HarnessNow}
	orgID := a.Org(ada, "Acme")
	for file, r := range map[string]*httpapi.Route{"create-member.json": provisioningapi.CreateMember, "import-members-csv.json": provisioningapi.ImportMembers, "add-domain.json": provisioningapi.AddDomain} {
		ev := apitest.LoadEvent(t, file)
		ev.PathParameters["orgId"] = orgID
		resp := a.Call(r, ev)
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			t.Errorf("%s: %d %s", file, resp.StatusCode, resp.Body)
		}
	}
}

func TestIdempotencyKeyMakesARepeatedImportReturnTheFirstJob(t *testing.T) {
	a, _ := importAPI(t)
	a.Env.Now = func() time.Time { return time.Now().UTC() }
	ada := apitest.Person("ada")
	ada.IssuedAt = time.Now()
	orgID := a.Org(ada, "Acme")
	send := func() events.APIGatewayV2HTTPResponse {
		ev := a.Request(provisioningapi.ImportMembers, &ada, map[string]string{"orgId": orgID}, nil, "email\nbob@example.com\n")
		ev.Headers["content-type"], ev.Headers["idempotency-key"] = "text/csv", "import-1"
		return a.Call(provisioningapi.ImportMembers, ev)
	}
	first, again := send(), send()
	if first.StatusCode != 202 || again.StatusCode != 202 || first.Body != again.Body {
		t.Fatalf("first %d %s, repeat %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
	}
}
