package tokensapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/tokens"
)

// The CLI's sign-in (RFC 8628). Its two public routes speak the RFC: snake_case fields, a
// form-encoded body as well as JSON, and errors as {"error","error_description"}, so that
// stock OAuth device-flow clients work. The approval routes are the portal's own API.

// deviceForm reads the body of an RFC 8628 route: application/x-www-form-urlencoded or JSON
// (strictly: the named fields only). Fields named in ignored are accepted and dropped, as the
// RFC's clients send them (scope).
func deviceForm(req *httpapi.Request, fields, ignored []string) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(req.Event.Headers["content-type"])
	if ct == "application/x-www-form-urlencoded" {
		vs, err := url.ParseQuery(string(req.Body()))
		if err != nil {
			return nil, &tokens.DeviceError{Code: "invalid_request", Description: "the form body can't be read"}
		}
		for k, v := range vs {
			switch {
			case len(v) != 1:
				return nil, &tokens.DeviceError{Code: "invalid_request", Description: "field " + k + " is given more than once"}
			case contains(fields, k):
				out[k] = v[0]
			case !contains(ignored, k):
				return nil, &tokens.DeviceError{Code: "invalid_request", Description: "unknown field " + k}
			}
		}
		return out, nil
	}
	var in map[string]*string
	if err := req.Decode(&in); err != nil {
		return nil, &tokens.DeviceError{Code: "invalid_request", Description: apperr.MessageOf(err)}
	}
	for k, v := range in {
		switch {
		case contains(fields, k):
			if v == nil {
				return nil, &tokens.DeviceError{Code: "invalid_request", Description: "field " + k + " must be a string"}
			}
			out[k] = *v
		case !contains(ignored, k):
			return nil, &tokens.DeviceError{Code: "invalid_request", Description: "unknown field " + k}
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// deviceAnswer turns a DeviceError into the RFC's 400; other errors take the glue's one path.
func deviceAnswer(err error) (*httpapi.Response, error) {
	var de *tokens.DeviceError
	if errors.As(err, &de) {
		return &httpapi.Response{Status: http.StatusBadRequest, Body: map[string]string{"error": de.Code, "error_description": de.Description},
			Headers: map[string]string{"Cache-Control": "no-store"}}, nil
	}
	return nil, err
}

func buildStartDevice(env *app.Env) httpapi.Handler {
	svc, appURL := env.DeviceFlow(), strings.TrimRight(env.Config.AppURL, "/")
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		in, err := deviceForm(req, []string{"client_id", "org"}, []string{"scope"})
		if err != nil {
			return deviceAnswer(err)
		}
		s, err := svc.Start(ctx, in["client_id"], in["org"], req.Event.RequestContext.HTTP.SourceIP)
		if err != nil {
			return deviceAnswer(err)
		}
		uri := appURL + "/device"
		return &httpapi.Response{Status: http.StatusOK, Headers: map[string]string{"Cache-Control": "no-store"}, Body: map[string]any{
			"device_code": s.DeviceCode, "user_code": tokens.FormatUserCode(s.UserCode),
			"verification_uri": uri, "verification_uri_complete": uri + "?user_code=" + tokens.FormatUserCode(s.UserCode),
			"expires_in": int(s.ExpiresIn.Seconds()), "interval": int(s.Interval.Seconds()),
		}}, nil
	}
}

func buildPollDevice(env *app.Env) httpapi.Handler {
	svc := env.DevicePolling()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		in, err := deviceForm(req, []string{"grant_type", "device_code", "client_id"}, nil)
		if err != nil {
			return deviceAnswer(err)
		}
		is, err := svc.Poll(ctx, in["grant_type"], in["device_code"], in["client_id"])
		if err != nil {
			return deviceAnswer(err)
		}
		return &httpapi.Response{Status: http.StatusOK, Headers: map[string]string{"Cache-Control": "no-store"}, Body: map[string]any{
			"access_token": is.Token, "token_type": "personal", "expires_in": int(is.ExpiresAt.Sub(env.Now()).Seconds()),
			"org_id": is.OrgID, "email": is.Email,
		}}, nil
	}
}

func buildGetDevice(env *app.Env) httpapi.Handler {
	svc := env.DeviceFlow()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		v, err := svc.View(ctx, req.Caller, req.Path("userCode"))
		if err != nil {
			return nil, err
		}
		return httpapi.JSON(http.StatusOK, map[string]any{
			"orgName": v.OrgName, "orgHandle": v.OrgHandle, "clientName": v.ClientName,
			"createdAt": httpapi.Timestamp(v.CreatedAt), "expiresAt": httpapi.Timestamp(v.ExpiresAt),
		}), nil
	}
}

func buildApproveDevice(env *app.Env) httpapi.Handler { return decideDevice(env, true) }

func buildDenyDevice(env *app.Env) httpapi.Handler { return decideDevice(env, false) }

// decideDevice approves or declines; each route names its own Build (a function, not a call at
// init), so that a function links no other route's handler.
func decideDevice(env *app.Env, approve bool) httpapi.Handler {
	svc := env.DeviceFlow()
	return func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
		if err := noBody(req); err != nil {
			return nil, err
		}
		if err := svc.Decide(ctx, req.Caller, req.Path("userCode"), approve); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}
