package provisioning

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/vendorportal/orgs/internal/ratelimit"
)

// Every email provisioning sends (credentials, a reset password, a domain code) is one of the
// org's daily budget of outgoing emails (ratelimit.OrgDailyEmails, ORG_DAILY_EMAIL_LIMIT),
// shared with invitations, and a request that would pass it is refused whole (429):
//
//   - a request of one email counts it in its own transaction (MemberWrite.Budget, OrgWrite.Budget,
//     the reset's MemberEvent), so it costs no round trip;
//   - a request of many (the multiple-user form, a legacy migration, an import) reserves
//     them all before it creates anyone, and gives back at the end what it did not send: an
//     item that failed, an existing account added as it is (no email). An import reserves in
//     the transaction that starts it; each of its chunks gives back what its rows did not use.
//     A run that crashes before giving back keeps the uses counted: the budget may refuse
//     early, never let more through.

// Limits is the store's side of the budget (dynamo/limits.go).
type Limits interface {
	// Use counts u on its own: u.Exceeded() when it would pass the limit, nothing counted.
	Use(ctx context.Context, u ratelimit.Use) error
	// Release gives u.N uses back, never below zero.
	Release(ctx context.Context, u ratelimit.Use) error
}

// emailBudget is n emails of orgID's daily budget, in the window at falls in.
func (s *Service) emailBudget(orgID string, n int, at time.Time) ratelimit.Use {
	return ratelimit.Use{Rule: ratelimit.OrgDailyEmails.WithMax(s.DailyEmailLimit), Scope: orgID, N: n, At: at}
}

// oneEmail is the budget of a request that sends one email, counted in its transaction.
func (s *Service) oneEmail(orgID string) *ratelimit.Use {
	u := s.emailBudget(orgID, 1, s.Now())
	return &u
}

// reservation is emails of the budget counted before the users that send them are created;
// each user who ends without an email gives one back (unused), and settle returns them.
type reservation struct {
	use    ratelimit.Use
	unused atomic.Int64
}

// reserve counts n emails of orgID's budget now, on its own: the request is refused whole
// when they would pass the budget. Nothing is counted for n = 0.
func (s *Service) reserve(ctx context.Context, orgID string, n int) (*reservation, error) {
	r := &reservation{use: s.emailBudget(orgID, n, s.Now())}
	if err := s.Store.Use(ctx, r.use); err != nil {
		return nil, err
	}
	return r, nil
}

// reserved is a reservation made earlier (an import's, at its start) for n users.
func (s *Service) reserved(orgID string, n int, at time.Time) *reservation {
	return &reservation{use: s.emailBudget(orgID, n, at)}
}

// giveBack marks one reserved email as not sent.
func (r *reservation) giveBack() {
	if r != nil {
		r.unused.Add(1)
	}
}

// settle gives the unused emails back (one conditional update, none when all were used). A
// failure only leaves them counted, so it is logged, not returned.
func (s *Service) settle(ctx context.Context, r *reservation) {
	if r == nil {
		return
	}
	u := r.use
	u.N = int(r.unused.Swap(0))
	if u.N == 0 {
		return
	}
	if err := s.Store.Release(ctx, u); err != nil {
		slog.Default().WarnContext(ctx, "give back unused email budget", "org", u.Scope, "n", u.N, "error", err)
	}
}
