package audit

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func csvOf(t *testing.T, evs ...Event) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewCSVWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCSVStartsWithTheHeaderRowEvenWhenEmpty(t *testing.T) {
	want := "id,occurredAt,category,action,actorType,actorId,actorEmail,targetType,targetId,targetLabel,ip,userAgent,summary,details\r\n"
	if got := csvOf(t); got != want {
		t.Errorf("got %q", got)
	}
}

func TestCSVQuotesCommasQuotesAndLineBreaksPerRFC4180(t *testing.T) {
	e := Event{
		ID: "01jd0000000000000000000000", OccurredAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Category: Organization, Action: "org.updated",
		Actor:   Actor{Type: ActorUser, ID: "u1", Email: "ada@example.com"},
		Target:  Target{Type: "org", ID: "o1", Label: `Acme, "the" robots`},
		Summary: "line one\r\nline two\nthree",
		Details: map[string]any{"name": `a,"b"`},
	}
	got := csvOf(t, e)
	row := strings.SplitN(got, "\r\n", 2)[1]
	wantRow := `01jd0000000000000000000000,2026-11-22T10:00:00.000Z,organization,org.updated,user,u1,ada@example.com,org,o1,` +
		`"Acme, ""the"" robots",,,"line one` + "\r\n" + `line two` + "\r\n" + `three","{""name"":""a,\""b\""""}"` + "\r\n"
	if row != wantRow {
		t.Errorf("row\n got %q\nwant %q", row, wantRow)
	}
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// With CRLF line ends, a line break inside a field is written as \r\n too, and read back
	// as \n.
	if diff := cmp.Diff([]string{`Acme, "the" robots`, "line one\nline two\nthree", `{"name":"a,\"b\""}`},
		[]string{records[1][9], records[1][12], records[1][13]}); diff != "" {
		t.Error(diff)
	}
}

func TestCSVNeutralizesCellsThatSpreadsheetsRunAsFormulas(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil","x")`: `'=HYPERLINK("http://evil","x")`,
		"+1+1":                          "'+1+1",
		"-2+3":                          "'-2+3",
		"@SUM(A1)":                      "'@SUM(A1)",
		"\t=1":                          "'\t=1",
		"\r=1":                          "'\r=1",
		"a=1":                           "a=1",
		"":                              "",
		"'quoted":                       "'quoted",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
	e := Event{ID: "01jd0000000000000000000000", Target: Target{Label: "=cmd|' /C calc'!A0"}, Actor: Actor{Email: "-x@example.com"}}
	records, err := csv.NewReader(strings.NewReader(csvOf(t, e))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if records[1][9] != "'=cmd|' /C calc'!A0" || records[1][6] != "'-x@example.com" {
		t.Errorf("row %q", records[1])
	}
}
