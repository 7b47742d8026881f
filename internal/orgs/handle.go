package orgs

import (
	"crypto/rand"
	"slices"
	"strings"

	"github.com/vendorportal/orgs/internal/apperr"
)

// reservedHandles can't be taken by any org: they name parts of the product or could be
// mistaken for the vendor.
var reservedHandles = []string{
	"about", "account", "accounts", "admin", "administrator", "api", "app", "auth", "billing",
	"blog", "help", "invite", "invites", "login", "logout", "me", "new", "null", "operator",
	"operators", "org", "orgs", "root", "security", "settings", "signin", "signup", "static",
	"status", "support", "system", "undefined", "www",
}

// ValidateHandle checks a handle against the contract's rules.
func ValidateHandle(h string) error {
	switch {
	case len(h) < 3 || len(h) > 39:
		return apperr.New(apperr.Invalid, "handle must be 3 to 39 characters long")
	case !handleChars(h):
		return apperr.New(apperr.Invalid, "handle may contain only lower-case letters, digits and '-', and may not start or end with '-'")
	case slices.Contains(reservedHandles, h):
		return apperr.New(apperr.Invalid, "handle %q is reserved; choose another", h)
	}
	return nil
}

// handleChars reports whether h is lower-case letters, digits and '-', neither starting nor
// ending with '-' (a loop, not a regexp: a regexp compiled at package init costs every
// function's cold start).
func handleChars(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(h)-1) {
			return false
		}
	}
	return h != ""
}

// slug turns free text into a handle candidate: lower-case letters and digits, runs of
// anything else folded into one '-', padded or cut to the allowed length.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	h := strings.Trim(b.String(), "-")
	if len(h) > 39 {
		h = strings.TrimRight(h[:39], "-")
	}
	if len(h) < 3 || ValidateHandle(h) != nil {
		h = strings.Trim(h+"-"+randomSuffix(), "-")
	}
	return h
}

// withSuffix returns h with a random suffix, still within the length limit.
func withSuffix(h string) string {
	suffix := randomSuffix()
	if max := 39 - len(suffix) - 1; len(h) > max {
		h = strings.TrimRight(h[:max], "-")
	}
	return h + "-" + suffix
}

func randomSuffix() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
