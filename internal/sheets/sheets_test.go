package sheets_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/sheets"
)

func TestRowsRefusesCellsFarRightWithoutHoldingEveryColumnOfEveryRow(t *testing.T) {
	// A small file (the cells are few) whose every row reaches the last column, XFD: read
	// whole, each row would be 16,384 cells, a thousand rows a quarter of a gigabyte.
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"email", "name"})
	for r := 2; r <= 1001; r++ {
		_ = f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", r), &[]any{fmt.Sprintf("u%d@example.com", r), "U"})
		_ = f.SetCellValue("Sheet1", fmt.Sprintf("XFD%d", r), "x")
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rows, err := sheets.XLSX{}.Rows(buf.Bytes())
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(rows)
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("%d rows, %v; want Invalid naming the columns", len(rows), err)
	}
	if held := after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc); held > 64<<20 {
		t.Errorf("reading it held %d MiB", held>>20)
	}
}

func TestRowsKeepsBlankRowsInPlaceAndIgnoresThoseBelowTheData(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"email"})
	_ = f.SetSheetRow("Sheet1", "A4", &[]any{"x@example.com"})
	_ = f.SetRowHeight("Sheet1", 200000, 30) // a formatted, empty row far below
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := sheets.XLSX{}.Rows(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 4 || len(rows[3]) != 1 || rows[3][0] != "x@example.com" {
		t.Fatalf("rows %q: want the address in row 4", rows[:min(len(rows), 5)])
	}
}

func TestRowsRefusesASheetThatBreaksOff(t *testing.T) {
	tpl, err := sheets.XLSX{}.Template([]string{"email", "name"}, []string{"ada@example.com", "Ada"}, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The same workbook, its sheet cut off inside the second row.
	z, _ := zip.NewReader(bytes.NewReader(tpl), int64(len(tpl)))
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		if f.Name == "xl/worksheets/sheet1.xml" {
			b = b[:bytes.Index(b, []byte("Ada"))]
		}
		part, _ := w.Create(f.Name)
		_, _ = part.Write(b)
	}
	_ = w.Close()
	if rows, err := (sheets.XLSX{}).Rows(buf.Bytes()); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("rows %q, %v: want Invalid", rows, err)
	}
}

func TestTemplateReadsBackWithItsDropDown(t *testing.T) {
	tpl, err := sheets.XLSX{}.Template([]string{"email", "name", "role", "note"}, []string{"ada@example.com", "Ada & co <x>", "member", " lead "}, 2, []string{"admin", "member"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sheets.XLSX{}.Rows(tpl)
	if err != nil || len(rows) != 2 || rows[1][1] != "Ada & co <x>" || rows[1][3] != " lead " || rows[0][2] != "role" {
		t.Fatalf("%q %v", rows, err)
	}
	// Another library reads it as Excel would, the drop-down included.
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatal(err)
	}
	dvs, err := f.GetDataValidations(f.GetSheetList()[0])
	if err != nil || len(dvs) != 1 || dvs[0].Sqref != "C2:C1001" || dvs[0].Formula1 != `"admin,member"` {
		t.Fatalf("%+v %v", *dvs[0], err)
	}
	if _, err := (sheets.XLSX{}).Template([]string{"role"}, []string{"x"}, 0, []string{strings.Repeat("r", 300)}); err == nil {
		t.Error("a list of choices too long for Excel was written")
	}
}

func TestRowsGivesBooleansAndDatesAsTheyRead(t *testing.T) {
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"email", "active", "since", "n"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"ada@example.com", true, 45000, 42})
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle("Sheet1", "C2", "C2", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := sheets.XLSX{}.Rows(buf.Bytes())
	if err != nil || len(rows) != 2 || rows[1][1] != "TRUE" || rows[1][2] != "2023-03-15" || rows[1][3] != "42" {
		t.Fatalf("%q %v", rows, err)
	}
}
