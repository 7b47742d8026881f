package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/members"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/roles"
)

type memberJSON struct {
	UserID     string         `json:"userId"`
	Email      string         `json:"email"`
	Name       *string        `json:"name"`
	Phone      *string        `json:"phone"`
	Role       string         `json:"role"`
	JoinedAt   timestamp      `json:"joinedAt"`
	Source     string         `json:"source"`
	Properties map[string]any `json:"properties"`
	// Status is active or suspended (SCIM active: false): the contract's member object has it.
	Status string `json:"status"`
}

// memberOut is the member as the contract shows it: only the properties the org still
// defines (removing a definition hides its values).
func memberOut(o orgs.Org, m orgs.Member) memberJSON {
	out := memberJSON{
		UserID: m.UserID, Email: m.Email, Name: nullable(m.Name), Phone: nullable(m.Phone), Role: string(m.Role),
		JoinedAt: timestamp(m.JoinedAt), Source: string(m.Source), Properties: orgs.VisibleProperties(o.UserProperties, m.Properties),
		Status: string(orgs.StatusActive),
	}
	if m.Suspended() {
		out.Status = string(orgs.StatusSuspended)
	}
	return out
}

func buildListMembers(env *app.Env) Handler {
	svc := env.Members()
	return func(ctx context.Context, req *Request) (*Response, error) {
		role, q, source := req.Query("role"), req.Query("q"), req.Query("source")
		query := "role=" + role + "\x00q=" + orgs.NormalizeQuery(q) + "\x00source=" + source
		p, err := req.Page(query)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(ctx, req.Access, role, q, source, p)
		if err != nil {
			return nil, err
		}
		out := list[memberJSON]{Items: make([]memberJSON, len(page.Members)), NextCursor: req.Cursor(query, page.Next)}
		for i, m := range page.Members {
			out.Items[i] = memberOut(req.Access.Org, m)
		}
		return JSON(http.StatusOK, out), nil
	}
}

func buildUpdateMember(env *app.Env) Handler {
	svc := env.Members()
	return func(ctx context.Context, req *Request) (*Response, error) {
		var in struct {
			Role       *string          `json:"role"`
			Name       optional[string] `json:"name"`
			Phone      optional[string] `json:"phone"`
			Properties json.RawMessage  `json:"properties"`
		}
		if err := req.Decode(&in); err != nil {
			return nil, err
		}
		upd := members.Update{Name: in.Name.ptr(), Phone: in.Phone.ptr()}
		if in.Role != nil {
			r := roles.Role(*in.Role)
			upd.Role = &r
		}
		if len(in.Properties) > 0 {
			if !bytes.HasPrefix(bytes.TrimSpace(in.Properties), []byte("{")) || json.Unmarshal(in.Properties, &upd.Properties) != nil {
				return nil, apperr.New(apperr.Invalid, "properties must be an object of strings, numbers and booleans")
			}
			upd.SetProperties = true
		}
		m, err := svc.Update(ctx, req.Access, upd)
		if err != nil {
			return nil, err
		}
		return JSON(http.StatusOK, memberOut(req.Access.Org, m)), nil
	}
}

func buildRemoveMember(env *app.Env) Handler {
	svc := env.Members()
	return func(ctx context.Context, req *Request) (*Response, error) {
		if err := svc.Remove(ctx, req.Access); err != nil {
			return nil, err
		}
		return NoContent(), nil
	}
}
