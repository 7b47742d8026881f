package provisioningapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/domains"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/provisioning"
	"github.com/vendorportal/orgs/internal/roles"
)

// The handlers of provisioning: user properties, domains and auto-join, users created
// directly, password resets and legacy support users.

type userPropertyJSON struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

func propertiesOut(defs []orgs.UserProperty) map[string]any {
	items := make([]userPropertyJSON, len(defs))
	for i, d := range defs {
		items[i] = userPropertyJSON{Key: d.Key, Label: d.Label, Type: string(d.Type), Required: d.Required}
	}
	return map[string]any{"items": items}
}

func buildGetUserProperties(*app.Env) httpapi.Handler {
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		return httpapi.JSON(http.StatusOK, propertiesOut(req.Access.Org.UserProperties)), nil
	}
}

func buildPutUserProperties(env *app.Env) httpapi.Handler {
	svc := env.ProvisioningSettings()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Items *[]userPropertyJSON `json:"items"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Items == nil {
			return nil, apperr.New(apperr.Invalid, "items is required (an empty list removes every definition)")
		}
		defs := make([]orgs.UserProperty, len(*in.Items))
		for i, d := range *in.Items {
			defs[i] = orgs.UserProperty{Key: d.Key, Label: d.Label, Type: orgs.PropertyType(d.Type), Required: d.Required}
		}
		out, err := svc.PutProperties(ctx, req.Access, defs)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, propertiesOut(out)), nil
	}
}

type dnsRecordJSON struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type domainJSON struct {
	Domain       string            `json:"domain"`
	Status       string            `json:"status"`
	Primary      bool              `json:"primary"`
	VerifiedBy   *string           `json:"verifiedBy"`
	Verification any               `json:"verification"`
	VerifiedAt   *string           `json:"verifiedAt"`
	CreatedAt    httpapi.Timestamp `json:"createdAt"`
}

func domainOut(d orgs.Domain) domainJSON {
	out := domainJSON{
		Domain: d.Name, Status: string(d.Status), Primary: d.Primary, CreatedAt: httpapi.Timestamp(d.CreatedAt),
		Verification: map[string]any{"dnsRecord": dnsRecordJSON{Type: "TXT", Name: domains.TXTLabel + "." + d.Name, Value: d.TXTValue}},
	}
	if !d.VerifiedAt.IsZero() {
		v := d.VerifiedAt.UTC().Format("2006-01-02T15:04:05Z")
		out.VerifiedAt = &v
	}
	if d.Status == orgs.DomainVerified {
		out.VerifiedBy = httpapi.Nullable(d.VerifiedBy)
	}
	return out
}

func buildListDomains(*app.Env) httpapi.Handler {
	return func(_ context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		out := httpapi.ListJSON[domainJSON]{Items: make([]domainJSON, len(req.Access.Org.Domains))}
		for i, d := range req.Access.Org.Domains {
			out.Items[i] = domainOut(d)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildAddDomain(env *app.Env) httpapi.Handler {
	svc := env.DomainClaims()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Domain string `json:"domain"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		d, err := svc.AddDomain(ctx, req.Access, in.Domain)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, domainOut(d)), nil
	}
}

func buildVerifyDomain(env *app.Env) httpapi.Handler {
	svc := env.DomainVerification()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Email string `json:"email"`
			Code  string `json:"code"`
		}
		if len(bytes.TrimSpace(req.Body())) > 0 {
			if err := req.Decode(&in); err != nil {
				return nil, err
			}
		}
		res, err := svc.Verify(ctx, req.Access, req.Path("domain"), domains.VerifyInput{Email: in.Email, Code: in.Code})
		if err != nil {
			return nil, err
		}
		if res.CodeSent {
			return httpapi.JSON(http.StatusAccepted, domainOut(res.Domain)), nil
		}
		return httpapi.JSON(http.StatusOK, domainOut(res.Domain)), nil
	}
}

func buildUpdateDomain(env *app.Env) httpapi.Handler {
	svc := env.Domains()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in struct {
			Primary *bool `json:"primary"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		if in.Primary == nil {
			return nil, apperr.New(apperr.Invalid, "primary is required")
		}
		d, err := svc.SetPrimary(ctx, req.Access, req.Path("domain"), *in.Primary)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, domainOut(d)), nil
	}
}

func buildRemoveDomain(env *app.Env) httpapi.Handler {
	svc := env.Domains()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.RemoveDomain(ctx, req.Access, req.Path("domain")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

// joinedJSON is a membership as the join answers it: the member with its org's id.
type joinedJSON struct {
	OrgID string `json:"orgId"`
	httpapi.MemberJSON
}

type suggestionJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Handle   string `json:"handle"`
	AutoJoin string `json:"autoJoin"`
}

func buildSuggestedOrgs(env *app.Env) httpapi.Handler {
	svc := env.Domains()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		os, err := svc.Suggested(ctx, req.Caller)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[suggestionJSON]{Items: make([]suggestionJSON, len(os))}
		for i, o := range os {
			out.Items[i] = suggestionJSON{ID: o.ID, Name: o.Name, Handle: o.Handle, AutoJoin: string(o.AutoJoin.Or())}
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildJoinOrg(env *app.Env) httpapi.Handler {
	svc := env.Domains()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		m, err := svc.Join(ctx, req.Caller, req.Path("orgId"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, joinedJSON{OrgID: m.OrgID, MemberJSON: httpapi.MemberOut(orgs.Org{}, m)}), nil
	}
}

// newUserJSON is one user to create, as the contract writes it.
type newUserJSON struct {
	Email       string          `json:"email"`
	Username    string          `json:"username"`
	Domain      string          `json:"domain"`
	NotifyEmail string          `json:"notifyEmail"`
	Name        string          `json:"name"`
	Phone       string          `json:"phone"`
	Role        string          `json:"role"`
	Properties  json.RawMessage `json:"properties"`
	Password    *struct {
		Mode      string `json:"mode"`
		Value     string `json:"value"`
		SendEmail bool   `json:"sendEmail"`
	} `json:"password"`
}

func (u newUserJSON) input() (provisioning.UserInput, error) {
	in := provisioning.UserInput{
		Email: u.Email, Username: u.Username, Domain: u.Domain, NotifyEmail: u.NotifyEmail,
		Name: u.Name, Phone: u.Phone, Role: u.Role,
	}
	if p := bytes.TrimSpace(u.Properties); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if !bytes.HasPrefix(p, []byte("{")) || json.Unmarshal(p, &in.Properties) != nil {
			return in, apperr.New(apperr.Invalid, "properties must be an object of strings, numbers and booleans")
		}
	}
	if u.Password != nil {
		in.Password = provisioning.PasswordInput{Mode: u.Password.Mode, Value: u.Password.Value, SendEmail: u.Password.SendEmail}
	}
	return in, nil
}

func buildCreateMember(env *app.Env) httpapi.Handler {
	svc := env.Provisioning()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var u newUserJSON
		if err := req.Decode(&u); err != nil {
			return nil, err
		}
		in, err := u.input()
		if err != nil {
			return nil, err
		}
		m, err := svc.Create(ctx, req.Access, in)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, httpapi.MemberOut(req.Access.Org, m)), nil
	}
}

// bulkResultJSON is one result of a bulk route.
type bulkResultJSON struct {
	Index  int                 `json:"index"`
	Status string              `json:"status"`
	Error  *errorJSON          `json:"error"`
	Member *httpapi.MemberJSON `json:"member"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func bulkOut(ctx context.Context, env *app.Env, o orgs.Org, results []provisioning.BulkResult) map[string]any {
	out := make([]bulkResultJSON, len(results))
	for i, r := range results {
		out[i] = bulkResultJSON{Index: i, Status: "created"}
		if r.Err != nil {
			if apperr.KindOf(r.Err) == apperr.Internal {
				env.Log.ErrorContext(ctx, "bulk create failed", "index", i, "error", r.Err)
			}
			out[i].Status = "error"
			e := httpapi.ErrorResponse(r.Err).Body.(httpapi.ErrorBody)
			out[i].Error = &errorJSON{Code: e.Error.Code, Message: e.Error.Message}
			continue
		}
		m := httpapi.MemberOut(o, r.Member)
		out[i].Member = &m
	}
	return map[string]any{"results": out}
}

func buildCreateMembersBulk(env *app.Env) httpapi.Handler {
	svc, keep := env.Provisioning(), env.Store()
	log := env.Log.With("route", "create-members-bulk")
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var body struct {
			Members []newUserJSON `json:"members"`
		}
		if err := req.Decode(&body); err != nil {
			return nil, err
		}
		ins := make([]provisioning.UserInput, len(body.Members))
		for i, u := range body.Members {
			in, err := u.input()
			if err != nil {
				return nil, apperr.New(apperr.Invalid, "members[%d]: %s", i, apperr.MessageOf(err))
			}
			ins[i] = in
		}
		results, err := svc.CreateMany(ctx, req.Access, ins)
		if err != nil {
			return nil, err
		}
		first := ""
		for _, r := range results {
			if r.Err == nil {
				first = r.Member.UserID
				break
			}
		}
		return httpapi.BulkAnswer(ctx, req, keep, log, first, bulkOut(ctx, env, req.Access.Org, results))
	}
}

func buildResetMemberPassword(env *app.Env) httpapi.Handler {
	svc := env.SealingProvisioning()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.ResetPassword(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

func buildListLegacyUsers(env *app.Env) httpapi.Handler {
	svc := env.Members()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		const query = "source=legacy"
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.ListBySource(ctx, req.Access, orgs.SourceLegacy, p)
		if err != nil {
			return nil, err
		}
		out := httpapi.ListJSON[httpapi.MemberJSON]{Items: make([]httpapi.MemberJSON, len(page.Members)), NextCursor: req.Cursor(query, page.Next)}
		for i, m := range page.Members {
			out.Items[i] = httpapi.MemberOut(req.Access.Org, m)
		}
		return httpapi.JSON(http.StatusOK, out), nil
	}
}

func buildMigrateLegacyUsers(env *app.Env) httpapi.Handler {
	svc := env.Provisioning()
	orgSvc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var body struct {
			Users []struct {
				Email string `json:"email"`
				Name  string `json:"name"`
			} `json:"users"`
		}
		if err := req.Decode(&body); err != nil {
			return nil, err
		}
		o, err := orgSvc.LiveOrg(ctx, req.Path("orgId"))
		if err != nil {
			return nil, err
		}
		users := make([]provisioning.LegacyUser, len(body.Users))
		for i, u := range body.Users {
			users[i] = provisioning.LegacyUser{Email: strings.TrimSpace(u.Email), Name: u.Name}
		}
		results, err := svc.MigrateLegacy(ctx, o, req.Caller, users)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, bulkOut(ctx, env, o, results)), nil
	}
}

// replayCreateMember answers a repeated create with the member the first one created.
func replayCreateMember(env *app.Env) httpapi.Replayer {
	svc := env.Orgs()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := svc.AuthorizeFor(ctx, req.Caller, req.Path("orgId"), orgs.Subject{UserID: created.ID}, roles.MembersManage)
		if err != nil {
			return nil, err
		}
		if a.Target == nil {
			return nil, apperr.New(apperr.NotFound, "the member this key created is gone")
		}
		return httpapi.JSON(http.StatusCreated, httpapi.MemberOut(a.Org, *a.Target)), nil
	}
}

// replayImportMembers answers a repeated commit with the import job the first one started.
func replayImportMembers(env *app.Env) httpapi.Replayer {
	svc, store := env.Orgs(), env.ProvisioningStore()
	return func(ctx context.Context, req *httpapi.Request, created audit.Target) (*httpapi.Response, error) {
		a, err := svc.Authorize(ctx, req.Caller, req.Path("orgId"), roles.MembersManage)
		if err != nil {
			return nil, err
		}
		job, err := store.Import(ctx, a.Org.ID, created.ID)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusAccepted, importOut(job)), nil
	}
}
