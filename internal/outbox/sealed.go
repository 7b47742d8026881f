package outbox

import (
	"encoding/json"
	"fmt"

	"github.com/vendorportal/orgs/internal/seal"
)

// Sealed bodies: the rule is that a body never carries a usable secret in plain text. Links
// need none (their handler mints the token at send time and stores only its hash). A body
// that must carry one, such as a password an admin specified for a new user, seals it with
// the outbox's key, derived from the server's secret:
//
//	key := outbox.Key(env.Key(app.KeySealing))
//	msg, err := outbox.NewSealed(id, orgID, kindNewUserEmail, key, body)
//	...
//	var body newUserBody
//	err := outbox.OpenSealed(key, m, &body) // in the kind's handler
//
// Only the functions that write or handle such a message need the secret.

// Key is the outbox's sealing key under the server's secret.
func Key(secret []byte) seal.Key { return seal.Derive(secret, "outbox") }

// sealedBody is the JSON a sealed message's Body holds.
type sealedBody struct {
	Sealed string `json:"sealed"`
}

// NewSealed returns a message of kind k whose body is body as JSON, sealed with key.
func NewSealed(id, orgID string, k Kind, key seal.Key, body any) (Message, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Message{}, fmt.Errorf("outbox %s: encode body: %w", k, err)
	}
	return New(id, orgID, k, sealedBody{Sealed: key.Seal(b)})
}

// OpenSealed reads a message made by NewSealed into v; a body that was not sealed with key
// is a permanent error (retrying cannot open it).
func OpenSealed(key seal.Key, m Message, v any) error {
	var sb sealedBody
	if err := m.Decode(&sb); err != nil {
		return Permanent(err)
	}
	b, err := key.Open(sb.Sealed)
	if err != nil {
		return Permanent(fmt.Errorf("outbox %s %s: open body: %w", m.Kind, m.ID, err))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Permanent(fmt.Errorf("outbox %s %s: decode body: %w", m.Kind, m.ID, err))
	}
	return nil
}
