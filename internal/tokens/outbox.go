package tokens

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/outbox"
)

// The follow-up work of a regeneration and a reset, as outbox messages. Each is one message in
// the change's own transaction, whatever the org's size, so that the change stays one
// transaction and two round trips: its handler fans out, in transactions of at most 100
// messages, to one message per admin or member (ids derived from the parent's, so that a
// handler run twice writes nothing twice).
const (
	// KindNotifyAdmins mails a notice to every member holding the built-in admin role.
	KindNotifyAdmins outbox.Kind = "org.notify-admins"
	// KindSignOutMembers signs every member of the org out at the identity provider.
	KindSignOutMembers outbox.Kind = "org.sign-out-members"
	// KindSignOut signs one user out at the identity provider (refresh tokens revoked).
	KindSignOut outbox.Kind = "user.sign-out"
)

// NotifyAdmins is the body of a KindNotifyAdmins message: the notice, without a recipient.
type NotifyAdmins struct {
	OrgID   string       `json:"orgId"`
	Message mail.Message `json:"message"`
	Purpose string       `json:"purpose"`
}

// SignOutMembers is the body of a KindSignOutMembers message.
type SignOutMembers struct {
	OrgID string `json:"orgId"`
}

// SignOut is the body of a KindSignOut message.
type SignOut struct {
	UserID string `json:"userId"`
}

// Recipient is an admin or member a fan-out addresses.
type Recipient struct {
	UserID string
	Email  string
}

// FanOutStore is what the fan-out handlers need of the table.
type FanOutStore interface {
	// Admins returns the org's members holding the built-in admin role.
	Admins(ctx context.Context, orgID string) ([]Recipient, error)
	// MemberIDs returns the user ids of all the org's members.
	MemberIDs(ctx context.Context, orgID string) ([]string, error)
	// PutFanOut writes msgs, in transactions of at most 100; a message already written (same
	// id) is left as it is, so that a fan-out run twice writes nothing twice.
	PutFanOut(ctx context.Context, now time.Time, msgs []outbox.Message) error
}

// SignOuter signs a user out everywhere at the identity provider.
type SignOuter interface {
	GlobalSignOut(ctx context.Context, userID string) error
}

// Handlers returns the outbox handlers of this package's kinds, for the stream processor's
// and the scheduled job's outbox.Handlers.
func Handlers(store FanOutStore, dir SignOuter, now func() time.Time, log *slog.Logger) outbox.Handlers {
	return outbox.Handlers{
		KindNotifyAdmins: func(ctx context.Context, m outbox.Message) error {
			var b NotifyAdmins
			if err := m.Decode(&b); err != nil {
				return outbox.Permanent(err)
			}
			admins, err := store.Admins(ctx, b.OrgID)
			if err != nil {
				return err
			}
			msgs := make([]outbox.Message, 0, len(admins))
			for _, a := range admins {
				mm := b.Message
				mm.To = a.Email
				e, err := outbox.NewEmail(m.ID+"."+a.UserID, b.OrgID, outbox.Email{Message: mm, Purpose: b.Purpose})
				if err != nil {
					return outbox.Permanent(err)
				}
				msgs = append(msgs, e)
			}
			return store.PutFanOut(ctx, now(), msgs)
		},
		KindSignOutMembers: func(ctx context.Context, m outbox.Message) error {
			var b SignOutMembers
			if err := m.Decode(&b); err != nil {
				return outbox.Permanent(err)
			}
			ids, err := store.MemberIDs(ctx, b.OrgID)
			if err != nil {
				return err
			}
			msgs := make([]outbox.Message, 0, len(ids))
			for _, id := range ids {
				so, err := outbox.New(m.ID+"."+id, b.OrgID, KindSignOut, SignOut{UserID: id})
				if err != nil {
					return outbox.Permanent(err)
				}
				msgs = append(msgs, so)
			}
			return store.PutFanOut(ctx, now(), msgs)
		},
		KindSignOut: func(ctx context.Context, m outbox.Message) error {
			var b SignOut
			if err := m.Decode(&b); err != nil {
				return outbox.Permanent(err)
			}
			if err := dir.GlobalSignOut(ctx, b.UserID); err != nil {
				return fmt.Errorf("sign out %s: %w", b.UserID, err)
			}
			log.InfoContext(ctx, "signed out at the identity provider", "userId", b.UserID, "orgId", m.OrgID)
			return nil
		},
	}
}
