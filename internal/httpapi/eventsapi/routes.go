// Package eventsapi is the HTTP edge of the org's event log: pages, one event, the CSV export:
// its routes (each a package-level Route that its function's main names), their handlers and
// replays, over the kernel of package httpapi.
package eventsapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

// The event log's routes.
var (
	ListEvents = &httpapi.Route{
		Name: "list-events", Method: "GET", Path: "/v1/orgs/{orgId}/events", Auth: httpapi.JWT, Permission: roles.EventsRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Keys:    []string{app.KeyCursors},
		List:    httpapi.Paged,
		Summary: "The org's event log, newest first, filtered by category, time and text",
		Build:   buildListEvents,
	}
	GetEvent = &httpapi.Route{
		Name: "get-event", Method: "GET", Path: "/v1/orgs/{orgId}/events/{eventId}", Auth: httpapi.JWT, Permission: roles.EventsRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBGet},
		Summary: "One event of the org's log, with its details",
		Build:   buildGetEvent,
	}
	ExportEvents = &httpapi.Route{
		Name: "export-events", Method: "GET", Path: "/v1/orgs/{orgId}/events/export", Auth: httpapi.JWT, Permission: roles.EventsRead,
		Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
		Summary: "The org's event log as CSV, with the list's filters",
		Build:   buildExportEvents,
	}
)
