package orgs

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vendorportal/orgs/internal/apperr"
)

// NormalizeEmail trims an address, NFC-normalises and lower-cases it (in that order: the two
// spellings of "josé" and the Kelvin sign's "K" each make one address), and checks that it is
// one plain address. Every comparison and guard on an email goes through it.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") || len(s) > 254 ||
		strings.ContainsFunc(s, hidden) {
		return "", apperr.New(apperr.Invalid, "%s must be a plain email address such as name@example.com", field)
	}
	return s, nil
}

// NormalizeQuery is a search prefix in the form stored sort keys are: NFC, lower case.
func NormalizeQuery(s string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
}

// cleanText trims s, NFC-normalises it, and checks it fits in max characters and holds none
// of the characters that hide or reorder what a person reads (hidden).
func cleanText(field, s string, max int, required bool) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	switch {
	case required && s == "":
		return "", apperr.New(apperr.Invalid, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		return "", apperr.New(apperr.Invalid, "%s must be at most %d characters", field, max)
	case strings.ContainsFunc(s, hidden):
		return "", apperr.New(apperr.Invalid, "%s may not contain line breaks, control, bidi-override or zero-width characters", field)
	}
	return s, nil
}

// hidden reports the characters a name, label or address may not hold: control characters
// (C0, DEL, C1), format characters (bidi overrides, embeddings, isolates and marks, zero-width
// space and joiners, the word joiner, the BOM, the soft hyphen) and line or paragraph
// separators.
func hidden(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
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

// CleanText is the contract's rule for names and labels (cleanText), for other domain
// packages: NFC-normalised and trimmed, at most max characters (and there, when required),
// without control, bidi-override or zero-width characters.
func CleanText(field, s string, max int, required bool) (string, error) {
	return cleanText(field, s, max, required)
}
