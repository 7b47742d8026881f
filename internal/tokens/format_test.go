package tokens

import (
	"strings"
	"testing"
)

const vectorOrg = "01jd8n2q4r5s6t7v8w9x0y1z2a"

func TestChecksumIsCRC32IEEEInSixBase62Digits(t *testing.T) {
	// Computed independently: Python's zlib.crc32, written in base 62 (0-9A-Za-z).
	for body, want := range map[string]string{
		"000000000000000000000000000000": "2C8GjS",
		"abcdefghijklmnopqrstuvwxyzABCD": "4dNndU",
	} {
		if got := checksum(body); got != want {
			t.Errorf("checksum(%q) = %q, want %q", body, got, want)
		}
		if !WellFormed(Prefix + body + want) {
			t.Errorf("%s%s%s is not well-formed", Prefix, body, want)
		}
	}
}

func TestFormatIsFixedForAKeyAndState(t *testing.T) {
	k := NewKeys([]byte("test secret"))
	got, err := k.Format(vectorOrg, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	// A fixed vector: a change of the format or the derivation would silently invalidate every
	// token in use, so it must show up here.
	const want = "vpt_" + "3FLInjrt6vqtnbQaUoKFglE2nPYL83" + "2W1UDa"
	if got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
	if len(got) != 40 || !WellFormed(got) {
		t.Errorf("%s: want vpt_ and 36 base-62 characters passing the checksum", got)
	}
}

func TestParseGivesBackTheOrgAndVerifiesOnlyTheCurrentVersion(t *testing.T) {
	k := NewKeys([]byte("test secret"))
	tok, _ := k.Format(vectorOrg, 3, "nonce-a")
	p, err := k.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.OrgID != vectorOrg {
		t.Errorf("org = %s, want %s", p.OrgID, vectorOrg)
	}
	if !k.Verify(p, 3, "nonce-a") {
		t.Error("the token does not verify at its own version")
	}
	if k.Verify(p, 4, "nonce-b") || k.Verify(p, 3, "nonce-b") || k.Verify(p, 2, "nonce-a") {
		t.Error("the token verifies at another version or nonce")
	}
	next, _ := k.Format(vectorOrg, 4, "nonce-b")
	if same := commonPrefix(tok, next); same > len(Prefix)+3 {
		t.Errorf("a regenerated token shares %d leading characters with the old one: it should differ throughout", same)
	}
	other := NewKeys([]byte("another secret"))
	if p2, err := other.Parse(tok); err == nil && (p2.OrgID == vectorOrg || other.Verify(p2, 3, "nonce-a")) {
		t.Error("another server's key reads or verifies the token")
	}
}

func TestParseRefusesWhatFailsTheFormat(t *testing.T) {
	k := NewKeys([]byte("test secret"))
	tok, _ := k.Format(vectorOrg, 0, "")
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, text := range map[string]string{
		"empty":             "",
		"no prefix":         "xpt_" + tok[4:],
		"short":             tok[:39],
		"long":              tok + "0",
		"bad character":     tok[:10] + "-" + tok[11:],
		"body typo":         flip(10),
		"checksum typo":     flip(38),
		"over 176 bits":     Prefix + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" + checksum("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
		"lower-case prefix": strings.ToUpper(tok[:4]) + tok[4:],
	} {
		if _, err := k.Parse(text); err != ErrMalformed {
			t.Errorf("%s: Parse(%q) = %v, want ErrMalformed", name, text, err)
		}
	}
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
