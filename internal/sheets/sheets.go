// Package sheets reads and writes XLSX workbooks with excelize, for the import of members and
// its template. It is the only package that links excelize: a function's main installs it
// (Install) only when its route reads or writes spreadsheets (Route.Spreadsheets), so that
// the other functions neither link nor initialize it.
package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
)

// Install makes env read and write XLSX with excelize.
func Install(env *app.Env) { env.UseSpreadsheets(XLSX{}) }

// XLSX implements provisioning.Spreadsheets with excelize.
type XLSX struct{}

// What Rows reads, whatever the sheet's size claims: an import has at most 1,000 rows below
// its header (provisioning.MaxImportRows) of a few dozen columns.
const (
	// maxRows is the header, the 1,000 rows and one more: with it, the import's own count
	// refuses a longer sheet, instead of Rows cutting it short unseen.
	maxRows = 1002
	// maxCols bounds a row's cells: the import's own columns and up to 50 properties, with
	// room to spare. A cell far to the right (XFD) would make every row 16,384 cells.
	maxCols = 100
	// lastRow is the last row a value may be in: blank rows above one are kept in place (its
	// row number stays right), blank rows below the data (a formatted sheet) are skipped.
	lastRow = 20000
)

// Rows returns the cells of the first sheet, row by row, as text: a formula cell gives its
// cached value (what the spreadsheet showed when it was saved), never a new evaluation.
// Trailing blank cells and rows are left out. The workbook is checked before it is read
// (Check): a file that would inflate too far, or whose first sheet says it is too large, is
// Invalid without being inflated; the rows are then streamed, never the whole sheet held.
func (XLSX) Rows(data []byte) ([][]string, error) {
	return rows(bytes.NewReader(data), int64(len(data)))
}

func rows(r io.ReaderAt, size int64) ([][]string, error) {
	if err := Check(r, size); err != nil {
		return nil, err
	}
	// The limits again, for excelize's own reading: the check has seen that the workbook fits.
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{UnzipSizeLimit: MaxInflatedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.New(apperr.Invalid, "the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the first sheet can't be read")
	}
	defer rows.Close()
	var out [][]string
	filled, n := 0, 0
	for rows.Next() {
		n++
		// Columns returns a formula cell's cached value; excelize evaluates formulas only
		// in CalcCellValue, which is never called here.
		cols, err := rows.Columns(excelize.Options{RawCellValue: false})
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "row %d of the first sheet can't be read", n)
		}
		for len(cols) > 0 && strings.TrimSpace(cols[len(cols)-1]) == "" {
			cols = cols[:len(cols)-1]
		}
		if len(cols) > maxCols {
			return nil, apperr.New(apperr.Invalid, "row %d has a value in column %d: an import has at most %d columns", n, len(cols), maxCols)
		}
		if len(cols) == 0 {
			continue
		}
		if n > lastRow {
			return nil, apperr.New(apperr.Invalid, "row %d has a value: an import's rows end by row %d", n, lastRow)
		}
		for len(out) < n-1 {
			out = append(out, nil) // the blank rows above keep their places
		}
		out = append(out, slices.Clone(cols))
		if filled++; filled == maxRows {
			return out, nil
		}
	}
	if err := rows.Error(); err != nil {
		return nil, apperr.New(apperr.Invalid, "the first sheet can't be read")
	}
	return out, nil
}

// Template returns a workbook whose first sheet has the header and one example row, with a
// drop-down of choices on column choiceCol (0-based) of the rows below the header.
func (XLSX) Template(header, example []string, choiceCol int, choices []string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Members"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	for i, row := range [][]string{header, example} {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			return nil, err
		}
	}
	if choiceCol >= 0 {
		col, err := excelize.ColumnNumberToName(choiceCol + 1)
		if err != nil {
			return nil, err
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s1001", col, col)
		if err := dv.SetDropList(choices); err != nil {
			return nil, err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "Unknown role", "Choose one of: "+strings.Join(choices, ", "))
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, errors.Join(errors.New("write the template"), err)
	}
	return buf.Bytes(), nil
}
