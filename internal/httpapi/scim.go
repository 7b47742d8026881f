package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/scim"
)

// SCIMContentType is what SCIM answers are.
const SCIMContentType = "application/scim+json"

// scimErrorResponse maps err to SCIM's error shape (RFC 7644 §3.12), with the statuses of the
// one table: a *scim.Error says its own status and scimType.
func scimErrorResponse(err error) *Response {
	status, scimType, detail := statusOf[apperr.KindOf(err)], "", apperr.MessageOf(err)
	var se *scim.Error
	if errors.As(err, &se) {
		status, scimType, detail = se.Status, se.SCIMType, se.Detail
	}
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
