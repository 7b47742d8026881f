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

// The limits of the contract's rate-limit row. OrgDailyEmails's and UserDailyEmails's Max
// come from the configuration (ORG_DAILY_EMAIL_LIMIT, USER_DAILY_EMAIL_LIMIT); see WithMax
// and EmailLimits.
var (
	OrgDailyEmails = Rule{Name: "org-emails", Max: 1000, Window: 24 * time.Hour, What: "emails of invitations and provisioning a day (UTC)"}
	// UserDailyEmails is the acting user's share across every org they act in: orgs are free
	// to make, so the org's budget alone would let one person send N times as much from N
	// orgs.
	UserDailyEmails = Rule{Name: "user-emails", Max: 2000, Window: 24 * time.Hour, What: "emails of invitations and provisioning a day (UTC) across all the organizations you act in"}
	EmailChanges    = Rule{Name: "email-changes", Max: 10, Window: time.Hour, What: "email-change requests an hour"}
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
	// Also are other limits that these same N uses count against, in the same write (the
	// acting user's daily emails beside the org's): a use that would pass any of them is
	// refused whole, and giving uses back gives them back to each.
	Also []Limit
}

// Limit is one rule's counter for one scope.
type Limit struct {
	Rule  Rule
	Scope string
}

// Each returns u and one use of each of u.Also, all with u's N and At.
func (u Use) Each() []Use {
	out := []Use{{Rule: u.Rule, Scope: u.Scope, N: u.N, At: u.At}}
	for _, l := range u.Also {
		out = append(out, Use{Rule: l.Rule, Scope: l.Scope, N: u.N, At: u.At})
	}
	return out
}

// EmailLimits are the daily budgets of outgoing invitation and provisioning emails: per org
// and per acting user (ORG_DAILY_EMAIL_LIMIT, USER_DAILY_EMAIL_LIMIT; 0 keeps a default).
type EmailLimits struct {
	Org, User int
}

// Emails is n emails that user userID sends on behalf of org orgID at at: uses of the org's
// budget that count against the user's too. userID "" (an operator, a SCIM token, the
// system) counts against the org's only.
func (l EmailLimits) Emails(orgID, userID string, n int, at time.Time) Use {
	u := Use{Rule: OrgDailyEmails.WithMax(l.Org), Scope: orgID, N: n, At: at}
	if userID != "" {
		u.Also = []Limit{{Rule: UserDailyEmails.WithMax(l.User), Scope: userID}}
	}
	return u
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
