package scim

import (
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apperr"
)

func TestAFilterTooLongIsRefusedBeforeItIsParsed(t *testing.T) {
	nested := strings.Repeat("not (", 2000) + `userName eq "a@example.com"` + strings.Repeat(")", 2000)
	for name, parse := range map[string]func(string) error{
		"users":  func(s string) error { _, err := ParseUserFilter(s); return err },
		"groups": func(s string) error { _, err := ParseGroupFilter(s); return err },
	} {
		err := parse(nested)
		if !apperr.Is(err, apperr.Invalid) || TypeOf(err) != "invalidFilter" || !strings.Contains(apperr.MessageOf(err), "at most") {
			t.Errorf("%s: %v, want a 400 invalidFilter for the length", name, err)
		}
	}
	// The longest filter the contract supports still parses.
	long := `userName eq "` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 180) + `.example.com" and externalId eq "` + strings.Repeat("x", 128) + `"`
	if _, err := ParseUserFilter(long); err != nil {
		t.Errorf("a filter of %d characters: %v", len(long), err)
	}
}

func TestAFilterFindsAnAddressHoweverItIsSpelled(t *testing.T) {
	for _, f := range []string{"userName eq \"ZOE\u0308@example.com\"", "emails[type eq \"work\"].value eq \"zoe\u0308@Example.com\""} {
		l, err := ParseUserFilter(f)
		if err != nil {
			t.Fatal(err)
		}
		u := User{UserName: "zo\u00eb@example.com", Emails: []MultiValue{{Value: "zo\u00eb@example.com"}}}
		if l.Email != "zo\u00eb@example.com" || !l.Match(u) {
			t.Errorf("%q: looks up %q, matches %v", f, l.Email, l.Match(u))
		}
	}
}
