// Package audit defines the event log's entries: who did what to which thing, when and from
// where. Every change writes exactly one Event in the same transaction as the change itself.
package audit

import (
	"context"
	"time"
)

// Category groups events for filtering.
type Category string

// The categories of the contract.
const (
	Authentication Category = "authentication"
	Licensing      Category = "licensing"
	Organization   Category = "organization"
	Security       Category = "security"
	Support        Category = "support"
	System         Category = "system"
)

// Categories lists every category.
var Categories = []Category{Authentication, Licensing, Organization, Security, Support, System}

// Actor types.
const (
	ActorUser     = "user"
	ActorOperator = "operator"
	ActorSystem   = "system"
	ActorToken    = "token"
)

// Actor is who caused an event.
type Actor struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Target is the thing an event is about.
type Target struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Event is one entry of an org's event log.
type Event struct {
	ID         string         `json:"id"`
	OrgID      string         `json:"-"`
	Category   Category       `json:"category"`
	Action     string         `json:"action"`
	OccurredAt time.Time      `json:"occurredAt"`
	Actor      Actor          `json:"actor"`
	Target     Target         `json:"target"`
	IP         string         `json:"ip"`
	UserAgent  string         `json:"userAgent"`
	Summary    string         `json:"summary"`
	Details    map[string]any `json:"details"`
}

// Source is where a request came from; the HTTP edge puts it in the context so that services
// can stamp their events without knowing about HTTP.
type Source struct {
	IP        string
	UserAgent string
}

type sourceKey struct{}

// WithSource returns ctx carrying s.
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the request source in ctx, or the zero Source.
func SourceFrom(ctx context.Context) Source {
	s, _ := ctx.Value(sourceKey{}).(Source)
	return s
}

// Stamp fills the event's id, time and source from the given values and ctx. The time is
// kept to the millisecond and becomes the time part of the id (a ULID), whatever time the id
// generator saw: ids then sort exactly as occurredAt does, so a date range is an id range.
func (e *Event) Stamp(ctx context.Context, id string, at time.Time) {
	e.OccurredAt = at.UTC().Truncate(time.Millisecond)
	e.ID = idAt(id, e.OccurredAt)
	src := SourceFrom(ctx)
	e.IP, e.UserAgent = src.IP, src.UserAgent
	if e.Details == nil {
		e.Details = map[string]any{}
	}
}
