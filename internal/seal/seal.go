// Package seal keeps small values secret and tamper-proof with keys derived from the server's
// secret (APP_SECRET): list cursors, and anything else a client or the table holds that only
// the server may read or make. Each use derives its own key from the secret with HKDF and a
// purpose label, so that a value sealed for one purpose never opens for another.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// ErrInvalid: the sealed value was not made by this server for this purpose, or was altered.
var ErrInvalid = errors.New("seal: not a value this server sealed for this purpose")

// Key is a 32-byte key for one purpose.
type Key [32]byte

// Derive returns the key for purpose under the server's secret.
func Derive(secret []byte, purpose string) Key {
	b, err := hkdf.Key(sha256.New, secret, nil, "vendorportal/"+purpose, 32)
	if err != nil {
		// Only an out-of-range length fails, and 32 is in range.
		panic("seal: derive key: " + err.Error())
	}
	return Key(b)
}

// Seal encrypts and authenticates plaintext (AES-256-GCM, a random nonce) and returns it as
// unpadded base64url text, safe in a URL, a header or a JSON string.
func (k Key) Seal(plaintext []byte) string {
	aead := k.aead()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plaintext, nil))
}

// Open reverses Seal; ErrInvalid when sealed is anything else.
func (k Key) Open(sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	aead := k.aead()
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrInvalid
	}
	out, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], nil)
	if err != nil {
		return nil, ErrInvalid
	}
	return out, nil
}

// MAC returns the HMAC-SHA256 of msg under the key: for values that must be verifiable (or
// re-derivable) without being stored, such as a token derived from an id.
func (k Key) MAC(msg []byte) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write(msg)
	return m.Sum(nil)
}

func (k Key) aead() cipher.AEAD {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic("seal: " + err.Error()) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("seal: " + err.Error())
	}
	return aead
}
