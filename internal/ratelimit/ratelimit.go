// Package ratelimit names the abuse limits (OWASP API4 and API6) and what one use of a limit
// is. A limit counts uses in fixed windows (a UTC day, an hour, a minute); the store keeps one
// counter per limit, scope and window (dynamo/limits.go), updated in the same transaction as
// the change it limits, or with one conditional update, and refuses a use that would pass
// the limit: 429 rate_limited with Retry-After, the time left in the window.
package ratelimit

import (
	"fmt"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
)

// Rule is one limit: at most Max uses per Window of what it is named for.
type Rule struct {
	// Name tells the counters apart ("org-emails", "email-changes", "tool-sign-in-failures").
	Name   string
	Max    int
	Window time.Duration
	// What is the limit in words, for the 429's message ("emails of invitations a day").
	What string
}

// The limits of the contract's rate-limit row. OrgDailyEmails's Max comes from the
// configuration (ORG_DAILY_EMAIL_LIMIT); see WithMax.
var (
	OrgDailyEmails = Rule{Name: "org-emails", Max: 1000, Window: 24 * time.Hour, What: "emails of invitations and provisioning a day (UTC)"}
	EmailChanges   = Rule{Name: "email-changes", Max: 10, Window: time.Hour, What: "email-change requests an hour"}
	// ToolSignInFailures is for the entitlements route: failed sign-ins per org and email.
	ToolSignInFailures = Rule{Name: "tool-sign-in-failures", Max: 10, Window: time.Minute, What: "failed sign-ins a minute for this email"}
)

// WithMax returns r with another Max (0 or less leaves it).
func (r Rule) WithMax(n int) Rule {
	if n > 0 {
		r.Max = n
	}
	return r
}

// Use is n uses of rule by scope (an org id, a user id, "<orgId>#<email>") at At.
type Use struct {
	Rule  Rule
	Scope string
	N     int
	At    time.Time
}

// WindowStart is the start of the window At falls in (windows are aligned to the Unix epoch,
// so a day is a UTC day).
func (u Use) WindowStart() time.Time { return u.At.UTC().Truncate(u.Rule.Window) }

// WindowEnd is when the window ends and the counter starts again.
func (u Use) WindowEnd() time.Time { return u.WindowStart().Add(u.Rule.Window) }

// Exceeded is the error of a use that would pass the limit: RateLimited, retry when the
// window ends.
func (u Use) Exceeded() error {
	wait := u.WindowEnd().Sub(u.At)
	if wait < time.Second {
		wait = time.Second
	}
	msg := fmt.Sprintf("limit reached: at most %d %s", u.Rule.Max, u.Rule.What)
	if u.N > 1 {
		msg = fmt.Sprintf("this request needs %d and would pass the limit of %d %s", u.N, u.Rule.Max, u.Rule.What)
	}
	return &apperr.Error{Kind: apperr.RateLimited, Message: msg + "; try again later", RetryAfter: wait.Round(time.Second)}
}
