package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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

// CursorKey is the key cursors are sealed with, derived from the server's secret.
func CursorKey(secret []byte) *seal.Key {
	k := seal.Derive(secret, "cursor")
	return &k
}

// Page reads ?limit= and ?cursor= for a list whose filters are described by query (any
// string that differs when the filters, the org or the caller differ).
func (r *Request) Page(query string) (paging.Request, error) {
	p := paging.Request{Limit: paging.DefaultLimit}
	key, err := r.cursorKey()
	if err != nil {
		return p, err
	}
	if p.Limit, err = r.limit(); err != nil {
		return p, err
	}
	c := r.Query("cursor")
	if c == "" {
		return p, nil
	}
	raw, err := key.Open(c)
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
	key, err := r.cursorKey()
	if err != nil {
		// Page already failed for such a route: no request gets this far.
		return ""
	}
	raw, _ := json.Marshal(cursorBody{Query: r.queryKey(query), After: after})
	return key.Seal(raw)
}

// limit reads ?limit=: the default when absent, 400 outside 1–MaxLimit (an empty value too).
func (r *Request) limit() (int, error) {
	s, ok := r.Event.QueryStringParameters["limit"]
	if !ok {
		return paging.DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > paging.MaxLimit {
		return 0, apperr.New(apperr.Invalid, "limit must be a whole number from 1 to %d", paging.MaxLimit)
	}
	return n, nil
}

// wholeList checks the paging parameters of a route that answers its whole list at once
// (List Whole): ?limit= as any list's, and no ?cursor= but an empty one (the first page),
// since none was ever issued for it.
func (r *Request) wholeList() error {
	if _, err := r.limit(); err != nil {
		return err
	}
	if r.Query("cursor") != "" {
		return apperr.New(apperr.Invalid, "cursor is not one this server issued: this list has one page")
	}
	return nil
}

// cursorKey is the route's key for cursors. A route without it is declared wrong (List
// Paged without app.KeyCursors in Keys), which TestListRoutesAreDeclaredAsTheyPage refuses
// before any deployment; should one slip through, its requests fail as internal errors, never
// a panic.
func (r *Request) cursorKey() (*seal.Key, error) {
	if r.Cursors == nil {
		return nil, errors.New("httpapi: a paged list route must name app.KeyCursors in Keys (its cursors are sealed with it)")
	}
	return r.Cursors, nil
}

// queryKey binds a query to the route and the caller, so that a cursor can't cross them.
func (r *Request) queryKey(query string) string {
	sum := sha256.Sum256([]byte(r.Event.RouteKey + "\x00" + r.Event.PathParameters["orgId"] + "\x00" + r.Caller.ID + "\x00" + query))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
