package orgs

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The contract's pattern of a property key, which ValidPropertyKey spells out.
var propertyKeyPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,39}$`)

func TestValidPropertyKeyAgreesWithThePattern(t *testing.T) {
	cases := []string{"", "a", "A", "_", "0", "ab", "aB9_", "a-b", "a.b", "a b", "é", "aé", "a\n",
		"a" + string(make([]byte, 39)), "abcdefghijklmnopqrstuvwxyzabcdefghijklmn", "abcdefghijklmnopqrstuvwxyzabcdefghijklmno"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "azAZ09_-.é \n"
	for range 20000 {
		b := make([]byte, rng.IntN(45))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := ValidPropertyKey(s), propertyKeyPattern.MatchString(s); got != want {
			t.Errorf("ValidPropertyKey(%q) = %v; the pattern says %v", s, got, want)
		}
	}
}
