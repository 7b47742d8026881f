package orgs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/audit"
)

// The identity that counts (for invites, domains, auto-join) is the email claim of an ID
// token with email_verified true, or, for an access token (which carries none), the stored
// profile's. A user who changed their address in the identity provider directly is caught up
// on their next call: the profile and every copy of it follow the verified claim.
//
// One refinement keeps the product's own changes: a token issued before the profile's address
// was set (Profile.EmailSetAt: a change confirmed through the product, whose new token the
// user has not fetched yet) still carries the old address, which no longer counts.

// ClaimOver returns the ID token's verified address when it counts over the profile's: it
// differs, and the token was issued after the profile's address was set.
func ClaimOver(c Caller, p Profile) (string, bool) {
	if c.Email == "" || !c.EmailVerified || c.IssuedAt.IsZero() {
		return "", false
	}
	email, err := NormalizeEmail("email", c.Email)
	if err != nil || email == p.Email {
		return "", false
	}
	set := p.EmailSetAt
	if set.IsZero() {
		set = p.CreatedAt
	}
	// iat has whole seconds: a token of the same second as the change may be older.
	if !c.IssuedAt.After(set) {
		return "", false
	}
	return email, true
}

// catchUp makes the profile and its copies on every membership follow a newer verified
// claim, in the store's profile write (the same one as a name change: copies first when they
// don't fit in one transaction, all idempotent). A failure (a race, an address another
// member of one of the orgs has) leaves the stored account as it was and is logged; the next
// call tries again.
func (s *Service) catchUp(ctx context.Context, c Caller, acc Account) Account {
	email, ok := ClaimOver(c, acc.Profile)
	if !ok {
		return acc
	}
	after := acc.Profile
	after.Email, after.EmailSetAt, after.EmailUnverified = email, s.Now(), false
	ev := audit.Event{
		OrgID: acc.Profile.PersonalOrgID, Category: audit.Security, Action: "account.email_changed",
		Actor:   audit.Actor{Type: audit.ActorUser, ID: c.ID, Email: email},
		Target:  audit.Target{Type: "user", ID: c.ID, Label: email},
		Summary: fmt.Sprintf("%s changed their email address to %s at the identity provider", acc.Profile.Email, email),
		Details: map[string]any{"email": map[string]any{"from": acc.Profile.Email, "to": email}, "source": "identity provider"},
	}
	ev.Stamp(ctx, s.NewID(), s.Now())
	if err := s.Store.UpdateProfile(ctx, acc, after, ev); err != nil {
		slog.WarnContext(ctx, "profile not caught up with the identity provider's address", "user", c.ID, "error", err)
		return acc
	}
	acc.Profile = after
	return acc
}

// VerifiedBy reports whether the profile's address counts as the caller's proven identity:
// always, unless it is EmailUnverified, and then only when the caller's ID token vouches for
// that same address.
func (p Profile) VerifiedBy(c Caller) bool {
	if !p.EmailUnverified {
		return true
	}
	email, err := NormalizeEmail("email", c.Email)
	return err == nil && c.EmailVerified && email == p.Email
}

// ErrEmailUnverified: the caller's address is not proven.
var ErrEmailUnverified = apperr.New(apperr.Forbidden, "verify your email address first: nobody has proven this account's mailbox yet")
