package audit

import "time"

// The event object of the contract, as the API shows it (GET /v1/orgs/{orgId}/events) and as
// webhook deliveries carry it in their data: one encoding for both, so that a receiver sees
// exactly what the log shows. Every field is present; unset strings are null.

// ActorJSON is an event's actor as the API shows it.
type ActorJSON struct {
	Type  string  `json:"type"`
	ID    *string `json:"id"`
	Email *string `json:"email"`
}

// TargetJSON is an event's target as the API shows it.
type TargetJSON struct {
	Type  *string `json:"type"`
	ID    *string `json:"id"`
	Label *string `json:"label"`
}

// EventJSON is the contract's event object.
type EventJSON struct {
	ID         string         `json:"id"`
	Category   string         `json:"category"`
	Action     string         `json:"action"`
	OccurredAt JSONTime       `json:"occurredAt"`
	Actor      ActorJSON      `json:"actor"`
	Target     TargetJSON     `json:"target"`
	IP         *string        `json:"ip"`
	UserAgent  *string        `json:"userAgent"`
	Summary    *string        `json:"summary"`
	Details    map[string]any `json:"details"`
}

// JSONTime is an event's time, written as TimeLayout says.
type JSONTime time.Time

// MarshalJSON writes the time as TimeLayout in UTC.
func (t JSONTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeLayout) + `"`), nil
}

// JSON returns the event as the API shows it.
func (e Event) JSON() EventJSON {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	return EventJSON{
		ID: e.ID, Category: string(e.Category), Action: e.Action, OccurredAt: JSONTime(e.OccurredAt),
		Actor:  ActorJSON{Type: e.Actor.Type, ID: nullable(e.Actor.ID), Email: nullable(e.Actor.Email)},
		Target: TargetJSON{Type: nullable(e.Target.Type), ID: nullable(e.Target.ID), Label: nullable(e.Target.Label)},
		IP:     nullable(e.IP), UserAgent: nullable(e.UserAgent), Summary: nullable(e.Summary), Details: details,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
