package provisioning

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/ratelimit"
	"github.com/vendorportal/orgs/internal/roles"
)

// The import of members from a spreadsheet.
const (
	// MaxImportRows and MaxImportBytes bound one import.
	MaxImportRows  = 1000
	MaxImportBytes = 5 << 20
	// ImportChunk is how many rows one outbox message of an import carries.
	ImportChunk = 50
	// The content types of an import.
	ContentTypeCSV  = "text/csv"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// rowWorkers is how many rows of a chunk are created at once.
const rowWorkers = 8

// KindImportChunk is the outbox work of creating one chunk of an import's rows.
const KindImportChunk outbox.Kind = "import.chunk"

// Spreadsheets reads and writes XLSX (package sheets, which alone links an XLSX reader).
type Spreadsheets interface {
	// Rows returns the first sheet's cells as text, formula cells as their cached values.
	Rows(data []byte) ([][]string, error)
	// Template returns a workbook with the header, the example row and a drop-down of
	// choices on column choiceCol.
	Template(header, example []string, choiceCol int, choices []string) ([]byte, error)
}

// importColumns are the import's own columns, in the template's order.
var importColumns = []string{"email", "username", "name", "role", "phone", "notifyEmail"}

// ImportRow is one data row of an import: its spreadsheet row number and the user it asks for.
type ImportRow struct {
	Row   int       `json:"row"`
	Input UserInput `json:"input"`
}

// RowResult is the check or the outcome of one row.
type RowResult struct {
	Index  int
	Row    int
	Err    error
	UserID string
}

// ImportJob is an import under way or done.
type ImportJob struct {
	ID        string
	OrgID     string
	Status    string
	Total     int
	Created   int
	Failed    int
	CreatedAt time.Time
	CreatedBy orgs.Person
	// Results holds every row's outcome once known, in row order.
	Results []RowOutcome
}

// The import statuses.
const (
	ImportRunning = "running"
	ImportDone    = "done"
)

// RowOutcome is a row's outcome as the job keeps it.
type RowOutcome struct {
	Index   int    `json:"index"`
	Row     int    `json:"row"`
	Status  string `json:"status"`
	UserID  string `json:"userId,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// ImportStore is the persistence of imports.
type ImportStore interface {
	// MembersByEmail reports which of the addresses are members of the org (their email
	// guards), in round trips of up to 100 addresses.
	MembersByEmail(ctx context.Context, orgID string, emails []string) (map[string]bool, error)
	// StartImport writes the job, its event, the outcomes of the rows already failed and
	// the chunks' outbox messages, with budget (the rows' emails) counted, all or nothing.
	StartImport(ctx context.Context, job ImportJob, ev audit.Event, msgs []outbox.Message, budget ratelimit.Use) error
	// Import returns the job with the outcomes recorded so far; NotFound when there is none.
	Import(ctx context.Context, orgID, importID string) (ImportJob, error)
	// DoneRows returns the rows of the job whose outcome is recorded.
	DoneRows(ctx context.Context, orgID, importID string, rows []int) (map[int]bool, error)
	// AddImportedMember is AddMember that also records the row's outcome and counts it on
	// the job, all or nothing; ErrRowDone when the row's outcome is recorded already.
	AddImportedMember(ctx context.Context, w MemberWrite, importID string, out RowOutcome) error
	// RowFailed records a row's failure and counts it; ErrRowDone when recorded already.
	RowFailed(ctx context.Context, orgID, importID string, out RowOutcome) error
	// FinishImport marks the job done with its event, on condition that it is still running
	// (ErrImportNotDone otherwise: another run finished it).
	FinishImport(ctx context.Context, orgID, importID string, total int, ev audit.Event) error
}

// Errors of an ImportStore.
var (
	ErrRowDone       = errors.New("the row's outcome is recorded already")
	ErrImportNotDone = errors.New("the import is not finished or finished already")
)

// ReadSheet parses an import's body by its content type into rows of cells; the header is
// row 1.
func ReadSheet(contentType string, body []byte, xlsx Spreadsheets) ([][]string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "Content-Type must be %s or %s", ContentTypeCSV, ContentTypeXLSX)
	}
	if len(body) == 0 {
		return nil, apperr.New(apperr.Invalid, "the file is empty")
	}
	if len(body) > MaxImportBytes {
		return nil, apperr.New(apperr.TooLarge, "the file must be at most %d bytes", MaxImportBytes)
	}
	switch mt {
	case ContentTypeCSV:
		return readCSV(body)
	case ContentTypeXLSX:
		if !bytes.HasPrefix(body, []byte("PK\x03\x04")) {
			return nil, apperr.New(apperr.Invalid, "the body is not an XLSX workbook")
		}
		return xlsx.Rows(body)
	}
	return nil, apperr.New(apperr.Invalid, "Content-Type must be %s or %s", ContentTypeCSV, ContentTypeXLSX)
}

func readCSV(body []byte) ([][]string, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return nil, apperr.New(apperr.Invalid, "the CSV must be UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, apperr.New(apperr.Invalid, "the CSV can't be read at line %d: %v", pe.Line, pe.Err)
			}
			return nil, apperr.New(apperr.Invalid, "the CSV can't be read")
		}
		if len(out) > MaxImportRows+1 {
			return nil, apperr.New(apperr.TooLarge, "an import holds at most %d rows", MaxImportRows)
		}
		out = append(out, rec)
	}
}

// ParseRows turns the sheet into rows to create, checking the header against the org's
// columns: an unknown column is Invalid, naming it. Blank rows are skipped.
func ParseRows(o orgs.Org, sheet [][]string) ([]ImportRow, error) {
	if len(sheet) == 0 || slices.IndexFunc(sheet[0], func(c string) bool { return strings.TrimSpace(c) != "" }) < 0 {
		return nil, apperr.New(apperr.Invalid, "the file has no header row: the first row must name the columns (email or username, name, role, ...)")
	}
	types := map[string]orgs.PropertyType{}
	for _, d := range o.UserProperties {
		types[d.Key] = d.Type
	}
	header := make([]string, len(sheet[0]))
	seen := map[string]bool{}
	for i, h := range sheet[0] {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, prop := types[h]; !prop && !slices.Contains(importColumns, h) {
			return nil, apperr.New(apperr.Invalid, "column %q is not one of the import's: %s, or a user property key", h, strings.Join(importColumns, ", "))
		}
		if seen[h] {
			return nil, apperr.New(apperr.Invalid, "column %q is given twice", h)
		}
		seen[h], header[i] = true, h
	}
	if !seen["email"] && !seen["username"] {
		return nil, apperr.New(apperr.Invalid, "the header needs an email or a username column")
	}
	var rows []ImportRow
	for i, rec := range sheet[1:] {
		if slices.IndexFunc(rec, func(c string) bool { return strings.TrimSpace(c) != "" }) < 0 {
			continue
		}
		if len(rows) == MaxImportRows {
			return nil, apperr.New(apperr.TooLarge, "an import holds at most %d rows", MaxImportRows)
		}
		// Every row's password is generated (the default mode): a row gives none, so that an
		// address with an account in a domain the org holds is added as it is.
		in := UserInput{}
		var propErr error
		for j, cell := range rec {
			if j >= len(header) || header[j] == "" {
				if strings.TrimSpace(cell) != "" {
					return nil, apperr.New(apperr.Invalid, "row %d has a value in a column without a header", i+2)
				}
				continue
			}
			cell = strings.TrimSpace(cell)
			switch header[j] {
			case "email":
				in.Email = cell
			case "username":
				in.Username = cell
			case "name":
				in.Name = cell
			case "role":
				in.Role = cell
			case "phone":
				in.Phone = cell
			case "notifyEmail":
				in.NotifyEmail = cell
			default:
				if cell == "" {
					continue
				}
				v, err := cellValue(header[j], types[header[j]], cell)
				if err != nil && propErr == nil {
					propErr = err
				}
				if in.Properties == nil {
					in.Properties = map[string]any{}
				}
				in.Properties[header[j]] = v
			}
		}
		row := ImportRow{Row: i + 2, Input: in}
		if propErr != nil {
			// Kept as a string: the row's check reports the wrong type.
			row.Input.Properties[badValueKey] = propErr.Error()
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, apperr.New(apperr.Invalid, "the file has a header but no rows")
	}
	return rows, nil
}

// badValueKey carries a cell that is not of its property's type to the row's check.
const badValueKey = "\x00bad"

func cellValue(key string, t orgs.PropertyType, cell string) (any, error) {
	switch t {
	case orgs.PropertyNumber:
		f, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return cell, apperr.New(apperr.Invalid, "property %q must be a number", key)
		}
		return f, nil
	case orgs.PropertyBoolean:
		switch strings.ToLower(cell) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return cell, apperr.New(apperr.Invalid, "property %q must be true or false", key)
	}
	return cell, nil
}

// CheckImport checks every row as a create would, plus duplicates within the file (the later
// row is the error) and addresses that are members already. It writes and sends nothing.
//
// It tells nothing about accounts outside the org: a row whose address has an account
// elsewhere checks exactly like a new address (the dry run is no way to learn who has an
// account), and the commit applies the rule for existing accounts when it creates the row,
// in the row's result.
func (s *Service) CheckImport(ctx context.Context, a orgs.Access, store ImportStore, rows []ImportRow) ([]RowResult, []plan, error) {
	out := make([]RowResult, len(rows))
	plans := make([]plan, len(rows))
	firstRow := map[string]int{}
	var emails []string
	for i, r := range rows {
		out[i] = RowResult{Index: i, Row: r.Row}
		if msg, bad := r.Input.Properties[badValueKey]; bad {
			out[i].Err = apperr.New(apperr.Invalid, "%s", msg)
			continue
		}
		p, err := s.check(a, r.Input, false)
		if err != nil {
			out[i].Err = err
			continue
		}
		if first, dup := firstRow[p.email]; dup {
			out[i].Err = apperr.New(apperr.Conflict, "%s is in row %d already", p.email, first)
			continue
		}
		firstRow[p.email] = r.Row
		plans[i] = p
		emails = append(emails, p.email)
	}
	members, err := store.MembersByEmail(ctx, a.Org.ID, emails)
	if err != nil {
		return nil, nil, err
	}
	for i := range out {
		if out[i].Err == nil && members[plans[i].email] {
			out[i].Err = apperr.New(apperr.Conflict, "%s is a member already", plans[i].email)
		}
	}
	return out, plans, nil
}

// importChunk is the body of a KindImportChunk message.
type importChunk struct {
	OrgID    string      `json:"orgId"`
	ImportID string      `json:"importId"`
	Total    int         `json:"total"`
	Actor    orgs.Person `json:"actor"`
	Rows     []chunkRow  `json:"rows"`
	// BudgetAt is when the rows' emails were counted in the org's budget: the window a
	// row that sends none gives its email back to. It is when the actor committed the
	// import, too: an org's authentication reset after it ends the actor's authority as it
	// ends their token's. (Zero in the chunks of imports started before it was written: no
	// reset counts against those.)
	BudgetAt time.Time `json:"budgetAt"`
}

type chunkRow struct {
	Index int       `json:"index"`
	Row   int       `json:"row"`
	Input UserInput `json:"input"`
}

// StartImport writes the import job: the rows that failed the check are its first outcomes,
// the others go to the outbox in chunks, which ImportChunk works through. Each of those rows
// sends its member an email: they are counted in the org's budget in the job's transaction,
// so an import that would pass it is refused whole.
func (s *Service) StartImport(ctx context.Context, a orgs.Access, store ImportStore, rows []ImportRow, checked []RowResult) (ImportJob, error) {
	now := s.Now()
	job := ImportJob{
		ID: s.NewID(), OrgID: a.Org.ID, Status: ImportRunning, Total: len(rows), CreatedAt: now.Truncate(time.Second),
		CreatedBy: orgs.Person{ID: a.Member.UserID, Email: a.Member.Email},
	}
	var pending []chunkRow
	for i, r := range checked {
		if r.Err != nil {
			job.Failed++
			job.Results = append(job.Results, failedOutcome(r.Index, r.Row, r.Err))
			continue
		}
		pending = append(pending, chunkRow{Index: i, Row: rows[i].Row, Input: rows[i].Input})
	}
	var msgs []outbox.Message
	total := 0
	// At least one chunk, empty when every row failed the check: its run finishes the job.
	for _, rows := range chunkRows(pending) {
		m, err := outbox.New(s.NewID(), a.Org.ID, KindImportChunk, importChunk{
			OrgID: a.Org.ID, ImportID: job.ID, Total: job.Total, Actor: job.CreatedBy,
			Rows: rows, BudgetAt: now,
		})
		if err != nil {
			return ImportJob{}, err
		}
		msgs = append(msgs, m)
		total += len(m.Body)
	}
	if total > maxChunksBytes || len(msgs) > maxChunks {
		// The chunks go in the job's one transaction (at most 4 MB and 100 items).
		return ImportJob{}, apperr.New(apperr.TooLarge, "the rows hold too much to import at once (%d KB of names and properties; at most %d KB): split the file into smaller ones", total>>10, maxChunksBytes>>10)
	}
	ev := s.event(ctx, a.Org.ID, actorOf(a), "import.started", audit.Target{Type: "import", ID: job.ID, Label: fmt.Sprintf("%d rows", job.Total)},
		fmt.Sprintf("%s started an import of %d rows (%d with errors)", a.Member.Email, job.Total, job.Failed),
		map[string]any{"total": job.Total, "failed": job.Failed})
	if err := store.StartImport(ctx, job, ev, msgs, s.emailBudget(a.Org.ID, a.Member.UserID, len(pending), now)); err != nil {
		return ImportJob{}, err
	}
	return job, nil
}

// The bounds of an import's chunks, which StartImport writes in the job's transaction: an
// outbox item holds at most maxChunkBytes of rows (DynamoDB's items are at most 400 KB), and
// all of them maxChunksBytes (a transaction is at most 4 MB, the job and its results with it).
const (
	maxChunkBytes  = 300 << 10
	maxChunksBytes = 3 << 20
	maxChunks      = 90
)

// chunkRows cuts the rows into chunks of at most ImportChunk rows and about maxChunkBytes of
// JSON each; at least one chunk, empty when there are no rows.
func chunkRows(rows []chunkRow) [][]chunkRow {
	out := [][]chunkRow{{}}
	size := 0
	for _, r := range rows {
		b, _ := json.Marshal(r)
		last := len(out) - 1
		if n := len(out[last]); n == ImportChunk || (n > 0 && size+len(b) > maxChunkBytes) {
			out, last, size = append(out, nil), last+1, 0
		}
		out[last] = append(out[last], r)
		size += len(b) + 1
	}
	return out
}

func failedOutcome(index, row int, err error) RowOutcome {
	return RowOutcome{Index: index, Row: row, Status: "error", Code: string(apperr.KindOf(err)), Message: apperr.MessageOf(err)}
}

// ImportChunk is the outbox handler of KindImportChunk: it creates the chunk's rows, each
// exactly once however often the chunk is run (a row whose outcome is recorded is skipped;
// the row's outcome is written in its member's transaction), and finishes the job with
// import.finished when its last row is done.
//
// The rows are created on the authority of the member who committed the import, as it is
// when the chunk runs (as an invite carries its inviter's): each row is checked as that
// member's own create would be, and written on condition that their role is still the one
// read. A committer who was removed, suspended or lost members.manage since adds nobody:
// the rows left fail, and the job finishes.
func (s *Service) ImportChunk(store ImportStore) outbox.Handler {
	return func(ctx context.Context, m outbox.Message) error {
		var c importChunk
		if err := m.Decode(&c); err != nil {
			return outbox.Permanent(err)
		}
		committer := orgs.Caller{ID: c.Actor.ID, Email: c.Actor.Email, IssuedAt: cmp.Or(c.BudgetAt, s.Now())}
		a, err := s.Accounts.Authorize(ctx, committer, c.OrgID, roles.MembersManage)
		var lost error
		switch k := apperr.KindOf(err); {
		case err == nil:
		case k == apperr.NotFound || k == apperr.Forbidden || k == apperr.Unauthenticated:
			o, err := s.Accounts.LiveOrg(ctx, c.OrgID)
			if apperr.Is(err, apperr.NotFound) {
				return nil // the org is gone: nothing to create
			}
			if err != nil {
				return err
			}
			a = orgs.Access{Org: o}
			lost = apperr.New(apperr.Forbidden, "%s, who started the import, may no longer add members to the organization", c.Actor.Email)
		default:
			return err
		}
		o := a.Org
		rowNums := make([]int, len(c.Rows))
		for i, r := range c.Rows {
			rowNums[i] = r.Index
		}
		done, err := store.DoneRows(ctx, c.OrgID, c.ImportID, rowNums)
		if err != nil {
			return err
		}
		actor := audit.Actor{Type: audit.ActorUser, ID: c.Actor.ID, Email: c.Actor.Email}
		// A few rows at a time (rowWorkers): each is its own directory call and
		// transaction. Rows share two items, the org's counters (an ADD) and the check of
		// the committer's membership: in AWS a transaction that meets another one on them
		// is cancelled as a conflict, which the store tries again; DynamoDB Local runs
		// transactions one at a time, so there they queue instead. More rows at once
		// would press on Cognito's AdminCreateUser quota (about 50 a second per pool,
		// shared with sign-ups and other imports).
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		// The rows' emails were counted when the import started; the rows of this run
		// that send none give theirs back.
		res := s.reserved(c.OrgID, c.Actor.ID, c.BudgetAt)
		sem := make(chan struct{}, rowWorkers)
		for _, r := range c.Rows {
			if done[r.Index] {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				err := lost
				if err == nil {
					err = s.importRow(ctx, a, store, actor, c.ImportID, r, res)
				} else if err = store.RowFailed(ctx, o.ID, c.ImportID, failedOutcome(r.Index, r.Row, lost)); err == nil {
					res.giveBack()
				} else if errors.Is(err, ErrRowDone) {
					err = nil
				}
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		s.settle(ctx, res)
		if firstErr != nil {
			return firstErr
		}
		// The chunk that finds every row's outcome recorded finishes the job (one Query).
		job, err := store.Import(ctx, o.ID, c.ImportID)
		if err != nil {
			return err
		}
		if job.Status != ImportRunning || len(job.Results) < job.Total {
			return nil
		}
		ev := s.event(ctx, o.ID, audit.Actor{Type: audit.ActorSystem, ID: "import"}, "import.finished",
			audit.Target{Type: "import", ID: c.ImportID, Label: fmt.Sprintf("%d rows", c.Total)},
			fmt.Sprintf("The import of %d rows finished: %d created, %d failed", c.Total, job.Created, job.Failed),
			map[string]any{"total": c.Total, "created": job.Created, "failed": job.Failed})
		if err := store.FinishImport(ctx, o.ID, c.ImportID, c.Total, ev); err != nil && !errors.Is(err, ErrImportNotDone) {
			return err
		}
		return nil
	}
}

// importRow creates one row's member, or records why it can't be: a row's failure (a
// conflict, an address with an account) is its outcome, not the chunk's; only errors worth a
// retry (the directory or the table unavailable) fail the chunk.
//
// A row whose outcome this run records without an email (a failure, an existing account
// added as it is) gives its reserved email back to res; a row done by an earlier run was
// settled by it.
func (s *Service) importRow(ctx context.Context, a orgs.Access, store ImportStore, actor audit.Actor, importID string, r chunkRow, res *reservation) error {
	p, err := s.check(a, r.Input, false)
	mailed := false
	if err == nil {
		_, mailed, err = s.createImported(ctx, a, store, p, actor, importID, RowOutcome{Index: r.Index, Row: r.Row, Status: "created"}, res)
	}
	if errors.Is(err, ErrRowDone) {
		return nil
	}
	if err == nil {
		if !mailed {
			res.giveBack()
		}
		return nil
	}
	if apperr.KindOf(err) == apperr.Internal || apperr.KindOf(err) == apperr.Unavailable || errors.Is(err, ErrCreateInProgress) ||
		errors.Is(err, orgs.ErrActorChanged) || errors.Is(err, orgs.ErrRolesChanged) {
		// Worth a retry of the chunk: a user a crashed run left is taken over after a
		// minute; a committer whose role changed meanwhile is authorized again.
		return err
	}
	switch err := store.RowFailed(ctx, a.Org.ID, importID, failedOutcome(r.Index, r.Row, err)); {
	case errors.Is(err, ErrRowDone):
	case err != nil:
		return err
	default:
		res.giveBack()
	}
	return nil
}
