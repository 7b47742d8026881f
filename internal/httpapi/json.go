package httpapi

import (
	"time"
)

// The JSON shapes of the contract. Every listed field is always present: unset strings are
// null, unset lists are empty.

// Timestamp marshals as RFC 3339 in UTC with second precision, or null when zero.
type Timestamp time.Time

func (t Timestamp) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

func Nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ListJSON is the contract's list answer.
type ListJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}
