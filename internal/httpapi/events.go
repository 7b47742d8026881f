package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
)

// The event log routes: a page of the log, one event, and a CSV export, all under events.read.

type eventActorJSON struct {
	Type  string  `json:"type"`
	ID    *string `json:"id"`
	Email *string `json:"email"`
}

type eventTargetJSON struct {
	Type  *string `json:"type"`
	ID    *string `json:"id"`
	Label *string `json:"label"`
}

type eventJSON struct {
	ID         string          `json:"id"`
	Category   string          `json:"category"`
	Action     string          `json:"action"`
	OccurredAt eventTime       `json:"occurredAt"`
	Actor      eventActorJSON  `json:"actor"`
	Target     eventTargetJSON `json:"target"`
	IP         *string         `json:"ip"`
	UserAgent  *string         `json:"userAgent"`
	Summary    *string         `json:"summary"`
	Details    map[string]any  `json:"details"`
}

// eventTime is an event's occurredAt: RFC 3339 in UTC with milliseconds, the precision the
// log keeps, so that an event's time can be passed back as from or to exactly.
type eventTime time.Time

func (t eventTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(eventTimeLayout) + `"`), nil
}

const eventTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func eventOut(e audit.Event) eventJSON {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	return eventJSON{
		ID: e.ID, Category: string(e.Category), Action: e.Action, OccurredAt: eventTime(e.OccurredAt),
		Actor:  eventActorJSON{Type: e.Actor.Type, ID: nullable(e.Actor.ID), Email: nullable(e.Actor.Email)},
		Target: eventTargetJSON{Type: nullable(e.Target.Type), ID: nullable(e.Target.ID), Label: nullable(e.Target.Label)},
		IP:     nullable(e.IP), UserAgent: nullable(e.UserAgent), Summary: nullable(e.Summary), Details: details,
	}
}

// eventFilter reads the filter parameters that the list and the export share.
func eventFilter(req *Request) (audit.Filter, error) {
	return audit.ParseFilter(audit.FilterInput{
		Category: req.Query("category"), From: req.Query("from"), To: req.Query("to"), Q: req.Query("q"),
	})
}

func buildListEvents(env *app.Env) Handler {
	log := env.EventLog()
	return func(ctx context.Context, req *Request) (*Response, error) {
		f, err := eventFilter(req)
		if err != nil {
			return nil, err
		}
		p, err := req.Page(f.Key())
		if err != nil {
			return nil, err
		}
		page, err := log.List(ctx, req.Access.Org.ID, f, p)
		if err != nil {
			return nil, err
		}
		out := list[eventJSON]{Items: make([]eventJSON, len(page.Events)), NextCursor: req.Cursor(f.Key(), page.Next)}
		for i, e := range page.Events {
			out.Items[i] = eventOut(e)
		}
		return JSON(http.StatusOK, out), nil
	}
}

func buildGetEvent(env *app.Env) Handler {
	log := env.EventLog()
	return func(ctx context.Context, req *Request) (*Response, error) {
		e, err := log.Get(ctx, req.Access.Org.ID, req.Path("eventId"))
		if err != nil {
			return nil, err
		}
		return JSON(http.StatusOK, eventOut(e)), nil
	}
}

// MaxExportResponseBytes bounds an export's CSV as it travels in Lambda's answer, which is
// JSON of at most 6 MB: the CSV is a JSON string there, where quotes and some characters
// take more room (see exportBuffer). The rest of the 6 MB is left for headers and framing.
const MaxExportResponseBytes = 5_000_000

func buildExportEvents(env *app.Env) Handler {
	log := env.EventLog()
	now := env.Now
	return func(ctx context.Context, req *Request) (*Response, error) {
		f, err := eventFilter(req)
		if err != nil {
			return nil, err
		}
		buf := &exportBuffer{limit: MaxExportResponseBytes}
		if err := log.Export(ctx, req.Access.Org.ID, f, buf); err != nil {
			return nil, err
		}
		name := "events-" + req.Access.Org.Handle + "-" + now().UTC().Format("20060102T150405Z") + ".csv"
		return &Response{
			Status: http.StatusOK, Raw: buf.Bytes(), ContentType: "text/csv; charset=utf-8",
			Headers: map[string]string{"Content-Disposition": `attachment; filename="` + name + `"`},
		}, nil
	}
}

// exportBuffer collects an export and fails once its size in a JSON string passes limit.
// The size is counted as encoding/json writes it, on the safe side: quotes, backslashes and
// line breaks take two bytes, <, >, & and other control characters six, and every byte of a
// non-ASCII character two.
type exportBuffer struct {
	bytes.Buffer
	limit int
	size  int
}

func (b *exportBuffer) Write(p []byte) (int, error) {
	for _, c := range p {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c >= 0x80:
			b.size += 2
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b.size += 6
		default:
			b.size++
		}
	}
	if b.size > b.limit {
		return 0, apperr.New(apperr.TooLarge,
			"the export is larger than %d MB, the most one answer can carry; narrow the date range (from, to) or choose categories, and export in parts", b.limit/1_000_000)
	}
	return b.Buffer.Write(p)
}
