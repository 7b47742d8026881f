package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// ErrNotClaimable is what Store.Claim returns for a message that is not (or no longer) as
// read: done, failed, claimed by another attempt, or held back until later. The caller does
// nothing: whoever changed it has it.
var ErrNotClaimable = errors.New("outbox: message is not claimable as read")

// Store keeps the messages. Every write is conditional on the message as read, so that two
// processors (a redelivered stream record, the scheduled job) never both do one attempt.
type Store interface {
	// Claim takes m for one attempt until lease: Attempts grows by one and the message falls
	// due at lease, should no outcome be recorded by then. ErrNotClaimable unless m is
	// pending (and due at now) or running with a lease lapsed at now, with Attempts as read.
	Claim(ctx context.Context, m Message, now, lease time.Time) (Message, error)
	// Done records the claimed m as done; it is garbage-collected later (TTL).
	// ErrNotClaimable when another attempt took it over meanwhile.
	Done(ctx context.Context, m Message, now time.Time) error
	// Retry makes the claimed m pending again from at, with the reason of the failure.
	Retry(ctx context.Context, m Message, at time.Time, reason string) error
	// GiveUp records the claimed m as failed for good.
	GiveUp(ctx context.Context, m Message, now time.Time, reason string) error
	// EachDue calls fn with every message due at now: pending past NotBefore, or running
	// with a lapsed lease. Its reads grow with the due messages, not with the table.
	EachDue(ctx context.Context, now time.Time, fn func(Message) error) error
}

// Processor does the messages' work: the stream processor hands it each new message, the
// scheduled job each due one (Redrive).
type Processor struct {
	Store    Store
	Handlers Handlers
	Now      func() time.Time
	Log      *slog.Logger
	// MaxAttempts is how many attempts a message gets before it is given up
	// (DefaultMaxAttempts when 0).
	MaxAttempts int
}

// Defaults of a Processor.
const (
	DefaultMaxAttempts = 8
	// Lease is how long one attempt holds a message: longer than a handler can take (the
	// stream processor's timeout), so that only a crash lets it lapse.
	Lease = 2 * time.Minute
)

// Backoff is the wait before attempt n+1 after n failed attempts: 30 s, 2 min, 10 min,
// 30 min, 1 h, 3 h, 6 h, ..., each with ±20 % jitter so that a burst of failures does not
// come back as one burst.
func Backoff(n int) time.Duration {
	steps := []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour}
	d := 6 * time.Hour
	if n >= 1 && n <= len(steps) {
		d = steps[n-1]
	}
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

func (p *Processor) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func (p *Processor) maxAttempts() int {
	if p.MaxAttempts > 0 {
		return p.MaxAttempts
	}
	return DefaultMaxAttempts
}

// Ready reports whether m, as a stream record shows it, is for the processor now: pending
// and not held back. A message held back (a retry's backoff) is the scheduled job's.
func (m Message) Ready(now time.Time) bool {
	return m.Status == StatusPending && !m.NotBefore.After(now)
}

// Process runs one attempt of m: it claims m, runs its kind's handler and records the
// outcome. A failed attempt is not an error: it is recorded, with the next attempt due after
// Backoff. Process returns an error only when it could not record what happened (the table
// failing), so that the caller tries the record again; a message that is not claimable as
// read (done already, or another attempt's) is nothing to do.
func (p *Processor) Process(ctx context.Context, m Message) error {
	now := p.Now()
	claimed, err := p.Store.Claim(ctx, m, now, now.Add(Lease))
	if errors.Is(err, ErrNotClaimable) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox: claim %s %s: %w", m.Kind, m.ID, err)
	}
	h, ok := p.Handlers[m.Kind]
	if !ok {
		return p.giveUp(ctx, claimed, fmt.Errorf("no handler for kind %q", m.Kind))
	}
	workErr := run(ctx, h, claimed)
	var perm *PermanentError
	switch {
	case workErr == nil:
		err = p.Store.Done(ctx, claimed, p.Now())
		p.log().InfoContext(ctx, "outbox message done", "kind", m.Kind, "id", m.ID, "org", m.OrgID, "attempt", claimed.Attempts)
	case errors.As(workErr, &perm) || claimed.Attempts >= p.maxAttempts():
		return p.giveUp(ctx, claimed, workErr)
	default:
		at := p.Now().Add(Backoff(claimed.Attempts))
		p.log().WarnContext(ctx, "outbox message failed; will retry", "kind", m.Kind, "id", m.ID, "org", m.OrgID,
			"attempt", claimed.Attempts, "retryAt", at, "error", workErr)
		err = p.Store.Retry(ctx, claimed, at, workErr.Error())
	}
	if errors.Is(err, ErrNotClaimable) {
		// The lease lapsed and another attempt took the message over: its outcome counts.
		return nil
	}
	return err
}

func (p *Processor) giveUp(ctx context.Context, m Message, why error) error {
	p.log().ErrorContext(ctx, "outbox message given up", "kind", m.Kind, "id", m.ID, "org", m.OrgID, "attempt", m.Attempts, "error", why)
	err := p.Store.GiveUp(ctx, m, p.Now(), why.Error())
	if errors.Is(err, ErrNotClaimable) {
		return nil
	}
	return err
}

// run calls h, turning a panic into a permanent error: a handler that panics on a message
// will panic on it again.
func run(ctx context.Context, h Handler, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("handler panicked: %v", r))
		}
	}()
	return h(ctx, m)
}

// Redrive is the scheduled job's outbox task: it runs one attempt of every message that is
// due at now (a retry's time has come, the stream processor never got to it, or an attempt's
// lease lapsed). Like Process, every write is conditional, so running it twice, or while the
// stream processor works, does each attempt once.
func (p *Processor) Redrive(ctx context.Context, now time.Time) error {
	var errs []error
	err := p.Store.EachDue(ctx, now, func(m Message) error {
		err := p.Process(ctx, m)
		if err != nil {
			errs = append(errs, err)
		}
		return err
	})
	return errors.Join(append(errs, err)...)
}
