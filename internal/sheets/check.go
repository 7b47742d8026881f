package sheets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
)

// The bounds of a workbook that is read at all, checked before anything is inflated.
const (
	// MaxInflatedBytes is the most the parts of a workbook may inflate to together, as its
	// zip central directory declares them (Go's zip reader refuses a part that inflates past
	// its declared size, so the declaration binds). An import's 5 MiB of real rows inflate to
	// well under it; a zip bomb's parts don't.
	MaxInflatedBytes = 50 << 20
	// MaxSheetRows is the header and an import's 1,000 rows (provisioning.MaxImportRows):
	// a first sheet whose dimension reaches past it is refused before its rows are read.
	MaxSheetRows = 1 + 1000
	// MaxSheetColumns is the most columns the first sheet's dimension may span.
	MaxSheetColumns = maxCols
	// MaxSharedStringsBytes bounds the shared strings part, the text of the cells: the text
	// of 1,000 real rows within the 5 MiB limit inflates to less.
	MaxSharedStringsBytes = 24 << 20
	// MaxSharedStrings bounds its entries, which a reader indexes whole before the first
	// cell is read (tens of bytes of heap an entry, however short: 16 MiB of one-letter
	// entries took 332 MiB): a sheet of MaxSheetRows rows of MaxSheetColumns cells has no more
	// distinct texts.
	MaxSharedStrings = MaxSheetRows * MaxSheetColumns
)

// Check refuses, as Invalid, a workbook that is no zip, whose parts would inflate past
// MaxInflatedBytes, or whose first sheet's dimension (the range of its used cells, which
// Excel, LibreOffice and excelize write at the head of the sheet) spans more than
// MaxSheetRows rows or MaxSheetColumns columns. It reads the zip's central directory and
// inflates only the workbook's small index parts and the head of the first sheet, up to its
// dimension: never the sheet's rows or the shared strings. A sheet without a dimension is
// left to the streaming read's own bounds.
func Check(r io.ReaderAt, size int64) error {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > MaxInflatedBytes {
			return apperr.New(apperr.Invalid, "the workbook would inflate to more than %d MiB: an import's XLSX holds at most %d rows of text", MaxInflatedBytes>>20, MaxSheetRows-1)
		}
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > MaxSharedStringsBytes {
			return apperr.New(apperr.Invalid, "the workbook's text would inflate to more than %d MiB: an import's XLSX holds at most %d rows of text", MaxSharedStringsBytes>>20, MaxSheetRows-1)
		}
	}
	if err := checkSharedStrings(z); err != nil {
		return err
	}
	part, err := firstSheetPart(z)
	if err != nil {
		return apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
	}
	ref, err := dimension(z, part)
	if err != nil {
		return apperr.New(apperr.Invalid, "the first sheet can't be read")
	}
	if ref == "" {
		return nil
	}
	cols, rows, err := span(ref)
	if err != nil {
		return apperr.New(apperr.Invalid, "the first sheet's dimension %q is not a cell range", ref)
	}
	switch {
	case rows > MaxSheetRows:
		return apperr.New(apperr.Invalid, "the first sheet has %d rows: an import has a header and at most %d rows", rows, MaxSheetRows-1)
	case cols > MaxSheetColumns:
		return apperr.New(apperr.Invalid, "the first sheet has %d columns: an import has at most %d", cols, MaxSheetColumns)
	}
	return nil
}

// checkSharedStrings counts the entries of the shared strings part as it streams by, with a
// scan of its bytes (no XML decoding, nothing kept), stopping past MaxSharedStrings.
func checkSharedStrings(z *zip.Reader) error {
	for _, f := range z.File {
		if !strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return apperr.New(apperr.Invalid, "the body is not a readable XLSX workbook")
		}
		defer rc.Close()
		n, err := countElements(bufio.NewReaderSize(rc, 64<<10), "si", MaxSharedStrings+1)
		if err != nil {
			return apperr.New(apperr.Invalid, "the workbook's text can't be read")
		}
		if n > MaxSharedStrings {
			return apperr.New(apperr.Invalid, "the workbook holds more than %d texts: an import has at most %d rows of %d columns", MaxSharedStrings, MaxSheetRows-1, MaxSheetColumns)
		}
	}
	return nil
}

// countElements counts the start tags of local name (with or without a namespace prefix) in
// r, up to limit.
func countElements(r *bufio.Reader, local string, limit int) (int, error) {
	n := 0
	for n < limit {
		if _, err := r.ReadSlice('<'); err == io.EOF {
			return n, nil
		} else if err != nil && err != bufio.ErrBufferFull {
			return n, err
		} else if err == bufio.ErrBufferFull {
			continue
		}
		head, _ := r.Peek(64)
		end := bytes.IndexAny(head, " \t\r\n/>")
		if end < 0 {
			continue
		}
		name := head[:end]
		if i := bytes.IndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		if string(name) == local {
			n++
		}
	}
	return n, nil
}

// firstSheetPart is the zip path of the workbook's first sheet: the first <sheet> of
// xl/workbook.xml, through its relationship in xl/_rels/workbook.xml.rels.
func firstSheetPart(z *zip.Reader) (string, error) {
	var relID string
	err := scan(z, "xl/workbook.xml", func(e xml.StartElement) bool {
		if e.Name.Local != "sheet" {
			return true
		}
		for _, a := range e.Attr {
			if a.Name.Local == "id" && strings.Contains(a.Name.Space, "relationships") {
				relID = a.Value
			}
		}
		return false
	})
	if err != nil || relID == "" {
		return "", errors.Join(errors.New("no first sheet"), err)
	}
	var target string
	err = scan(z, "xl/_rels/workbook.xml.rels", func(e xml.StartElement) bool {
		if e.Name.Local != "Relationship" {
			return true
		}
		var id, t string
		for _, a := range e.Attr {
			switch a.Name.Local {
			case "Id":
				id = a.Value
			case "Target":
				t = a.Value
			}
		}
		if id == relID {
			target = t
			return false
		}
		return true
	})
	if err != nil || target == "" {
		return "", errors.Join(errors.New("no first sheet's part"), err)
	}
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/"), nil
	}
	return path.Join("xl", target), nil
}

// dimension returns the ref of the sheet's <dimension> ("" when the sheet has none before
// its data), reading the part only that far.
func dimension(z *zip.Reader, part string) (string, error) {
	var ref string
	err := scan(z, part, func(e xml.StartElement) bool {
		switch e.Name.Local {
		case "dimension":
			for _, a := range e.Attr {
				if a.Name.Local == "ref" {
					ref = a.Value
				}
			}
			return false
		case "sheetData":
			return false
		}
		return true
	})
	return ref, err
}

// scan streams the elements of the zip part name to visit until it answers false.
func scan(z *zip.Reader, name string, visit func(xml.StartElement) bool) error {
	for _, f := range z.File {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		d := xml.NewDecoder(rc)
		for {
			tok, err := d.Token()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if e, ok := tok.(xml.StartElement); ok && !visit(e) {
				return nil
			}
		}
	}
	return errors.New("no part " + name)
}

// span is the last column and the last row of a dimension ref ("A1:CV1001", or one cell
// "A1"): what the import reads counts from A1 whatever the range's top-left (blank rows and
// columns keep their places).
func span(ref string) (cols, rows int, err error) {
	from, to, ok := strings.Cut(ref, ":")
	if !ok {
		to = from
	}
	c1, r1, err := cellCoordinates(from)
	if err != nil {
		return 0, 0, err
	}
	c2, r2, err := cellCoordinates(to)
	if err != nil {
		return 0, 0, err
	}
	return max(c1, c2), max(r1, r2), nil
}

// cellCoordinates returns the 1-based column and row of a cell reference such as "CV1001"
// (absolute references' "$" allowed).
func cellCoordinates(ref string) (col, row int, err error) {
	ref = strings.ReplaceAll(ref, "$", "")
	i := 0
	for i < len(ref) && (ref[i] >= 'A' && ref[i] <= 'Z' || ref[i] >= 'a' && ref[i] <= 'z') {
		col = col*26 + int(ref[i]|0x20-'a'+1)
		if i++; col > maxSheetColumn {
			return 0, 0, fmt.Errorf("cell %q: no such column", ref)
		}
	}
	if i == 0 || i == len(ref) {
		return 0, 0, fmt.Errorf("cell %q: no column or no row", ref)
	}
	row, err = strconv.Atoi(ref[i:])
	if err != nil || row < 1 || row > maxSheetRow || ref[i] == '+' || ref[i] == '-' {
		return 0, 0, fmt.Errorf("cell %q: no such row", ref)
	}
	return col, row, nil
}

// The last column (XFD) and row a worksheet can have.
const (
	maxSheetColumn = 16384
	maxSheetRow    = 1048576
)
