package githuboidc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// KeySet holds the provider's RS256 keys. The first signs; all are published in the JWKS, so
// that a key can be introduced before it signs and kept after it stops (rotation without a
// token that fails to verify; see the README's runbook).
type KeySet struct {
	keys []*rsa.PrivateKey
	kids []string
}

// ParseKeys reads one or more PEM blocks ("PRIVATE KEY", PKCS #8, or "RSA PRIVATE KEY",
// PKCS #1) of RSA keys of at least 2048 bits: the format of the Secrets Manager secret.
func ParseKeys(pemText []byte) (*KeySet, error) {
	ks := &KeySet{}
	rest := pemText
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("githuboidc: signing keys: unexpected PEM block %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("githuboidc: signing keys: %w", err)
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("githuboidc: signing keys: not an RSA key")
		}
		if rk.N.BitLen() < 2048 {
			return nil, fmt.Errorf("githuboidc: signing keys: %d-bit key; want at least 2048", rk.N.BitLen())
		}
		ks.add(rk)
	}
	if len(ks.keys) == 0 {
		return nil, errors.New("githuboidc: signing keys: no PEM block")
	}
	return ks, nil
}

// GenerateKeys returns a key set of one fresh 2048-bit key: for tests and local mode, where
// tokens need not outlive the process.
func GenerateKeys() *KeySet {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ks := &KeySet{}
	ks.add(k)
	return ks
}

// EncodePEM returns the keys as the PEM text ParseKeys reads.
func (ks *KeySet) EncodePEM() []byte {
	var out []byte
	for _, k := range ks.keys {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
	}
	return out
}

func (ks *KeySet) add(k *rsa.PrivateKey) {
	ks.keys = append(ks.keys, k)
	ks.kids = append(ks.kids, thumbprint(&k.PublicKey))
}

// JWK is one public key of the JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is the document of the provider's jwks_uri.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the public keys.
func (ks *KeySet) JWKS() JWKS {
	doc := JWKS{Keys: []JWK{}}
	for i, k := range ks.keys {
		n, e := publicParts(&k.PublicKey)
		doc.Keys = append(doc.Keys, JWK{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: ks.kids[i], N: n, E: e})
	}
	return doc
}

// sign returns the compact JWS of claims, of kind typ ("JWT" for ID tokens; the provider's
// own state and codes have kinds of their own, so that one can't pass for another), signed
// RS256 by the first key.
func (ks *KeySet) sign(typ string, claims any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": typ, "kid": ks.kids[0]})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding
	signingInput := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ks.keys[0], crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + b64.EncodeToString(sig), nil
}

func publicParts(k *rsa.PublicKey) (n, e string) {
	b64 := base64.RawURLEncoding
	return b64.EncodeToString(k.N.Bytes()), b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
}

// thumbprint is the key's RFC 7638 JWK thumbprint, its kid: the same key always has the same
// kid, whichever secret version it comes from.
func thumbprint(k *rsa.PublicKey) string {
	n, e := publicParts(k)
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// errBadSignature: a token of ours that does not verify, is of another kind, or has expired.
var errBadSignature = errors.New("githuboidc: not a valid token of this provider")

// verify checks a compact JWS signed by one of the keys (by its kid), of kind typ, not
// expired at now (Unix seconds), and decodes its payload into v.
func (ks *KeySet) verify(token, typ string, now int64, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errBadSignature
	}
	b64 := base64.RawURLEncoding
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return errBadSignature
	}
	var h struct{ Alg, Kid, Typ string }
	if json.Unmarshal(rawHeader, &h) != nil || h.Alg != "RS256" || h.Typ != typ {
		return errBadSignature
	}
	i := slices.Index(ks.kids, h.Kid)
	if i < 0 {
		return errBadSignature
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return errBadSignature
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&ks.keys[i].PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return errBadSignature
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return errBadSignature
	}
	var exp struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &exp) != nil || exp.Exp < now {
		return errBadSignature
	}
	if json.Unmarshal(payload, v) != nil {
		return errBadSignature
	}
	return nil
}
