package webhooks

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The contract's patterns of an event filter, which validAction and validPrefix spell out.
var (
	actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$`)
)

func TestFilterChecksAgreeWithThePatterns(t *testing.T) {
	cases := []string{"", "*", ".", ".*", "a", "a.", ".a", "a.b", "a..b", "a.b.c", "a.*", "a.b.*", "a*", "a.*.b",
		"*.*", "a.b*", "member.added", "member.*", "Member.added", "a_1.b_2", "1a.b", "a.1b", "a.b.", "a.b\n", "é.a"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab09_.*.A-é\n"
	for range 50000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := validAction(s), actionPattern.MatchString(s); got != want {
			t.Errorf("validAction(%q) = %v; the pattern says %v", s, got, want)
		}
		if got, want := validPrefix(s), prefixPattern.MatchString(s); got != want {
			t.Errorf("validPrefix(%q) = %v; the pattern says %v", s, got, want)
		}
	}
}
