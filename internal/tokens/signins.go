package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
	"github.com/vendorportal/orgs/internal/orgs"
)

// SignInStore is what the sign-in log needs of the table.
type SignInStore interface {
	// Account returns the user's profile and memberships (orgs.Store.Account).
	Account(ctx context.Context, userID string) (orgs.Account, error)
	// RecordEvents writes events, in transactions of at most 100.
	RecordEvents(ctx context.Context, evs []audit.Event) error
}

// SignInLog writes a user's sign-ins at the identity provider into their orgs' logs.
type SignInLog struct {
	Store SignInStore
	Now   func() time.Time
	NewID func() string
}

// SignedIn logs user.signed_in in every org the user belongs to (not a suspended one's),
// with the source IP when the identity provider gives it. A user without an account yet (the
// first sign-in, before the first API call) has no org to log it in.
func (l *SignInLog) SignedIn(ctx context.Context, userID, email, ip string) error {
	acc, err := l.Store.Account(ctx, userID)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) || errors.Is(err, orgs.ErrAccountDeleted) {
			return nil
		}
		return err
	}
	ctx = audit.WithSource(ctx, audit.Source{IP: ip, UserAgent: audit.SourceFrom(ctx).UserAgent})
	if email == "" {
		email = acc.Profile.Email
	}
	now := l.Now()
	var evs []audit.Event
	for _, m := range acc.Memberships {
		if m.Status == orgs.StatusSuspended {
			continue
		}
		ev := audit.Event{
			OrgID: m.OrgID, Category: audit.Authentication, Action: "user.signed_in",
			Actor:   audit.Actor{Type: audit.ActorUser, ID: userID, Email: email},
			Target:  audit.Target{Type: "user", ID: userID, Label: email},
			Summary: fmt.Sprintf("%s signed in", email), Details: map[string]any{},
		}
		ev.Stamp(ctx, l.NewID(), now)
		evs = append(evs, ev)
	}
	return l.Store.RecordEvents(ctx, evs)
}
