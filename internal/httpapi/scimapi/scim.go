package scimapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/scim"
)

// scimJSON answers status with v in SCIM's media type.
func scimJSON(status int, v any) (*httpapi.Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &httpapi.Response{Status: status, Raw: b, ContentType: httpapi.SCIMContentType}, nil
}

// scimDecode reads a SCIM request body. Unlike the rest of the API it is lenient about
// attributes it doesn't know: identity providers send extension attributes by default.
func scimDecode(req *httpapi.Request, v any) error {
	if len(strings.TrimSpace(string(req.Body()))) == 0 {
		return scim.Errorf(apperr.Invalid, "invalidSyntax", "a JSON body is required")
	}
	if err := json.Unmarshal(req.Body(), v); err != nil {
		if apperr.KindOf(err) != apperr.Internal {
			return err // the resource's own check of a value (scim.ActiveValue)
		}
		// What the decoder found, in the API's words: never its own text, which names Go's
		// types and the server's structures.
		return scim.Errorf(apperr.Invalid, "invalidSyntax", "the body is not a valid SCIM resource: %s", httpapi.DescribeJSONError(err))
	}
	return nil
}

func buildSCIMNotFound(*app.Env) httpapi.Handler {
	return func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
		return nil, scim.Errorf(apperr.NotFound, "", "no such SCIM endpoint: the base serves /ServiceProviderConfig, /ResourceTypes, /Schemas, /Users and /Groups")
	}
}

func buildCreateSCIMToken(env *app.Env) httpapi.Handler {
	svc := env.SCIMTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		token, at, err := svc.Create(ctx, req.Access)
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusCreated, struct {
			Token     string            `json:"token"`
			CreatedAt httpapi.Timestamp `json:"createdAt"`
		}{token, httpapi.Timestamp(at)}), nil
	}
}

func buildRevokeSCIMToken(env *app.Env) httpapi.Handler {
	svc := env.SCIMTokens()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.Revoke(ctx, req.Access); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

// The discovery routes' Builds are functions of their own, not buildSCIMDiscovery("...")
// in the Route literal: a call there is made at init, in every function's binary, and links
// what it returns into all of them.
func buildSCIMServiceProviderConfig(env *app.Env) httpapi.Handler {
	return buildSCIMDiscovery(env, "ServiceProviderConfig")
}

func buildSCIMResourceTypes(env *app.Env) httpapi.Handler {
	return buildSCIMDiscovery(env, "ResourceTypes")
}

func buildSCIMSchemas(env *app.Env) httpapi.Handler { return buildSCIMDiscovery(env, "Schemas") }

func buildSCIMResourceType(env *app.Env) httpapi.Handler {
	return buildSCIMDiscoveryResource(env, "ResourceTypes", "name")
}

func buildSCIMSchema(env *app.Env) httpapi.Handler {
	return buildSCIMDiscoveryResource(env, "Schemas", "uri")
}

// buildSCIMDiscoveryResource serves one resource of a discovery list, named by the path
// parameter param: what the list's meta.location points at.
func buildSCIMDiscoveryResource(env *app.Env, what, param string) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		r, err := scim.DiscoveryResource(what, req.Path(param), svc.BaseURL)
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, r)
	}
}

func buildSCIMDiscovery(env *app.Env, what string) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		return scimJSON(http.StatusOK, scim.Discovery(what, svc.BaseURL))
	}
}

// scimIndex reads startIndex and count (RFC 7644 §3.4.2.4).
func scimIndex(req *httpapi.Request) (int, int, error) {
	start, count := 1, 100
	if s := req.Query("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, scim.Errorf(apperr.Invalid, "invalidValue", "startIndex must be a whole number")
		}
		start = max(n, 1)
	}
	if s := req.Query("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, scim.Errorf(apperr.Invalid, "invalidValue", "count must be a whole number")
		}
		count = max(n, 0)
	}
	return start, count, nil
}

func buildSCIMListUsers(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		f, err := scim.ParseUserFilter(req.Query("filter"))
		if err != nil {
			return nil, err
		}
		start, count, err := scimIndex(req)
		if err != nil {
			return nil, err
		}
		list, err := svc.ListUsers(ctx, req.SCIM, f, start, count)
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, list)
	}
}

// scimProjection reads attributes and excludedAttributes (RFC 7644 §3.4.2.5).
func scimProjection(req *httpapi.Request) scim.Projection {
	return scim.ParseProjection(req.Query("attributes"), req.Query("excludedAttributes"))
}

func buildSCIMGetUser(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		u, err := svc.GetUser(req.SCIM, req.Path("id"))
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, u)
	}
}

func buildScimCreateUser(env *app.Env) httpapi.Handler {
	svc := env.SCIMCreating()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in scim.UserInput
		if err := scimDecode(req, &in); err != nil {
			return nil, err
		}
		u, err := svc.CreateUser(ctx, req.SCIM, in)
		if err != nil {
			return nil, err
		}
		resp, err := scimJSON(http.StatusCreated, u)
		if err == nil {
			// RFC 7644 §3.3: the created resource's URI, as its meta.location says.
			resp.Headers = map[string]string{"Location": u.Meta.Location}
		}
		return resp, err
	}
}

func buildSCIMReplaceUser(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in scim.UserInput
		if err := scimDecode(req, &in); err != nil {
			return nil, err
		}
		u, err := svc.ReplaceUser(ctx, req.SCIM, req.Path("id"), in)
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, u)
	}
}

func buildSCIMPatchUser(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in scim.PatchRequest
		if err := scimDecode(req, &in); err != nil {
			return nil, err
		}
		u, err := svc.PatchUser(ctx, req.SCIM, req.Path("id"), in)
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, u)
	}
}

func buildSCIMDeleteUser(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := svc.DeleteUser(ctx, req.SCIM, req.Path("id")); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

func buildSCIMListGroups(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		name, err := scim.ParseGroupFilter(req.Query("filter"))
		if err != nil {
			return nil, err
		}
		list, err := svc.ListGroups(ctx, req.SCIM, name, scimProjection(req))
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, list)
	}
}

func buildSCIMGetGroup(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		g, err := svc.GetGroup(ctx, req.SCIM, req.Path("id"), scimProjection(req))
		if err != nil {
			return nil, err
		}
		return scimJSON(http.StatusOK, g)
	}
}

func buildSCIMPatchGroup(env *app.Env) httpapi.Handler {
	svc := env.SCIM()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		var in scim.PatchRequest
		if err := scimDecode(req, &in); err != nil {
			return nil, err
		}
		ch, err := scim.ParseGroupPatch(in)
		if err != nil {
			return nil, err
		}
		// Too large a change is refused after the token is checked (the glue), reading none of
		// its members (readGroupPatchMembers).
		if err := ch.CheckSize(); err != nil {
			return nil, err
		}
		g, err := svc.PatchGroup(ctx, req.SCIM, req.Path("id"), ch, scimProjection(req))
		if err != nil {
			return nil, err
		}
		if g == nil {
			// Made, but too large a group to answer with (RFC 7644 §3.5.2 allows no body).
			return httpapi.NoContent(), nil
		}
		return scimJSON(http.StatusOK, g)
	}
}

// The SCIM routes' Reads: what the SCIM sign-in reads with the token (scim.UserRead,
// scim.ExternalIDRead), in the same round trip. Each reads the request as the handler will,
// but answers nothing: what it can't read names no one, and the handler, which runs only once
// the token is good, says what is wrong.

// readPathUser reads the user of the path ({id}).
func readPathUser(req *httpapi.Request, _ time.Time) []orgs.Read {
	return []orgs.Read{scim.UserRead{ID: req.Path("id")}}
}

// readFilterUser reads the member a GET /Users filter names by id, and the external id's
// hint.
func readFilterUser(req *httpapi.Request, _ time.Time) []orgs.Read {
	f, err := scim.ParseUserFilter(req.Query("filter"))
	if err != nil {
		return nil
	}
	var reads []orgs.Read
	if f.ID != "" {
		reads = append(reads, scim.UserRead{ID: f.ID})
	}
	if f.ExternalID != "" {
		reads = append(reads, scim.ExternalIDRead{ID: f.ExternalID})
	}
	return reads
}

// readGroupPatchMembers reads the members a group PATCH names; none when it names too many
// (scim.GroupChange.CheckSize): a forged token then still costs one read of a few items.
func readGroupPatchMembers(req *httpapi.Request, _ time.Time) []orgs.Read {
	var in scim.PatchRequest
	if scimDecode(req, &in) != nil {
		return nil
	}
	ch, err := scim.ParseGroupPatch(in)
	if err != nil || ch.CheckSize() != nil {
		return nil
	}
	var reads []orgs.Read
	for _, id := range ch.MemberIDs() {
		reads = append(reads, scim.UserRead{ID: id})
	}
	return reads
}
