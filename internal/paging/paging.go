// Package paging carries a page request from the HTTP edge to a store and the position of the
// next page back. The position is opaque to everyone but the store that made it; the edge
// seals it into a cursor that the client can't forge or reuse for another query.
package paging

// DefaultLimit and MaxLimit bound a page's size.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Request asks for one page: at most Limit items, after the position After ("" = first page).
type Request struct {
	Limit int
	After string
}
