package sheets

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/vendorportal/orgs/internal/apperr"
)

// countingReader is the body of an upload that counts the bytes read from it.
type countingReader struct {
	r    *bytes.Reader
	read atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read.Add(int64(n))
	return n, err
}

// workbook is an XLSX whose first sheet has rows, written by excelize, with the dimension
// dim when not "" (Excel and LibreOffice write the used range there; excelize leaves "A1"
// unless told).
func workbook(t testing.TB, dim string, rows map[string][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for cell, row := range rows {
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if dim != "" {
		if err := f.SetSheetDimension("Sheet1", dim); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombInflated is what the bomb's sheet inflates to.
const bombInflated = 400 << 20

var (
	bombOnce sync.Once
	bomb     []byte
)

// zipBomb is a real XLSX (excelize's, with its header row) whose first sheet is padded with
// 400 MiB of blanks between its elements: well-formed, a few MiB on the wire, 400 MiB inflated.
func zipBomb(t testing.TB) []byte {
	bombOnce.Do(func() {
		src := workbook(t, "A1:B1", map[string][]any{"A1": {"email", "name"}})
		z, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) { return flate.NewWriter(out, flate.BestSpeed) })
		for _, f := range z.File {
			if f.Name != "xl/worksheets/sheet1.xml" {
				if err := w.Copy(f); err != nil {
					t.Fatal(err)
				}
				continue
			}
			rc, _ := f.Open()
			sheet, _ := io.ReadAll(rc)
			rc.Close()
			at := bytes.Index(sheet, []byte("<sheetData>"))
			ww, err := w.Create(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = ww.Write(sheet[:at])
			pad := bytes.Repeat([]byte(" "), 1<<20)
			for range bombInflated >> 20 {
				_, _ = ww.Write(pad)
			}
			_, _ = ww.Write(sheet[at:])
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		bomb = buf.Bytes()
	})
	return bomb
}

// Issue 21, finding 12: a file within the 5 MiB limit that inflates to 400 MiB is refused at
// once, from its zip directory, never inflated: less is read of it than the compressed sheet
// alone (how long the refusal takes is BenchmarkRowsRefusesAZipBomb's).
func TestRowsRefusesAZipBombWithoutInflatingIt(t *testing.T) {
	b := zipBomb(t)
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var sheet *zip.File
	for _, f := range z.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			sheet = f
		}
	}
	if sheet == nil || sheet.UncompressedSize64 < bombInflated || len(b) > 5<<20 {
		t.Fatalf("the bomb: %d bytes, its sheet %+v", len(b), sheet)
	}
	body := &countingReader{r: bytes.NewReader(b)}
	rows, err := rows(body, int64(len(b)))
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), "inflate") {
		t.Fatalf("%d rows, %v; want Invalid saying it would inflate too far", len(rows), err)
	}
	if read := body.read.Load(); read >= int64(sheet.CompressedSize64) {
		t.Errorf("the refusal read %d bytes of a file whose compressed sheet is %d: it inflated the sheet", read, sheet.CompressedSize64)
	}
}

// A sheet whose dimension spans more than the header and 1,000 rows, or more than 100
// columns, is refused before its rows are read.
func TestRowsRefusesASheetDeclaringTooManyRowsOrColumns(t *testing.T) {
	for name, c := range map[string]struct {
		dim  string
		rows map[string][]any
		want string
	}{
		"1,001 rows below the header":         {"A1:A1002", map[string][]any{"A1": {"email"}, "A1002": {"x@example.com"}}, "rows"},
		"101 columns":                         {"A1:CW2", map[string][]any{"A1": {"email"}, "CW2": {"x"}}, "columns"},
		"a dimension claiming a million rows": {"A1:B1048576", map[string][]any{"A1": {"email"}}, "rows"},
	} {
		b := workbook(t, c.dim, c.rows)
		body := &countingReader{r: bytes.NewReader(b)}
		_, err := rows(body, int64(len(b)))
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), c.want) {
			t.Errorf("%s: %v; want Invalid naming the %s", name, err, c.want)
		}
		if err := Check(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: the check before reading let it through", name)
		}
	}
	// The header and 1,000 rows of 100 columns are an import.
	b := workbook(t, "A1:CV1001", map[string][]any{"A1": {"email"}, "CV1001": {"x"}})
	if err := Check(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("a sheet of 1,001 rows and 100 columns: %v", err)
	}
}

func BenchmarkRowsRefusesAZipBomb(b *testing.B) {
	bomb := zipBomb(b)
	b.SetBytes(int64(len(bomb)))
	b.ResetTimer()
	for range b.N {
		if _, err := (XLSX{}).Rows(bomb); err == nil {
			b.Fatal("the bomb was read")
		}
	}
}

// importFunctionMemoryMiB is the import function's memory (stack.FunctionMemoryMB, which
// this package does not link).
const importFunctionMemoryMiB = 256

// fiveMiBImport is a workbook of an import's largest kind: a header and 1,000 rows of
// addresses, names, roles, phones and long text properties (random, so that it compresses as
// little as real text does), just under the 5 MiB limit.
func fiveMiBImport(t testing.TB) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,-"
	text := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	header := []any{"email", "name", "role", "phone"}
	const props, propLen = 7, 880
	for i := range props {
		header = append(header, fmt.Sprintf("note%d", i))
	}
	rows := map[string][]any{"A1": header}
	for i := 2; i <= 1001; i++ {
		row := []any{fmt.Sprintf("user%04d@example.com", i), "User " + text(12), "user", fmt.Sprintf("+4420%07d", i)}
		for range props {
			row = append(row, text(propLen))
		}
		rows[fmt.Sprintf("A%d", i)] = row
	}
	return workbook(t, fmt.Sprintf("A1:%c1001", 'A'+len(header)-1), rows)
}

// sharedStrings is a workbook whose shared strings part has n entries of size bytes of XML
// each (at least 25: "<x:si><x:t>x</x:t></x:si>"), whose sheet uses the first.
func sharedStrings(t testing.TB, n, size int) []byte {
	src := workbook(t, "A1:A1", map[string][]any{"A1": {"email"}})
	z, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		if f.Name != "xl/sharedStrings.xml" {
			if err := w.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ww, _ := w.Create(f.Name)
		_, _ = io.WriteString(ww, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:t>email</x:t></x:si>`)
		entry := []byte("<x:si><x:t>" + strings.Repeat("x", max(1, size-24)) + "</x:t></x:si>")
		for range n - 1 {
			_, _ = ww.Write(entry)
		}
		_, _ = io.WriteString(ww, "</x:sst>")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Excelize indexes every shared string before the first cell is read: more entries than a
// sheet of 1,001 rows of 100 columns can use are refused before it does.
func TestRowsRefusesMoreTextsThanASheetCanHold(t *testing.T) {
	b := sharedStrings(t, MaxSharedStrings+1, 24)
	if _, err := (XLSX{}).Rows(b); !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), "texts") {
		t.Errorf("%d shared strings: %v; want Invalid", MaxSharedStrings+1, err)
	}
	b = sharedStrings(t, MaxSharedStrings, 24)
	if rows, err := (XLSX{}).Rows(b); err != nil || len(rows) != 1 || rows[0][0] != "email" {
		t.Errorf("%d shared strings: %q, %v", MaxSharedStrings, rows, err)
	}
}

// heapPeak samples the heap's live objects while read runs and returns the largest sample.
func heapPeak(read func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := make([]metrics.Sample, 1)
		copy(s, sample)
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	read()
	close(done)
	wg.Wait()
	return peak.Load()
}

// The 5 MiB import's heap peak, reported as heap-peak-MiB: it must stay under half the import
// function's memory.
func BenchmarkRowsOfAFiveMiBImport(b *testing.B) {
	data := fiveMiBImport(b)
	if len(data) > 5<<20 || len(data) < 4<<20 {
		b.Fatalf("the file is %d bytes: want just under 5 MiB", len(data))
	}
	b.SetBytes(int64(len(data)))
	var worst uint64
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := heapPeak(func() {
			rows, err := (XLSX{}).Rows(data)
			if err != nil || len(rows) != 1001 {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
		})
		worst = max(worst, peak)
	}
	b.ReportMetric(float64(worst)/(1<<20), "heap-peak-MiB")
	b.ReportMetric(float64(len(data))/(1<<20), "file-MiB")
	if worst >= importFunctionMemoryMiB<<20/2 {
		b.Errorf("heap peak %d MiB: more than half the function's %d MiB", worst>>20, importFunctionMemoryMiB)
	}
}

// The worst shared strings the check lets through: the most entries, as long as fit under
// MaxSharedStringsBytes. Its heap peak too must stay under half the function's memory.
func BenchmarkRowsOfTheMostSharedStrings(b *testing.B) {
	data := sharedStrings(b, MaxSharedStrings, (MaxSharedStringsBytes-200)/MaxSharedStrings)
	var worst uint64
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		peak := heapPeak(func() {
			if _, err := (XLSX{}).Rows(data); err != nil {
				b.Fatal(err)
			}
		})
		worst = max(worst, peak)
	}
	b.ReportMetric(float64(worst)/(1<<20), "heap-peak-MiB")
	b.ReportMetric(float64(len(data))/(1<<20), "file-MiB")
	if worst >= importFunctionMemoryMiB<<20/2 {
		b.Errorf("heap peak %d MiB: more than half the function's %d MiB", worst>>20, importFunctionMemoryMiB)
	}
}
