package tokens

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"math/big"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/vendorportal/orgs/internal/seal"
)

// The token's text: "vpt_", 30 characters of body, 6 of checksum, all [0-9A-Za-z].
//
// The body is the base-62 form of a 176-bit value: the org's id (a ULID, 16 bytes) and a 6-byte
// tag, enciphered together under the server's key with a Feistel network of HMAC-SHA256 rounds
// (a keyed pseudo-random permutation of 176-bit values). So the token names its org to the
// server, which finds the org's items without a lookup of the token, yet to anyone without the
// key the body is indistinguishable from 176 random bits: the contract's "at least 160 bits of
// entropy". The tag is an HMAC of the org id, the token's version and a nonce kept on the org,
// so that a regenerated token (a new version and nonce) differs in every bit and the old one
// no longer verifies.
//
// The checksum is the CRC32 (IEEE) of the 30 body characters in base 62, most significant digit
// first, left-padded with 0: a secret scanner can tell a token from noise offline, and the
// server refuses a mistyped one before any read.
//
// A personal tool token (PersonalPrefix, "vpu_") has the same text under a key of its own: its
// body enciphers the org's id and the token's own 6-byte id (PersonalID), which names the token's
// item in the org. The table keeps that id, but the token's text can't be made from it without
// the server's key.
const (
	Prefix         = "vpt_"
	PersonalPrefix = "vpu_"
	bodyLen        = 30
	checkLen       = 6
	textLen        = len(Prefix) + bodyLen + checkLen
	tagLen         = 6
	idLen          = 16
	blockLen       = idLen + tagLen // 22 bytes = 176 bits, which 30 base-62 digits hold (62^30 > 2^178)
	halfLen        = blockLen / 2
	rounds         = 8
	alphabet       = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	keyPurpos      = "org-token"
	// personalPurpose keys the personal tokens apart from the org's: one's body never parses
	// as the other's.
	personalPurpose = "personal-token"
)

// ErrMalformed: the text is not a token this server could have issued (prefix, length,
// characters or checksum). It is refused before any read.
var ErrMalformed = errors.New("tokens: not a well-formed org access token")

// Keys are the server's keys for one kind of token (the org's or the personal ones), derived
// from its secret.
type Keys struct {
	key    seal.Key
	prefix string
}

// NewKeys derives the org token keys from the server's secret.
func NewKeys(secret []byte) Keys { return Keys{key: seal.Derive(secret, keyPurpos), prefix: Prefix} }

// NewPersonalKeys derives the personal token keys from the server's secret.
func NewPersonalKeys(secret []byte) Keys {
	return Keys{key: seal.Derive(secret, personalPurpose), prefix: PersonalPrefix}
}

// Format returns the token of orgID at the state's version and nonce. It fails only when
// orgID is not a ULID, which every org id is.
func (k Keys) Format(orgID string, version int, nonce string) (string, error) {
	return k.format(orgID, k.tag(strings.ToLower(orgID), version, nonce))
}

// FormatPersonal returns the personal token of orgID whose id is tokenID (NewPersonalID).
func (k Keys) FormatPersonal(orgID, tokenID string) (string, error) {
	raw, err := hex.DecodeString(tokenID)
	if err != nil || len(raw) != tagLen {
		return "", errors.New("tokens: not a personal token id")
	}
	return k.format(orgID, raw)
}

func (k Keys) format(orgID string, tag []byte) (string, error) {
	id, err := ulid.ParseStrict(strings.ToUpper(orgID))
	if err != nil {
		return "", errors.New("tokens: org id is not a ULID")
	}
	var block [blockLen]byte
	copy(block[:idLen], id[:])
	copy(block[idLen:], tag)
	k.encipher(&block)
	body := base62(new(big.Int).SetBytes(block[:]), bodyLen)
	return k.prefix + body + checksum(body), nil
}

// NewPersonalID makes a personal token's id from 6 random bytes: 12 lower-case hex digits.
func NewPersonalID() (string, error) {
	b := make([]byte, tagLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Parsed is what a well-formed token says: the org it names and its tag, which Verify checks
// against the org's current version and nonce.
type Parsed struct {
	OrgID string
	tag   []byte
}

// Parse reads a token's text: ErrMalformed when it fails the format or the checksum, or when
// its body is no value Format makes. No secret is needed to check the checksum; the key turns
// the body back into the org id and tag.
func (k Keys) Parse(text string) (Parsed, error) {
	if len(text) != textLen || !strings.HasPrefix(text, k.prefix) {
		return Parsed{}, ErrMalformed
	}
	body, check := text[len(k.prefix):len(k.prefix)+bodyLen], text[len(k.prefix)+bodyLen:]
	if !inAlphabet(body) || !inAlphabet(check) || checksum(body) != check {
		return Parsed{}, ErrMalformed
	}
	n := unbase62(body)
	if n.BitLen() > blockLen*8 {
		return Parsed{}, ErrMalformed
	}
	var block [blockLen]byte
	n.FillBytes(block[:])
	k.decipher(&block)
	var id ulid.ULID
	copy(id[:], block[:idLen])
	return Parsed{OrgID: strings.ToLower(id.String()), tag: append([]byte(nil), block[idLen:]...)}, nil
}

// PersonalID is the id of the personal token p was parsed from (Keys.FormatPersonal).
func (p Parsed) PersonalID() string { return hex.EncodeToString(p.tag) }

// Verify reports whether p is the token of its org at version and nonce.
func (k Keys) Verify(p Parsed, version int, nonce string) bool {
	return hmac.Equal(p.tag, k.tag(p.OrgID, version, nonce))
}

// WellFormed reports whether text passes the format and checksum of an org token or a personal
// one: what a secret scanner checks, without the key.
func WellFormed(text string) bool {
	if len(text) != textLen || !strings.HasPrefix(text, Prefix) && !strings.HasPrefix(text, PersonalPrefix) {
		return false
	}
	body, check := text[len(Prefix):len(Prefix)+bodyLen], text[len(Prefix)+bodyLen:]
	return inAlphabet(body) && inAlphabet(check) && checksum(body) == check
}

func (k Keys) tag(orgID string, version int, nonce string) []byte {
	msg := make([]byte, 0, 64)
	msg = append(msg, "tag\x00"...)
	msg = append(msg, orgID...)
	msg = binary.BigEndian.AppendUint64(append(msg, 0), uint64(version))
	msg = append(msg, nonce...)
	return k.key.MAC(msg)[:tagLen]
}

// round is the Feistel round function: HMAC-SHA256 of the round number and one half.
func (k Keys) round(i int, half []byte) []byte {
	msg := append([]byte{'f', byte(i)}, half...)
	return k.key.MAC(msg)[:halfLen]
}

func (k Keys) encipher(b *[blockLen]byte) {
	l, r := b[:halfLen], b[halfLen:]
	for i := range rounds {
		f := k.round(i, r)
		for j := range l {
			l[j] ^= f[j]
		}
		l, r = r, l
	}
	// After an even number of rounds the halves are back in their own slots.
}

func (k Keys) decipher(b *[blockLen]byte) {
	l, r := b[:halfLen], b[halfLen:]
	for i := rounds - 1; i >= 0; i-- {
		l, r = r, l
		f := k.round(i, r)
		for j := range l {
			l[j] ^= f[j]
		}
	}
}

// checksum is the CRC32 (IEEE) of body in 6 base-62 digits.
func checksum(body string) string {
	return base62(new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(body)))), checkLen)
}

// base62 writes n in width digits of the alphabet, most significant first, left-padded with 0.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	v := new(big.Int).Set(n)
	base, mod := big.NewInt(62), new(big.Int)
	for i := width - 1; i >= 0; i-- {
		v.DivMod(v, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}

func unbase62(s string) *big.Int {
	n, base := new(big.Int), big.NewInt(62)
	for i := 0; i < len(s); i++ {
		n.Mul(n, base).Add(n, big.NewInt(int64(strings.IndexByte(alphabet, s[i]))))
	}
	return n
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
