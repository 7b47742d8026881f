package provisioningapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// The import of members from a spreadsheet, its progress and its template.

type rowCheckJSON struct {
	Index  int        `json:"index"`
	Row    int        `json:"row"`
	Status string     `json:"status"`
	Error  *errorJSON `json:"error"`
}

type importJobJSON struct {
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Total   int              `json:"total"`
	Created int              `json:"created"`
	Failed  int              `json:"failed"`
	Results []rowOutcomeJSON `json:"results"`
}

type rowOutcomeJSON struct {
	Index  int        `json:"index"`
	Row    int        `json:"row"`
	Status string     `json:"status"`
	UserID *string    `json:"userId"`
	Error  *errorJSON `json:"error"`
}

func importOut(j provisioning.ImportJob) importJobJSON {
	out := importJobJSON{ID: j.ID, Status: j.Status, Total: j.Total, Created: j.Created, Failed: j.Failed, Results: []rowOutcomeJSON{}}
	for _, r := range j.Results {
		o := rowOutcomeJSON{Index: r.Index, Row: r.Row, Status: r.Status, UserID: httpapi.Nullable(r.UserID)}
		if r.Status != "created" {
			o.Error = &errorJSON{Code: r.Code, Message: r.Message}
		}
		out.Results = append(out.Results, o)
	}
	return out
}

func buildImportMembers(env *app.Env) httpapi.Handler {
	svc := env.ProvisioningSettings()
	xlsx := env.Spreadsheets()
	store := env.ProvisioningStore()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		dry := req.Query("dryRun")
		if dry != "" && dry != "true" && dry != "false" {
			return nil, apperr.New(apperr.Invalid, "dryRun must be true or false")
		}
		sheet, err := provisioning.ReadSheet(req.Event.Headers["content-type"], req.Body(), xlsx)
		if err != nil {
			return nil, err
		}
		rows, err := provisioning.ParseRows(req.Access.Org, sheet)
		if err != nil {
			return nil, err
		}
		// Neither looks up accounts outside the org: the dry run must not tell who has one,
		// and the commit's rows find out when they are created (their results).
		checked, _, err := svc.CheckImport(ctx, req.Access, store, rows)
		if err != nil {
			return nil, err
		}
		if dry == "true" {
			out := make([]rowCheckJSON, len(checked))
			for i, r := range checked {
				out[i] = rowCheckJSON{Index: i, Row: r.Row, Status: "valid"}
				if r.Err != nil {
					b := httpapi.ErrorResponse(r.Err).Body.(httpapi.ErrorBody)
					out[i].Status, out[i].Error = "error", &errorJSON{Code: b.Error.Code, Message: b.Error.Message}
				}
			}
			return httpapi.JSON(http.StatusOK, map[string]any{"results": out}), nil
		}
		job, err := svc.StartImport(ctx, req.Access, store, rows, checked)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusAccepted, importOut(job)), nil
	}
}

func buildGetImport(env *app.Env) httpapi.Handler {
	store := env.ProvisioningStore()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		id := req.Path("importId")
		if len(id) != 26 || strings.Trim(strings.ToLower(id), "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			return nil, apperr.New(apperr.NotFound, "import not found")
		}
		job, err := store.Import(ctx, req.Access.Org.ID, id)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, importOut(job)), nil
	}
}

// templateColumns are the template's header and example row for the org.
func templateColumns(req *httpapi.Request) (header, example []string, roleCol int) {
	domain := req.Access.Org.PrimaryDomain()
	if domain == "" {
		domain = "example.com"
	}
	header = []string{"email", "name", "role", "phone", "notifyEmail"}
	example = []string{"jane.doe@" + domain, "Jane Doe", string(roles.User), "+14155550123", ""}
	for _, d := range req.Access.Org.UserProperties {
		header = append(header, d.Key)
		switch d.Type {
		case "number":
			example = append(example, "1")
		case "boolean":
			example = append(example, "true")
		default:
			// The label reads well as an example, unless a spreadsheet would take it for a
			// formula (=HYPERLINK(...) set by whoever defined the property): then a plain word.
			ex := d.Label
			if audit.Neutralize(ex) != ex {
				ex = "text"
			}
			example = append(example, ex)
		}
	}
	return header, example, 2
}

func buildImportTemplate(env *app.Env) httpapi.Handler {
	xlsx := env.Spreadsheets()
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		header, example, roleCol := templateColumns(req)
		switch req.Query("format") {
		case "", "csv":
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			_ = w.Write(header)
			_ = w.Write(example)
			w.Flush()
			return &httpapi.Response{Status: http.StatusOK, Raw: b.Bytes(), ContentType: provisioning.ContentTypeCSV + "; charset=utf-8",
				Headers: map[string]string{"Content-Disposition": `attachment; filename="members-template.csv"`}}, nil
		case "xlsx":
			// The org's roles, built-in and custom, by id.
			var ids []string
			for _, d := range req.Access.Org.Roles() {
				ids = append(ids, string(d.ID))
			}
			raw, err := xlsx.Template(header, example, roleCol, ids)
			if err != nil {
				return nil, err
			}
			return &httpapi.Response{Status: http.StatusOK, Raw: raw, Binary: true, ContentType: provisioning.ContentTypeXLSX,
				Headers: map[string]string{"Content-Disposition": `attachment; filename="members-template.xlsx"`}}, nil
		}
		return nil, apperr.New(apperr.Invalid, "format must be csv or xlsx")
	}
}
