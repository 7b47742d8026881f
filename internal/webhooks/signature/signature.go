// Package signature signs and verifies webhook deliveries as the Standard Webhooks
// specification says (https://www.standardwebhooks.com, symmetric "v1" signatures): the
// headers webhook-id, webhook-timestamp (Unix seconds) and webhook-signature, the last being
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under the secret's decoded bytes, several
// separated by spaces while a secret is being rotated.
//
// Receivers can verify with this package, with the specification's reference libraries, or
// with the few lines of Go in the README.
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret this server issues.
const SecretPrefix = "whsec_"

// SecretBytes is how many random bytes a new secret carries.
const SecretBytes = 32

// Tolerance is how far a delivery's timestamp may be from the receiver's clock, either way,
// for Verify to accept it: the specification's reference libraries use five minutes, which
// bounds how long a captured delivery can be replayed.
const Tolerance = 5 * time.Minute

// Errors of Verify. None of them carries the secret or a signature.
var (
	ErrMissingHeaders = errors.New("signature: webhook-id, webhook-timestamp and webhook-signature are required")
	ErrTimestamp      = errors.New("signature: webhook-timestamp is not a time within the tolerance")
	ErrNoMatch        = errors.New("signature: no signature matches")
	ErrSecret         = errors.New("signature: the secret is not whsec_ followed by base64")
)

// Secret is a webhook endpoint's signing secret, as issued: "whsec_" and base64 of the key.
type Secret string

// NewSecret returns a fresh secret of SecretBytes random bytes.
func NewSecret() Secret {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b)
	return Secret(SecretPrefix + base64.StdEncoding.EncodeToString(b))
}

// Key returns the secret's decoded bytes, the HMAC key. The prefix is optional, as in the
// reference libraries.
func (s Secret) Key() ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(s), SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, ErrSecret
	}
	return k, nil
}

// String hides the secret from a %v in a log line or an error by mistake.
func (s Secret) String() string { return SecretPrefix + "…" }

// GoString hides the secret from %#v as well.
func (s Secret) GoString() string { return s.String() }

// Sign returns the "v1,<base64>" signature of one delivery under key.
func Sign(key []byte, id string, at time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(at.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Headers returns the headers of one delivery signed with every key in keys (the current
// secret first, then during a rotation's overlap the previous one), space-separated in
// webhook-signature.
func Headers(keys [][]byte, id string, at time.Time, body []byte) http.Header {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, at, body)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h
}

// Verify checks a received delivery against key at the receiver's time now: the timestamp
// within Tolerance, and one of the "v1," signatures in webhook-signature matching (others,
// such as future versions, are ignored). The comparison takes constant time.
func Verify(key []byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want := []byte(Sign(key, id, at, body))
	for _, sig := range strings.Fields(sigs) {
		if strings.HasPrefix(sig, "v1,") && hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrNoMatch
}
