package provisioning

import (
	"crypto/rand"
	"math/big"
	"strings"
	"unicode"

	"github.com/vendorportal/orgs/internal/apperr"
)

// PasswordPolicy is the user pool's password policy (infra/stack: 12 characters, lower and
// upper case letters and digits), checked before the identity provider is asked, so that a
// specified password is refused with the rule it breaks.
type PasswordPolicy struct {
	MinLength                          int
	RequireLower, RequireUpper, Digits bool
	Symbols                            bool
}

// PoolPolicy is the deployed pool's policy.
var PoolPolicy = PasswordPolicy{MinLength: 12, RequireLower: true, RequireUpper: true, Digits: true}

// Check reports the first rule p breaks, without the password in the message.
func (pol PasswordPolicy) Check(p string) error {
	has := func(f func(rune) bool) bool { return strings.ContainsFunc(p, f) }
	switch {
	case len([]rune(p)) < pol.MinLength:
		return apperr.New(apperr.Invalid, "password.value must be at least %d characters long", pol.MinLength)
	case len(p) > 256:
		return apperr.New(apperr.Invalid, "password.value must be at most 256 characters long")
	case pol.RequireLower && !has(unicode.IsLower):
		return apperr.New(apperr.Invalid, "password.value must contain a lower-case letter")
	case pol.RequireUpper && !has(unicode.IsUpper):
		return apperr.New(apperr.Invalid, "password.value must contain an upper-case letter")
	case pol.Digits && !has(unicode.IsDigit):
		return apperr.New(apperr.Invalid, "password.value must contain a digit")
	case pol.Symbols && !has(func(r rune) bool { return strings.ContainsRune(symbols, r) }):
		return apperr.New(apperr.Invalid, "password.value must contain a symbol")
	case has(func(r rune) bool { return r < 0x20 || r == 0x7f }) || strings.TrimSpace(p) != p:
		return apperr.New(apperr.Invalid, "password.value must not start or end with a space nor hold control characters")
	}
	return nil
}

const (
	lowers  = "abcdefghijkmnopqrstuvwxyz"
	uppers  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	digits  = "23456789"
	symbols = "!#$%*+-=?@^_"
)

// GeneratePassword returns 20 characters from letters, digits and symbols, with at least
// one of each (about 118 bits): it meets any policy Cognito allows up to 20 characters.
func GeneratePassword() string {
	all := lowers + uppers + digits + symbols
	out := make([]byte, 20)
	for i := range out {
		out[i] = all[randIndex(len(all))]
	}
	for i, class := range []string{lowers, uppers, digits, symbols} {
		out[i] = class[randIndex(len(class))]
	}
	// Shuffle, so that the class characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j := randIndex(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func randIndex(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("provisioning: random: " + err.Error())
	}
	return int(v.Int64())
}
