package licensing

import (
	"testing"
	"time"
)

func TestLicenseIsExpiredFromItsEndInstantOn(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	l := License{StartsAt: start, EndsAt: end}
	for _, c := range []struct {
		at   time.Time
		want Status
	}{
		{start.Add(-time.Nanosecond), Scheduled},
		{start, Active},
		{end.Add(-time.Nanosecond), Active},
		{end, Expired},
	} {
		if got := l.Status(c.at); got != c.want {
			t.Errorf("at %v: %s, want %s", c.at, got, c.want)
		}
	}
	if (License{StartsAt: start}).Status(start.AddDate(100, 0, 0)) != Active {
		t.Error("a license without an end never expires")
	}
	l.RevokedAt = start
	if l.Status(start) != Revoked {
		t.Error("a revoked license is revoked, whatever its times")
	}
}

func TestNextDueWalksNoticesThenExpiryOncePerEndsAt(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	end := now.Add(30 * day)
	base := License{StartsAt: now.Add(-day), EndsAt: end}
	sent14, sent1 := base, base
	sent14.Notice14For = end
	sent1.Notice14For, sent1.Notice1For = end, end
	moved := sent1
	moved.EndsAt = end.Add(60 * day) // an operator moved endsAt: both notices re-armed
	late := base
	late.StartsAt = end.Add(-12 * time.Hour) // starts with less than a day left
	for name, c := range map[string]struct {
		l    License
		want time.Time
	}{
		"no notice yet: 14 days before the end": {base, end.Add(-14 * day)},
		"14-day notice sent: 1 day before":      {sent14, end.Add(-day)},
		"both sent: the end":                    {sent1, end},
		"endsAt moved: 14 days before the new":  {moved, moved.EndsAt.Add(-14 * day)},
		"not before the start":                  {late, late.StartsAt},
		"no end: never":                         {License{StartsAt: now}, time.Time{}},
		"expired as recorded: never":            {License{StartsAt: now, EndsAt: end, ExpiredAt: end}, time.Time{}},
		"revoked: never":                        {License{StartsAt: now, EndsAt: end, RevokedAt: now}, time.Time{}},
	} {
		if got := NextDue(c.l, now); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	// A due time already past is due at once.
	if got := NextDue(base, end.Add(-2*day)); !got.Equal(end.Add(-2 * day)) {
		t.Errorf("past due: %v", got)
	}
}
