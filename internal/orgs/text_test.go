package orgs

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
)

// Two spellings of one address are one address: NFC first (é precomposed or e + U+0301),
// then lower case (the Kelvin sign K, U+212A, is a K).
func TestNormalizeEmailMakesTwoSpellingsOfOneAddressOne(t *testing.T) {
	for _, pair := range [][2]string{
		{"jos\u00e9@example.com", "jose\u0301@example.com"},
		{"JOS\u00c9@Example.com", "jose\u0301@example.com"},
		{"\u212aim@example.com", "kim@example.com"},
		{"kim@\u212aelvin.example.com", "KIM@kelvin.example.com"},
	} {
		a, errA := NormalizeEmail("email", pair[0])
		b, errB := NormalizeEmail("email", pair[1])
		if errA != nil || errB != nil || a != b {
			t.Errorf("%q → %q (%v), %q → %q (%v): want one address", pair[0], a, errA, pair[1], b, errB)
		}
	}
	for _, bad := range []string{"a\u200b@example.com", "a\u202e@example.com", "a@exa\u00admple.com", "a\u0085@example.com"} {
		if _, err := NormalizeEmail("email", bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NormalizeEmail(%q) = %v, want invalid", bad, err)
		}
	}
}

// Names and labels are stored NFC and refuse characters that hide or reorder what a person
// reads: control characters (C0 and C1), bidi overrides and isolates, zero-width ones.
func TestCleanTextStoresNFCAndRefusesHiddenCharacters(t *testing.T) {
	if got, err := cleanText("name", "  Jose\u0301 ", 100, true); err != nil || got != "Jos\u00e9" {
		t.Errorf("cleanText = %q, %v; want the NFC form", got, err)
	}
	for _, ok := range []string{"Ada Lovelace", "日本語", "Zoë & Co.", "O'Brien-Smith"} {
		if _, err := cleanText("name", ok, 100, true); err != nil {
			t.Errorf("cleanText(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{
		"a\nb", "a\tb", "a\x7fb", "a\u0085b", "a\u009bb", // control
		"evil\u202egpj.exe", "a\u202ab", "a\u2066b", "a\u200fb", "a\u061cb", // bidi
		"a\u200bb", "a\u200cb", "a\u200db", "a\u2060b", "a\ufeffb", // zero-width
		"a\u2028b", // line separator
	} {
		if _, err := cleanText("name", bad, 100, true); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("cleanText(%+q) = %v, want invalid", bad, err)
		}
	}
	// The length counts characters of the stored (NFC) form.
	if _, err := cleanText("name", "e\u0301e\u0301e\u0301", 3, true); err != nil {
		t.Errorf("three composed characters should fit in 3: %v", err)
	}
}
