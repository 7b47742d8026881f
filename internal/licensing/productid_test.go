package licensing

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The contract's pattern of a product id, which ValidProductID spells out.
var productIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

func TestValidProductIDAgreesWithThePattern(t *testing.T) {
	cases := []string{"", "a", "-", "ab", "a-", "-a", "0-", "a_b", "A1", "a.b", "é1", "a\n",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "a" + strings.Repeat("-", 62)}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "az09-_A.é\n"
	for range 20000 {
		b := make([]byte, rng.IntN(70))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := ValidProductID(s), productIDPattern.MatchString(s); got != want {
			t.Errorf("ValidProductID(%q) = %v; the pattern says %v", s, got, want)
		}
	}
}
