package audit

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
)

// TimeLayout writes an event's occurredAt: RFC 3339 in UTC with milliseconds (2026-11-22T10:00:00.000Z), the precision
// the log keeps, so that an event's time can be passed back as from or to exactly.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// CSVHeader names the columns of an export, in order.
var CSVHeader = []string{
	"id", "occurredAt", "category", "action", "actorType", "actorId", "actorEmail",
	"targetType", "targetId", "targetLabel", "ip", "userAgent", "summary", "details",
}

// CSVWriter writes events as CSV per RFC 4180 (CRLF line ends, fields holding commas,
// quotes or line breaks quoted, quotes doubled), safe to open in a spreadsheet: a cell that a
// spreadsheet would take for a formula gets a leading apostrophe (see Neutralize).
type CSVWriter struct {
	w *csv.Writer
}

// NewCSVWriter returns a writer to w and writes the header row.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w)}
	cw.w.UseCRLF = true
	return cw, cw.w.Write(CSVHeader)
}

// Write writes one event as a row.
func (cw *CSVWriter) Write(e Event) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return err
		}
	}
	row := []string{
		e.ID, e.OccurredAt.UTC().Format(TimeLayout), string(e.Category), e.Action,
		e.Actor.Type, e.Actor.ID, e.Actor.Email, e.Target.Type, e.Target.ID, e.Target.Label,
		e.IP, e.UserAgent, e.Summary, string(details),
	}
	for i := range row {
		row[i] = Neutralize(row[i])
	}
	return cw.w.Write(row)
}

// Flush writes what is buffered and returns the first error of any write.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// Neutralize returns s with a leading apostrophe when it starts with a character that makes
// a spreadsheet read a cell as a formula (=, +, -, @) or that can hide one (tab, carriage
// return). The apostrophe shows that the cell was changed; nothing else is.
func Neutralize(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
