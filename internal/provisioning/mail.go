package provisioning

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vendorportal/orgs/internal/mail"
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

// sealedEmail returns a KindSealedEmail message for orgID.
func (s *Service) sealedEmail(orgID string, e outbox.Email) (outbox.Message, error) {
	return SealEmail(s.Sealer, s.NewID(), orgID, e)
}

// SealEmail returns a KindSealedEmail message carrying e sealed under k.
func SealEmail(k seal.Key, id, orgID string, e outbox.Email) (outbox.Message, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("seal email: %w", err)
	}
	return outbox.New(id, orgID, KindSealedEmail, sealedBody{Sealed: k.Seal(plain)})
}

// OpenEmail returns the email a KindSealedEmail message carries.
func OpenEmail(k seal.Key, m outbox.Message) (outbox.Email, error) {
	var b sealedBody
	if err := m.Decode(&b); err != nil {
		return outbox.Email{}, outbox.Permanent(err)
	}
	plain, err := k.Open(b.Sealed)
	if err != nil {
		return outbox.Email{}, outbox.Permanent(fmt.Errorf("outbox %s: %w", m.ID, err))
	}
	var e outbox.Email
	if err := json.Unmarshal(plain, &e); err != nil {
		return outbox.Email{}, outbox.Permanent(fmt.Errorf("outbox %s: decode sealed email: %w", m.ID, err))
	}
	return e, nil
}

// SealedEmailHandler is the outbox handler of KindSealedEmail: it opens the body and sends
// the email with sender. Nothing of the body is logged or returned in an error.
func SealedEmailHandler(k seal.Key, sender mail.Sender) outbox.Handler {
	return func(ctx context.Context, m outbox.Message) error {
		e, err := OpenEmail(k, m)
		if err != nil {
			return err
		}
		if err := sender.Send(ctx, e.Message); err != nil {
			return fmt.Errorf("send %s email of outbox %s: %w", e.Purpose, m.ID, err)
		}
		return nil
	}
}

// credentialsMessage is the email that carries a provisioned user's temporary password.
var credentialsMessage = mail.MustTemplate("credentials",
	"Your account for {{.Org}}",
	"{{.Actor}} created an account for you in {{.Org}}.\n\nSign in at {{.URL}} as {{.Email}} with this temporary password:\n\n{{.Password}}\n\nYou will be asked to choose your own password when you first sign in.\n",
	`<p>{{.Actor}} created an account for you in {{.Org}}.</p><p>Sign in at <a href="{{.URL}}">{{.URL}}</a> as <strong>{{.Email}}</strong> with this temporary password:</p><p><code>{{.Password}}</code></p><p>You will be asked to choose your own password when you first sign in.</p>`)

// resetMessage is the email that carries a reset temporary password.
var resetMessage = mail.MustTemplate("password-reset",
	"Your new temporary password for {{.Org}}",
	"{{.Actor}} reset your password in {{.Org}}.\n\nSign in at {{.URL}} as {{.Email}} with this temporary password:\n\n{{.Password}}\n\nYour old password no longer works. You will be asked to choose your own password when you sign in.\n",
	`<p>{{.Actor}} reset your password in {{.Org}}.</p><p>Sign in at <a href="{{.URL}}">{{.URL}}</a> as <strong>{{.Email}}</strong> with this temporary password:</p><p><code>{{.Password}}</code></p><p>Your old password no longer works. You will be asked to choose your own password when you sign in.</p>`)
