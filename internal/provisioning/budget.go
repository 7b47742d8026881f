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
// shared with invitations, and, when a member sends it, one of that member's daily budget
// across all their orgs (ratelimit.UserDailyEmails, USER_DAILY_EMAIL_LIMIT); a request that
// would pass either is refused whole (429):
//
//   - a request of one email counts it in its own transaction (MemberWrite.Budget, OrgWrite.Budget,
//     the reset's MemberEvent), so it costs no round trip;
//   - a request of many (the multiple-user form, a legacy migration) counts all its items'
//     emails in its first write's transaction (reservation), and gives back at the end what
//     it did not send: an item that failed, an existing account added as it is (no email);
//   - an import counts its rows' emails in the transaction that starts it; each of its chunks
//     gives back what its rows did not send.
//     A run that crashes before giving back keeps the uses counted: the budget may refuse
//     early, never let more through.

// Limits is the store's side of the budget (dynamo/limits.go).
type Limits interface {
	// Release gives u.N uses back, never below zero.
	Release(ctx context.Context, u ratelimit.Use) error
}

// emailBudget is n emails of orgID's daily budget, and of userID's when a member sends them
// ("": an operator, a SCIM token), in the window at falls in.
func (s *Service) emailBudget(orgID, userID string, n int, at time.Time) ratelimit.Use {
	return ratelimit.EmailLimits{Org: s.DailyEmailLimit, User: s.UserDailyEmailLimit}.Emails(orgID, userID, n, at)
}

// oneEmail is the budget of a request that sends one email, counted in its transaction.
func (s *Service) oneEmail(orgID, userID string) *ratelimit.Use {
	u := s.emailBudget(orgID, userID, 1, s.Now())
	return &u
}

// reservation is the budget of a request that sends many emails. Until one of its writes has
// carried them (carried), carry is how many emails its remaining items may send: the first
// write carries them all in its transaction, so that a request that would pass the budget is
// refused before anything of it is written, at no extra round trip. Each item after it that
// ends without an email gives one back (unused), and settle returns them.
type reservation struct {
	use     ratelimit.Use
	carry   int
	carried bool
	unused  atomic.Int64
}

// newReservation is the reservation of a request of orgID's by userID, now, that no write
// has carried yet.
func (s *Service) newReservation(orgID, userID string) *reservation {
	return &reservation{use: s.emailBudget(orgID, userID, 0, s.Now())}
}

// reserved is a reservation carried earlier, at, for emails of orgID by userID (an
// import's, counted in the transaction that started it).
func (s *Service) reserved(orgID, userID string, at time.Time) *reservation {
	return &reservation{use: s.emailBudget(orgID, userID, 0, at), carried: true}
}

// writeBudget is the budget a member's write counts: its own email for a request of one
// (res nil); for a request of many, the whole request's while no write has carried it (less
// this item's own when it turned out to send none: counted says the item was in carry).
func (s *Service) writeBudget(orgID, userID string, res *reservation, counted, emails bool) *ratelimit.Use {
	switch {
	case res == nil && emails:
		return s.oneEmail(orgID, userID)
	case res == nil || res.carried:
		return nil
	}
	u := res.use
	u.N = res.carry
	if counted && !emails {
		u.N--
	}
	return &u
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
