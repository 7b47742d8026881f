package eventsapi

import (
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/roles"
)

var ListEvents = &httpapi.Route{
	Name: "list-events", Method: "GET", Path: "/v1/orgs/{orgId}/events", Auth: httpapi.JWT, Permission: roles.EventsRead,
	Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
	Keys:    []string{app.KeyCursors},
	List:    httpapi.Paged,
	Summary: "The org's event log, newest first, filtered by category, time and text",
	Build:   buildListEvents,
}

var GetEvent = &httpapi.Route{
	Name: "get-event", Method: "GET", Path: "/v1/orgs/{orgId}/events/{eventId}", Auth: httpapi.JWT, Permission: roles.EventsRead,
	Actions: []string{httpapi.DDBBatchGet, httpapi.DDBGet},
	Summary: "One event of the org's log, with its details",
	Build:   buildGetEvent,
}

var ExportEvents = &httpapi.Route{
	Name: "export-events", Method: "GET", Path: "/v1/orgs/{orgId}/events/export", Auth: httpapi.JWT, Permission: roles.EventsRead,
	Actions: []string{httpapi.DDBBatchGet, httpapi.DDBQuery},
	Summary: "The org's event log as CSV, with the list's filters",
	Build:   buildExportEvents,
}
