package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/paging"
	"github.com/vendorportal/orgs/internal/seal"
)

// Cursors seal a store's position together with the query it belongs to (AES-GCM under the
// server secret's "cursor" key): a client can pass one back but can read nothing out of it
// (positions may hold emails), can't forge or edit one, and can't use it for another query
// (other filters, another org, another caller). Only routes marked Secret have the key.

type cursorBody struct {
	Query string `json:"q"`
	After string `json:"a"`
}

// cursorKey is the key cursors are sealed with, derived from the server's secret.
func cursorKey(secret []byte) *seal.Key {
	k := seal.Derive(secret, "cursor")
	return &k
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
	raw, err := r.cursorKey().Open(c)
	var body cursorBody
	if err != nil || json.Unmarshal(raw, &body) != nil {
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
	return r.cursorKey().Seal(raw)
}

func (r *Request) cursorKey() *seal.Key {
	if r.cursors == nil {
		// A programming error, caught by any test of the route: its Keys lack app.KeyCursors.
		panic("httpapi: a paged list route must name app.KeyCursors in Keys (its cursors are sealed with it)")
	}
	return r.cursors
}

// queryKey binds a query to the route and the caller, so that a cursor can't cross them.
func (r *Request) queryKey(query string) string {
	sum := sha256.Sum256([]byte(r.Event.RouteKey + "\x00" + r.Event.PathParameters["orgId"] + "\x00" + r.Caller.ID + "\x00" + query))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
