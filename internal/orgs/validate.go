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
		strings.ContainsFunc(s, Hidden) {
		return "", apperr.New(apperr.Invalid, "%s must be a plain email address such as name@example.com", field)
	}
	return s, nil
}

// NormalizeQuery is a search prefix in the form stored sort keys are: NFC, lower case.
func NormalizeQuery(s string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))
}

// MaxPersonName is the most characters of a person's name (a member's, a profile's, a SCIM
// user's name parts).
const MaxPersonName = 200

// cleanText trims s, NFC-normalises it, and checks it fits in max characters and holds none
// of the characters that hide or reorder what a person reads (Hidden). It is the one text
// cleaner of the service: every free-text field a client sends passes through it (CleanText,
// CleanMultilineText), names, labels, descriptions, ticket text and SCIM names alike.
func cleanText(field, s string, max int, required bool) (string, error) {
	return clean(field, s, max, required, false)
}

// clean is cleanText, where multiline also lets line breaks and tabs through (a CRLF or a
// lone CR becoming LF).
func clean(field, s string, max int, required, multiline bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", apperr.New(apperr.Invalid, "%s must be UTF-8 text", field)
	}
	if multiline {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	refused := Hidden
	if multiline {
		refused = func(r rune) bool { return r != '\n' && r != '\t' && Hidden(r) }
	}
	switch {
	case required && s == "":
		return "", apperr.New(apperr.Invalid, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		return "", apperr.New(apperr.Invalid, "%s must be at most %d characters", field, max)
	case strings.ContainsFunc(s, refused) && multiline:
		return "", apperr.New(apperr.Invalid, "%s may not contain control, bidi-override or zero-width characters", field)
	case strings.ContainsFunc(s, refused):
		return "", apperr.New(apperr.Invalid, "%s may not contain line breaks, control, bidi-override or zero-width characters", field)
	}
	return s, nil
}

// Hidden reports the characters a name, label or address may not hold: control characters
// (C0, DEL, C1), format characters (bidi overrides U+202A–202E, embeddings, isolates
// U+2066–2069 and marks, zero-width space and joiners U+200B–200D, the word joiner U+2060,
// the BOM U+FEFF, the soft hyphen) and line or paragraph separators.
func Hidden(r rune) bool {
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
	return clean(field, s, max, required, false)
}

// CleanMultilineText is CleanText for text of several lines (a ticket's body, a comment):
// line breaks (stored as LF) and tabs are allowed, nothing else that CleanText refuses.
func CleanMultilineText(field, s string, max int, required bool) (string, error) {
	return clean(field, s, max, required, true)
}

// validPhone checks an E.164 number: + and 8 to 15 digits, the first not 0.
func validPhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	ok := len(s) >= 9 && len(s) <= 16 && s[0] == '+' && s[1] != '0'
	for i := 1; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return "", apperr.New(apperr.Invalid, "phone must be in E.164 form: + then country code and number, digits only, e.g. +14155550123")
	}
	return s, nil
}
