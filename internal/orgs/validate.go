package orgs

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vendorportal/orgs/internal/apperr"
)

// NormalizeEmail trims and lower-cases an address and checks that it is one plain address.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") || len(s) > 254 {
		return "", apperr.New(apperr.Invalid, "%s must be a plain email address such as name@example.com", field)
	}
	return s, nil
}

// cleanText trims s and checks it fits in max characters and holds no control characters.
func cleanText(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", apperr.New(apperr.Invalid, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		return "", apperr.New(apperr.Invalid, "%s must be at most %d characters", field, max)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", apperr.New(apperr.Invalid, "%s may not contain line breaks or control characters", field)
	}
	return s, nil
}

func validVisibility(v Visibility) (Visibility, error) {
	switch v {
	case "":
		return VisibilityOwn, nil
	case VisibilityOwn, VisibilityAll:
		return v, nil
	}
	return "", apperr.New(apperr.Invalid, "supportTicketVisibility must be %q or %q", VisibilityOwn, VisibilityAll)
}

// CleanText is the contract's rule for names and labels: NFC-normalised and trimmed, at most
// max characters (and there, when required), without control, bidi-override or zero-width
// characters (they hide or reorder what a reader sees).
func CleanText(field, s string, max int, required bool) (string, error) {
	s, err := cleanText(field, norm.NFC.String(s), max, required)
	if err != nil {
		return "", err
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, hiddenRune) {
		return "", apperr.New(apperr.Invalid, "%s may not contain bidi-override or zero-width characters", field)
	}
	return s, nil
}

// hiddenRune reports the characters that reorder or hide text: bidi controls and zero-width
// ones.
func hiddenRune(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return true
	}
	return false
}
