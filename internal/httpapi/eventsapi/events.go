package eventsapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
)

// The event log routes: a page of the log, one event, and a CSV export, all under events.read.

// eventFilter reads the filter parameters that the list and the export share.
func eventFilter(req *httpapi.Request) (audit.Filter, error) {
	return audit.ParseFilter(audit.FilterInput{
		Category: req.Query("category"), From: req.Query("from"), To: req.Query("to"), Q: req.Query("q"),
	})
}

func buildListEvents(env *app.Env) httpapi.Handler {
	log := env.EventLog()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
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
		out := httpapi.ListJSON[audit.EventJSON]{Items: make([]audit.EventJSON, len(page.Events)), NextCursor: req.Cursor(f.Key(), page.Next)}
		for i, e := range page.Events {
			out.Items[i] = e.JSON()
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildGetEvent(env *app.Env) httpapi.Handler {
	log := env.EventLog()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		e, err := log.Get(ctx, req.Access.Org.ID, req.Path("eventId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, e.JSON()), nil
	}
}

// MaxExportResponseBytes bounds an export's body as it travels in Lambda's answer, which is
// JSON of at most 6 MB (6,291,456 bytes): there the body is a JSON string (see
// exportBuffer), or base64 when compressed. The rest is left for headers and framing.
const MaxExportResponseBytes = 6_000_000

// exportSink collects an export's body.
type exportSink interface {
	io.Writer
	body() ([]byte, error)
}

func buildExportEvents(env *app.Env) httpapi.Handler {
	log := env.EventLog()
	now := env.Now
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		f, err := eventFilter(req)
		if err != nil {
			return nil, err
		}
		// CSV compresses about tenfold: compressed, the export's limit is its row count (see
		// audit.Log.Export) rather than the response's size.
		gz := acceptsGzip(req.Event.Headers["accept-encoding"])
		var sink exportSink = &exportBuffer{limit: MaxExportResponseBytes}
		if gz {
			sink = newGzipExport(MaxExportResponseBytes)
		}
		if err := log.Export(ctx, req.Access.Org.ID, f, sink); err != nil {
			return nil, err
		}
		body, err := sink.body()
		if err != nil {
			return nil, err
		}
		name := "events-" + req.Access.Org.Handle + "-" + now().UTC().Format("20060102T150405Z") + ".csv"
		headers := map[string]string{
			"Content-Disposition": `attachment; filename="` + name + `"`,
			"Cache-Control":       "no-store",
		}
		if gz {
			headers["Content-Encoding"] = "gzip"
		}
		return &httpapi.Response{Status: http.StatusOK, Raw: body, Binary: gz, ContentType: "text/csv; charset=utf-8", Headers: headers}, nil
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				q, _ = strconv.ParseFloat(v, 64)
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
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
			"the export is larger than %d MB, the most one answer carries uncompressed; ask for it compressed (Accept-Encoding: gzip, as browsers do), or narrow the date range (from, to) or choose categories and export in parts", b.limit/1_000_000)
	}
	return b.Buffer.Write(p)
}

func (b *exportBuffer) body() ([]byte, error) { return b.Bytes(), nil }

// gzipExport compresses an export and fails once its base64 form passes limit.
type gzipExport struct {
	buf   bytes.Buffer
	zw    *gzip.Writer
	limit int
}

func newGzipExport(limit int) *gzipExport {
	g := &gzipExport{limit: limit}
	g.zw = gzip.NewWriter(&g.buf)
	return g
}

func (g *gzipExport) Write(p []byte) (int, error) {
	n, err := g.zw.Write(p)
	if err == nil {
		err = g.check()
	}
	return n, err
}

func (g *gzipExport) check() error {
	if base64.StdEncoding.EncodedLen(g.buf.Len()) > g.limit {
		return apperr.New(apperr.TooLarge,
			"the export is larger than %d MB even compressed, the most one answer carries; narrow the date range (from, to) or choose categories, and export in parts", g.limit/1_000_000)
	}
	return nil
}

func (g *gzipExport) body() ([]byte, error) {
	if err := g.zw.Close(); err != nil {
		return nil, err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	return g.buf.Bytes(), nil
}
