// Package sheets reads and writes XLSX workbooks, for the import of members and its template.
// It reads with xlsxreader, a small streaming reader (the rows of the first sheet, one at a
// time, formula cells as their cached values), and writes the template's few parts itself: a
// full spreadsheet library (excelize and the character sets it carries) doubled the package
// and the cold start of the two functions that need this. A function's main installs it
// (Install) only when its route reads or writes spreadsheets (Route.Spreadsheets).
package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/thedatashed/xlsxreader"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
)

// Install makes env read and write XLSX with this package.
func Install(env *app.Env) { env.UseSpreadsheets(XLSX{}) }

// XLSX implements provisioning.Spreadsheets.
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
// cached value (what the spreadsheet showed when it was saved), never a new evaluation; a
// date cell its ISO 8601 date; a boolean TRUE or FALSE. Trailing blank cells and rows are
// left out. The workbook is checked before it is read (Check): a file that would inflate too
// far, or whose first sheet says it is too large, is Invalid without being inflated; the
// rows are then streamed, never the whole sheet held.
func (XLSX) Rows(data []byte) ([][]string, error) {
	return rows(bytes.NewReader(data), int64(len(data)))
}

func rows(r io.ReaderAt, size int64) ([][]string, error) {
	if err := Check(r, size); err != nil {
		return nil, err
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
	}
	withStyles(z)
	book, err := xlsxreader.NewReaderZip(z)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
	}
	if len(book.Sheets) == 0 {
		return nil, apperr.New(apperr.Invalid, "the workbook has no sheet")
	}
	rowsOf := book.ReadRows(book.Sheets[0])
	out, err := readRows(rowsOf)
	// The reader hands rows over from its own goroutine until the sheet ends: whatever
	// stopped the read early, the rest is drained (Check bounded it), so that the goroutine
	// ends with the request.
	for range rowsOf {
	}
	if err != nil {
		return nil, err
	}
	// The reader takes a sheet that breaks off (bad XML, a part whose checksum fails) for
	// its end: the sheet is read through once more, so that such a file is refused rather
	// than imported in part.
	part, err := firstSheetPart(z)
	if err == nil {
		err = scan(z, part, func(xml.StartElement) bool { return true })
	}
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the first sheet can't be read to its end")
	}
	return out, nil
}

func readRows(rowsOf <-chan xlsxreader.Row) ([][]string, error) {
	var out [][]string
	filled := 0
	for row := range rowsOf {
		if row.Error != nil {
			return nil, apperr.New(apperr.Invalid, "row %d of the first sheet can't be read", row.Index)
		}
		var cols []string
		for _, c := range row.Cells {
			i := c.ColumnIndex()
			if i >= maxCols || i < 0 {
				if strings.TrimSpace(c.Value) == "" {
					continue
				}
				return nil, apperr.New(apperr.Invalid, "row %d has a value in column %d: an import has at most %d columns", row.Index, i+1, maxCols)
			}
			for len(cols) <= i {
				cols = append(cols, "")
			}
			cols[i] = cellText(c)
		}
		for len(cols) > 0 && strings.TrimSpace(cols[len(cols)-1]) == "" {
			cols = cols[:len(cols)-1]
		}
		if len(cols) == 0 {
			continue
		}
		n := row.Index
		if n < len(out)+1 {
			// Rows out of order, or without their numbers: each goes below the last.
			n = len(out) + 1
		}
		if n > lastRow {
			return nil, apperr.New(apperr.Invalid, "row %d has a value: an import's rows end by row %d", n, lastRow)
		}
		for len(out) < n-1 {
			out = append(out, nil) // the blank rows above keep their places
		}
		out = append(out, cols)
		if filled++; filled == maxRows {
			return out, nil
		}
	}
	return out, nil
}

// cellText is a cell's value as the import reads it: a boolean as Excel shows it, anything
// else as the reader gives it.
func cellText(c xlsxreader.Cell) string {
	if c.Type == xlsxreader.TypeBoolean {
		switch c.Value {
		case "1":
			return "TRUE"
		case "0":
			return "FALSE"
		}
	}
	return c.Value
}

// templateSheet is the one sheet's name.
const templateSheet = "Members"

// maxListFormula is the longest list of choices a data validation may spell out (Excel's
// limit on formula1 of a list: 255 characters).
const maxListFormula = 255

// Template returns a workbook whose first sheet has the header and one example row, with a
// drop-down of choices on column choiceCol (0-based) of the rows below the header. It is
// the five parts of a minimal SpreadsheetML package: the content types, the package's and
// the workbook's relationships, the workbook and its sheet, whose cells are inline strings.
func (XLSX) Template(header, example []string, choiceCol int, choices []string) ([]byte, error) {
	var sheet strings.Builder
	sheet.WriteString(xml.Header + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, row := range [][]string{header, example} {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, v := range row {
			fmt.Fprintf(&sheet, `<c r="%s%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, columnName(j), i+1, escape(v))
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData>`)
	if choiceCol >= 0 {
		list := `"` + strings.Join(choices, ",") + `"`
		// Excel writes the list's quotes as they are, and so does this (other readers take
		// either); a choice holding a comma or a quote can't be in such a list.
		if len(list) > maxListFormula+2 || strings.ContainsAny(strings.Join(choices, ""), `,"&<>`) {
			return nil, fmt.Errorf("the template's %d choices don't fit a drop-down list", len(choices))
		}
		col := columnName(choiceCol)
		fmt.Fprintf(&sheet, `<dataValidations count="1"><dataValidation type="list" errorStyle="stop" allowBlank="1" showErrorMessage="1" errorTitle="Unknown role" error="%s" sqref="%s2:%s1001"><formula1>"%s"</formula1></dataValidation></dataValidations>`,
			escape("Choose one of: "+strings.Join(choices, ", ")), col, col, escape(strings.Join(choices, ",")))
	}
	sheet.WriteString(`</worksheet>`)

	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="` + templateSheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
		{"xl/styles.xml", plainStyles},
	} {
		w, err := z.Create(part.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("write the template: %w", err)
	}
	return buf.Bytes(), nil
}

// plainStyles is a styles part with only the default style, which every reader takes.
const plainStyles = xml.Header + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// withStyles gives a workbook without a styles part (it is optional) the plain one, which
// the reader needs: without a style no cell is a date.
func withStyles(z *zip.Reader) {
	for _, f := range z.File {
		if f.Name == "xl/styles.xml" {
			return
		}
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	part, _ := w.Create("xl/styles.xml")
	_, _ = io.WriteString(part, plainStyles)
	_ = w.Close()
	if styles, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		z.File = append(z.File, styles.File...)
	}
}

// columnName is the letters of the 0-based column i: 0 → A, 25 → Z, 26 → AA.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// escape is s as XML character data or an attribute value, without the characters XML 1.0
// can't hold at all.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)))
	return b.String()
}
