package apitest

import (
	"encoding/json"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/orgs"
)

// Page is one page of a list answer.
type Page struct {
	Items      []map[string]any `json:"items"`
	NextCursor *string          `json:"nextCursor"`
}

// Walk reads every page of r with ?limit=1 and returns the items' values of key, in order.
func (a *API) Walk(r *httpapi.Route, c *orgs.Caller, params map[string]string, key string) (ids []string, cursors []string) {
	a.T.Helper()
	query := map[string]string{"limit": "1"}
	for range 20 {
		got := a.Do(r, c, params, query, "")
		if got.Status != 200 {
			a.T.Fatalf("%s %v: %d %s", r.Name, query, got.Status, got.Body)
		}
		var p Page
		if err := json.Unmarshal([]byte(got.Body), &p); err != nil {
			a.T.Fatal(err)
		}
		if len(p.Items) > 1 {
			a.T.Fatalf("%s: limit=1 answered %d items", r.Name, len(p.Items))
		}
		for _, it := range p.Items {
			ids = append(ids, it[key].(string))
		}
		if p.NextCursor == nil {
			return ids, cursors
		}
		cursors = append(cursors, *p.NextCursor)
		query["cursor"] = *p.NextCursor
	}
	a.T.Fatalf("%s: more than 20 pages", r.Name)
	return nil, nil
}
