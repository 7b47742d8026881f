package licensing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/roles"
)

// The scheduled job's part: a license with an end is due three times, each once per endsAt:
// for the 14-day notice (14 days before its end, or when it starts if later), for the 1-day
// notice, and at its end, when the job records the expiry. DueAt is the next of these; the
// store keeps the license in a sparse index by due day, so the job reads what is due and
// nothing else.

const day = 24 * time.Hour

// Notice stages.
const (
	notice14 = "14d"
	notice1  = "1d"
)

// NextDue returns when the job must next look at l, never before now (a time already past is
// due at once); zero when never: revoked, expired as recorded, or without an end.
func NextDue(l License, now time.Time) time.Time {
	if !l.RevokedAt.IsZero() || l.EndsAt.IsZero() || !l.ExpiredAt.IsZero() {
		return time.Time{}
	}
	end := l.EndsAt
	due := end.Add(-14 * day)
	switch {
	case l.Notice1For.Equal(end):
		due = end
	case l.Notice14For.Equal(end):
		due = end.Add(-day)
	}
	if due.Before(l.StartsAt) {
		// Notices are for active licenses: not before it starts.
		due = l.StartsAt
	}
	if due.After(end) {
		due = end
	}
	if due.Before(now) {
		// Already past (the job was late, or endsAt moved closer): due at once, in today's
		// shard, which the job reads whatever its watermark.
		due = now
	}
	return due.UTC()
}

// ProcessDue is the scheduled job's license task: it records the expiry of licenses past
// their end (license.expired) and sends the expiry notices (license.expiry_notice, one email
// per admin and billing admin through the outbox). The store hands it what is due, from the
// day shards of the due index since the job's watermark; a day whose work failed stays at or
// after the watermark, so nothing the job missed is lost however late it runs. Every write is
// conditional on the license being as read: run twice, or twice at once, it does each thing
// once.
func (s *Service) ProcessDue(ctx context.Context, now time.Time, log *slog.Logger) error {
	now = now.UTC()
	var errs []error
	err := s.Store.EachDueLicense(ctx, now, func(l License) error {
		err := s.step(ctx, l, now)
		if err == nil || errors.Is(err, ErrLicenseChanged) {
			// Changed since read: the change moved it in the index itself.
			return nil
		}
		errs = append(errs, fmt.Errorf("license %s of %s: %w", l.ID, l.OrgID, err))
		return err
	})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		if log != nil {
			log.ErrorContext(ctx, "license job", "error", err)
		}
		return err
	}
	return nil
}

// step does what is due of l at now and moves it to its next due time.
func (s *Service) step(ctx context.Context, l License, now time.Time) error {
	after := l
	after.Version++
	var ev *audit.Event
	var msgs []outbox.Message
	system := audit.Actor{Type: audit.ActorSystem, ID: "scheduled-job"}
	switch {
	case !l.RevokedAt.IsZero() || l.EndsAt.IsZero() || !l.ExpiredAt.IsZero():
		// Nothing more is due: the license leaves the index.
	case !now.Before(l.EndsAt):
		after.ExpiredAt = now
		e := s.eventAt(ctx, l, system, now, "license.expired",
			fmt.Sprintf("The %s license of %s expired", l.Type, l.ProductName),
			map[string]any{"endsAt": endsAtDetail(l.EndsAt), "type": string(l.Type)})
		ev = &e
	case now.Before(l.StartsAt):
		// Not active yet: notices wait for the start (NextDue).
	case l.EndsAt.Sub(now) <= day && !l.Notice1For.Equal(l.EndsAt):
		// First seen with a day or less left: only this notice, the 14-day one is spent too.
		after.Notice1For, after.Notice14For = l.EndsAt, l.EndsAt
		e, m, err := s.notice(ctx, l, now, notice1)
		if err != nil {
			return err
		}
		ev, msgs = &e, m
	case l.EndsAt.Sub(now) <= 14*day && !l.Notice14For.Equal(l.EndsAt) && !l.Notice1For.Equal(l.EndsAt):
		after.Notice14For = l.EndsAt
		e, m, err := s.notice(ctx, l, now, notice14)
		if err != nil {
			return err
		}
		ev, msgs = &e, m
	}
	after.DueAt = NextDue(after, now)
	err := s.Store.StepLicense(ctx, l, after, ev, msgs)
	if errors.Is(err, ErrOrgGone) {
		// A deleted org's license: no event, no email; it leaves the due index quietly.
		quiet := l
		quiet.Version, quiet.DueAt = l.Version+1, time.Time{}
		return s.Store.StepLicense(ctx, l, quiet, nil, nil)
	}
	return err
}

// maxNoticeRecipients keeps a notice's transaction within DynamoDB's 100 items (the license,
// the event and one outbox message per recipient).
const maxNoticeRecipients = 90

// notice builds the expiry notice of stage for l: its event and one email per admin and
// billing admin of the org.
func (s *Service) notice(ctx context.Context, l License, now time.Time, stage string) (audit.Event, []outbox.Message, error) {
	var to []orgs.Member
	seen := map[string]bool{}
	for _, r := range []roles.Role{roles.Admin, roles.BillingAdmin} {
		ms, err := s.Store.MembersWithRole(ctx, l.OrgID, r)
		if err != nil {
			return audit.Event{}, nil, err
		}
		for _, m := range ms {
			if !seen[m.UserID] && len(to) < maxNoticeRecipients {
				seen[m.UserID] = true
				to = append(to, m)
			}
		}
	}
	left := "14 days or less"
	if stage == notice1 {
		left = "1 day or less"
	}
	link := fmt.Sprintf("%s/orgs/%s/licenses", s.AppURL, l.OrgID)
	msgs := make([]outbox.Message, 0, len(to))
	emails := make([]string, 0, len(to))
	for _, m := range to {
		msg, err := outbox.NewEmail(s.NewID(), l.OrgID, outbox.Email{
			Purpose: "license-expiry",
			Message: mail.Message{
				To:      m.Email,
				Subject: fmt.Sprintf("Your %s license ends on %s", l.ProductName, l.EndsAt.UTC().Format("2 January 2006 15:04 MST")),
				Text: fmt.Sprintf("Hello,\n\nyour organization's %s license of %s ends on %s (%s left).\n"+
					"To keep using %s, contact us to renew it.\n\nSee your licenses: %s\n",
					l.Type, l.ProductName, l.EndsAt.UTC().Format(time.RFC1123), left, l.ProductName, link),
			},
			Ref: map[string]string{"licenseId": l.ID, "stage": stage},
		})
		if err != nil {
			return audit.Event{}, nil, err
		}
		msgs = append(msgs, msg)
		emails = append(emails, m.Email)
	}
	ev := s.eventAt(ctx, l, audit.Actor{Type: audit.ActorSystem, ID: "scheduled-job"}, now, "license.expiry_notice",
		fmt.Sprintf("The admins were told that the %s license of %s ends on %s (%s left)", l.Type, l.ProductName, dateText(l.EndsAt), left),
		map[string]any{"stage": stage, "endsAt": endsAtDetail(l.EndsAt), "recipients": emails})
	return ev, msgs, nil
}

func (s *Service) eventAt(ctx context.Context, l License, actor audit.Actor, at time.Time, action, summary string, details map[string]any) audit.Event {
	ev := audit.Event{
		OrgID: l.OrgID, Category: audit.Licensing, Action: action, Actor: actor,
		Target:  audit.Target{Type: "license", ID: l.ID, Label: l.ProductName},
		Summary: summary, Details: details,
	}
	ev.Stamp(ctx, s.NewID(), at)
	return ev
}
