package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/scim"
)

// SCIMContentType is what SCIM answers are.
const SCIMContentType = "application/scim+json"

// scimErrorResponse maps err to SCIM's error shape (RFC 7644 §3.12), with the status of the
// one table (statusOf) and the scimType the SCIM domain gave it (scim.TypeOf).
func scimErrorResponse(err error) *Response {
	status, scimType, detail := statusOf[apperr.KindOf(err)], scim.TypeOf(err), apperr.MessageOf(err)
	if status == http.StatusInternalServerError {
		detail = "internal error"
	}
	body := map[string]any{"schemas": []string{scim.SchemaError}, "status": strconv.Itoa(status), "detail": detail}
	if scimType != "" {
		body["scimType"] = scimType
	}
	b, _ := json.Marshal(body)
	r := &Response{Status: status, Raw: b, ContentType: SCIMContentType}
	if status == http.StatusUnauthorized {
		r.Headers = map[string]string{"WWW-Authenticate": `Bearer realm="scim"`}
	}
	if status == http.StatusServiceUnavailable {
		r.Headers = map[string]string{"Retry-After": "5"}
	}
	return r
}

// scimBearer reads the SCIM token of the Authorization header (RFC 6750: "Bearer <token>", the
// scheme in any case); ok is false when there is none, or when what is there can't be a SCIM
// token (scim.OrgOf). The token is a secret: it is never logged, and no error carries it.
func scimBearer(ev *events.APIGatewayV2HTTPRequest) (token string, ok bool) {
	h := ev.Headers["authorization"]
	if h == "" {
		h = ev.Headers["Authorization"]
	}
	scheme, cred, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(cred)
	return token, scim.OrgOf(token) != ""
}
