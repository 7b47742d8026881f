package githuboidc

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestTheFirstKeySigns: with two keys (mid-rotation), tokens carry the first key's kid and
// verify with its public key.
func TestTheFirstKeySigns(t *testing.T) {
	first, second := GenerateKeys(), GenerateKeys()
	ks, err := ParseKeys(append(first.EncodePEM(), second.EncodePEM()...))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ks.sign("JWT", map[string]string{"sub": "1"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]string
	_ = json.Unmarshal(header, &h)
	if h["alg"] != "RS256" || h["kid"] != first.kids[0] {
		t.Errorf("header %v; want RS256 and the first key's kid %s", h, first.kids[0])
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&first.keys[0].PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("the token does not verify with the first key: %v", err)
	}
}
