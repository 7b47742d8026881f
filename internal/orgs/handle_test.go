package orgs

import (
	"regexp"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
)

func TestValidateHandleFollowsContract(t *testing.T) {
	good := []string{"abc", "acme-robotics", "a1b", strings.Repeat("a", 39), "x-y-z"}
	bad := []string{"ab", strings.Repeat("a", 40), "-abc", "abc-", "ABC", "a_b", "a b", "ümlaut", "admin", "api", "www", ""}
	for _, h := range good {
		if err := ValidateHandle(h); err != nil {
			t.Errorf("ValidateHandle(%q) = %v, want ok", h, err)
		}
	}
	for _, h := range bad {
		if err := ValidateHandle(h); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ValidateHandle(%q) = %v, want invalid", h, err)
		}
	}
}

func TestDerivedHandlesAreAlwaysValid(t *testing.T) {
	names := []string{"Acme Robotics", "  ÄÖÜ GmbH ", "A", "--", "admin", strings.Repeat("Long name ", 10), "日本語", "x.y@z"}
	for _, n := range names {
		for _, h := range []string{slug(n), withSuffix(slug(n))} {
			if err := ValidateHandle(h); err != nil {
				t.Errorf("handle %q derived from %q is invalid: %v", h, n, err)
			}
		}
	}
	if got := slug("Acme Robotics, Inc."); got != "acme-robotics-inc" {
		t.Errorf("slug = %q", got)
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, err := NormalizeEmail("email", "  Ada@Example.COM "); err != nil || got != "ada@example.com" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "ada", "ada@", "Ada <ada@example.com>", "ada@localhost", "a@b.c\r\nBcc: x@y.z"} {
		if _, err := NormalizeEmail("email", bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NormalizeEmail(%q) = %v, want invalid", bad, err)
		}
	}
}

// handleChars is the loop that replaced the contract's pattern; it must agree with it on
// every string of the allowed lengths.
func TestHandleCharsMatchesThePattern(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,37})[a-z0-9]$`)
	alphabet := []string{"a", "z", "0", "9", "-", "A", "_", "é", " ", "."}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		if n == 0 {
			if got, want := handleChars(prefix), re.MatchString(prefix); got != want {
				t.Errorf("handleChars(%q) = %v, the pattern says %v", prefix, got, want)
			}
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	for n := 3; n <= 4; n++ {
		gen("", n)
	}
	for _, h := range []string{"a" + strings.Repeat("-", 37) + "b", "a" + strings.Repeat("b", 37) + "-", strings.Repeat("x", 39)} {
		if got, want := handleChars(h), re.MatchString(h); got != want {
			t.Errorf("handleChars(%q) = %v, the pattern says %v", h, got, want)
		}
	}
}
