package orgs

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// TokenBytes is the length of a link's secret token (an invite's, an email change's): 256
// random bits.
const TokenBytes = 32

// NewToken returns a fresh secret token for a link, URL-safe, and its hash (HashToken).
func NewToken() (token, hash string) {
	b := make([]byte, TokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the form a link's token is stored and looked up in: only its SHA-256 is
// kept, never the token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
