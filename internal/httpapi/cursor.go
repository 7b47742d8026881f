package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/paging"
)

// Cursors seal a store's position together with the query it belongs to, signed with the
// server's secret: a client can pass one back but can neither forge one, nor edit it, nor use
// it for another query (other filters, another org, another caller).

type cursorBody struct {
	Query string `json:"q"`
	After string `json:"a"`
}

// Page reads ?limit= and ?cursor= for a list whose filters are described by query (any
// string that differs when the filters, the org or the caller differ).
func (r *Request) Page(query string) (paging.Request, error) {
	p := paging.Request{Limit: paging.DefaultLimit}
	if s, ok := r.Event.QueryStringParameters["limit"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > paging.MaxLimit {
			return p, apperr.New(apperr.Invalid, "limit must be a whole number from 1 to %d", paging.MaxLimit)
		}
		p.Limit = n
	}
	c := r.Query("cursor")
	if c == "" {
		return p, nil
	}
	payload, sig, ok := strings.Cut(c, ".")
	raw, err1 := base64.RawURLEncoding.DecodeString(payload)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	var body cursorBody
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, r.sign(raw)) || json.Unmarshal(raw, &body) != nil {
		return p, apperr.New(apperr.Invalid, "cursor is not one this server issued; start again from the first page")
	}
	if body.Query != r.queryKey(query) {
		return p, apperr.New(apperr.Invalid, "cursor belongs to another query; start again from the first page")
	}
	p.After = body.After
	return p, nil
}

// Cursor seals the store's position after for query; "" when there is no next page.
func (r *Request) Cursor(query, after string) string {
	if after == "" {
		return ""
	}
	raw, _ := json.Marshal(cursorBody{Query: r.queryKey(query), After: after})
	return base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(r.sign(raw))
}

// queryKey binds a query to the route and the caller, so that a cursor can't cross them.
func (r *Request) queryKey(query string) string {
	sum := sha256.Sum256([]byte(r.Event.RouteKey + "\x00" + r.Event.PathParameters["orgId"] + "\x00" + r.Caller.ID + "\x00" + query))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func (r *Request) sign(b []byte) []byte {
	m := hmac.New(sha256.New, r.secret)
	m.Write([]byte("cursor\x00"))
	m.Write(b)
	return m.Sum(nil)
}
