package sheets_test

import (
	"bytes"
	"fmt"
	"runtime"
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
