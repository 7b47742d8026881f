package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/vendorportal/orgs/internal/apperr"
	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
	"github.com/vendorportal/orgs/internal/outbox"
	"github.com/vendorportal/orgs/internal/seal"
)

// KindSealedEmail is an email whose body is sealed at rest: it carries a temporary password or
// a verification code, which a copy of the table must not reveal. Its body is
// {"sealed": <seal.Key.Seal of the JSON of an outbox.Email>}, under seal.Derive(secret,
// "outbox"); SealedEmailHandler opens and sends it.
const KindSealedEmail outbox.Kind = "email.sealed"

// SealPurpose is the purpose of the key that seals outbox bodies.
const SealPurpose = "outbox"

type sealedBody struct {
	Sealed string `json:"sealed"`
}

// Sealed is what a KindSealedEmail message's body seals: the email, and for a password
// reset the password its handler sets before sending it.
type Sealed struct {
	outbox.Email
	SetPassword *PasswordSet `json:"setPassword,omitempty"`
}

// PasswordSet is a temporary password to give a user.
type PasswordSet struct {
	UserID   string `json:"userId"`
	Password string `json:"password"`
}

// sealedEmail returns a KindSealedEmail message for orgID.
func (s *Service) sealedEmail(orgID string, e outbox.Email) (outbox.Message, error) {
	return SealEmail(s.Sealer, s.NewID(), orgID, e)
}

// SealEmail returns a KindSealedEmail message carrying e sealed under k.
func SealEmail(k seal.Key, id, orgID string, e outbox.Email) (outbox.Message, error) {
	return SealEmailWith(k, id, orgID, Sealed{Email: e})
}

// SealEmailWith returns a KindSealedEmail message carrying b sealed under k.
func SealEmailWith(k seal.Key, id, orgID string, b Sealed) (outbox.Message, error) {
	plain, err := json.Marshal(b)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("seal email: %w", err)
	}
	return outbox.New(id, orgID, KindSealedEmail, sealedBody{Sealed: k.Seal(plain)})
}

// OpenEmail returns the email a KindSealedEmail message carries.
func OpenEmail(k seal.Key, m outbox.Message) (outbox.Email, error) {
	b, err := Open(k, m)
	return b.Email, err
}

// Open returns what a KindSealedEmail message carries.
func Open(k seal.Key, m outbox.Message) (Sealed, error) {
	var b sealedBody
	if err := m.Decode(&b); err != nil {
		return Sealed{}, outbox.Permanent(err)
	}
	plain, err := k.Open(b.Sealed)
	if err != nil {
		return Sealed{}, outbox.Permanent(fmt.Errorf("outbox %s: %w", m.ID, err))
	}
	var e Sealed
	if err := json.Unmarshal(plain, &e); err != nil {
		return Sealed{}, outbox.Permanent(fmt.Errorf("outbox %s: decode sealed email: %w", m.ID, err))
	}
	return e, nil
}

// PasswordSetter gives users temporary passwords (the Directory).
type PasswordSetter interface {
	SetTemporaryPassword(ctx context.Context, userID, password string) error
}

// SealedEmailHandler is the outbox handler of KindSealedEmail: it opens the body, sets the
// password it carries (a reset's) with dir, and sends the email with sender. Nothing of the
// body is logged or returned in an error.
//
// A rerun after the email went out but before the message was marked done sets the same
// password again, as it was mailed; a user who had already replaced it would have to sign in
// with the mailed one again.
func SealedEmailHandler(k seal.Key, sender mail.Sender, dir PasswordSetter) outbox.Handler {
	return func(ctx context.Context, m outbox.Message) error {
		b, err := Open(k, m)
		if err != nil {
			return err
		}
		if ps := b.SetPassword; ps != nil {
			if err := dir.SetTemporaryPassword(ctx, ps.UserID, ps.Password); err != nil {
				if apperr.KindOf(err) == apperr.Invalid || apperr.KindOf(err) == apperr.NotFound {
					// The policy refused it, or the user is gone: no retry will do better.
					return outbox.Permanent(fmt.Errorf("outbox %s: set the reset password: %w", m.ID, err))
				}
				return fmt.Errorf("outbox %s: set the reset password: %w", m.ID, err)
			}
		}
		if err := sender.Send(ctx, b.Message); err != nil {
			return fmt.Errorf("send %s email of outbox %s: %w", b.Purpose, m.ID, err)
		}
		return nil
	}
}

// credentialsMessage is the email that carries a provisioned user's temporary password.
var (
	credentialsOnce     sync.Once
	credentialsTemplate *mail.Template
)

// credentialsMessage parses the template on first use: a package-level one would be parsed at the cold
// start of every function that imports this package, and linked into all of them.
func credentialsMessage() *mail.Template {
	credentialsOnce.Do(func() {
		credentialsTemplate = mail.MustTemplate("credentials",
			"Your account for {{.Org}}",
			"{{.Actor}} created an account for you in {{.Org}}.\n\nSign in at {{.URL}} as {{.Email}} with this temporary password:\n\n{{.Password}}\n\nYou will be asked to choose your own password when you first sign in.\n",
			`<p>{{.Actor}} created an account for you in {{.Org}}.</p><p>Sign in at <a href="{{.URL}}">{{.URL}}</a> as <strong>{{.Email}}</strong> with this temporary password:</p><p><code>{{.Password}}</code></p><p>You will be asked to choose your own password when you first sign in.</p>`)
	})
	return credentialsTemplate
}

// resetMessage is the email that carries a reset temporary password.
var (
	resetOnce     sync.Once
	resetTemplate *mail.Template
)

// resetMessage parses the template on first use: a package-level one would be parsed at the cold
// start of every function that imports this package, and linked into all of them.
func resetMessage() *mail.Template {
	resetOnce.Do(func() {
		resetTemplate = mail.MustTemplate("password-reset",
			"Your new temporary password for {{.Org}}",
			"{{.Actor}} reset your password in {{.Org}}.\n\nSign in at {{.URL}} as {{.Email}} with this temporary password:\n\n{{.Password}}\n\nYour old password no longer works. You will be asked to choose your own password when you sign in.\n",
			`<p>{{.Actor}} reset your password in {{.Org}}.</p><p>Sign in at <a href="{{.URL}}">{{.URL}}</a> as <strong>{{.Email}}</strong> with this temporary password:</p><p><code>{{.Password}}</code></p><p>Your old password no longer works. You will be asked to choose your own password when you sign in.</p>`)
	})
	return resetTemplate
}

// addedTemplate is the email that tells the owner of an existing account that an org added
// it (a domain the org holds, or an operator's migration).
var (
	addedOnce     sync.Once
	addedTemplate *mail.Template
)

// addedMessage parses the template on first use, as credentialsMessage does.
func addedMessage() *mail.Template {
	addedOnce.Do(func() {
		addedTemplate = mail.MustTemplate("member-added",
			"You were added to {{.Org}}",
			"{{.Actor}} added your account {{.Email}} to the organization {{.Org}}.\n\nYour password and sign-in stay as they are: the organization can't change them.\n\nIf you don't want to be a member, sign in at {{.URL}} and leave the organization.\n",
			`<p>{{.Actor}} added your account <strong>{{.Email}}</strong> to the organization {{.Org}}.</p><p>Your password and sign-in stay as they are: the organization can't change them.</p><p>If you don't want to be a member, sign in at <a href="{{.URL}}">{{.URL}}</a> and leave the organization.</p>`)
	})
	return addedTemplate
}

// addedNotice returns the email to the owner of an existing account an org added as it is.
func (s *Service) addedNotice(o orgs.Org, m orgs.Member, actor string) (outbox.Message, error) {
	msg, err := addedMessage().Render(m.Email, map[string]string{"Actor": actor, "Org": o.Name, "URL": s.AppURL, "Email": m.Email})
	if err != nil {
		return outbox.Message{}, err
	}
	// No secret in it: a plain email.
	return outbox.NewEmail(s.NewID(), o.ID, outbox.Email{Message: msg, Purpose: "member-added"})
}
