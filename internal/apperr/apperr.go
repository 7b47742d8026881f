// Package apperr gives errors a kind (invalid, not found, conflict, ...) that the HTTP edge
// maps to a status and code in one table. Domain code returns kinds; it never picks statuses.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the caller.
type Kind string

// The kinds of error the API answers with.
const (
	Internal        Kind = "internal"
	Invalid         Kind = "invalid_request"
	Unauthenticated Kind = "unauthenticated"
	Forbidden       Kind = "forbidden"
	NotFound        Kind = "not_found"
	Conflict        Kind = "conflict"
	Gone            Kind = "gone"
	TooLarge        Kind = "payload_too_large"
	RateLimited     Kind = "rate_limited"
	Unavailable     Kind = "unavailable"
)

// Error is an error with a kind and a message meant for the person calling the API.
type Error struct {
	Kind    Kind
	Message string
	// Err is the underlying cause, logged but never shown.
	Err error
	// RetryAfter, for RateLimited and Unavailable, is when to try again (Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a message formatted for the caller.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain, else Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// MessageOf returns the caller-facing message of err, or "" for internal errors.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Message
	}
	return ""
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return KindOf(err) == k }

// RetryAfterOf returns the RetryAfter of the first *Error in err's chain that sets one.
func RetryAfterOf(err error) time.Duration {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return 0
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter
		}
		err = e.Err
	}
	return 0
}
