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

// TestUserFilters: the lookups identity providers make before they create a user, and the
// filters the service refuses, each as invalidFilter with a detail saying what it takes.
func TestUserFilters(t *testing.T) {
	for _, tc := range []struct {
		filter   string
		email    string
		external string
		ok       bool
	}{
		{`userName eq "Ada@Example.com"`, "ada@example.com", "", true},
		{`externalId eq "00u1"`, "", "00u1", true},
		{`userName eq "ada@example.com" and externalId eq "00u1"`, "ada@example.com", "00u1", true},
		{`emails[type eq "work" and value eq "ada@example.com"]`, "ada@example.com", "", true},
		{`userName sw "ada"`, "", "", false},
		{`userName eq "a@example.com" or userName eq "b@example.com"`, "", "", false},
		{`displayName eq "Ada"`, "", "", false},
		{`userName eq 42`, "", "", false},
		{`userName eq`, "", "", false},
		{`emails[display eq "x"].value eq "a@example.com"`, "", "", false},
	} {
		l, err := ParseUserFilter(tc.filter)
		if !tc.ok {
			if !apperr.Is(err, apperr.Invalid) || TypeOf(err) != "invalidFilter" || apperr.MessageOf(err) == "" {
				t.Errorf("%s: %v, want invalidFilter", tc.filter, err)
			}
			continue
		}
		if err != nil || l.Email != tc.email || l.ExternalID != tc.external {
			t.Errorf("%s: %+v, %v; want email %q, externalId %q", tc.filter, l, err, tc.email, tc.external)
		}
	}
}

// TestFilterSyntaxErrorsSayWhatIsTaken: a filter the parser refuses is answered with what the
// resource takes, never with the parser's grammar ("parse conflict", "expected op.Or").
func TestFilterSyntaxErrorsSayWhatIsTaken(t *testing.T) {
	for _, raw := range []string{`userName eq`, `((`, `userName eq "a" and`, `"x"`} {
		_, uerr := ParseUserFilter(raw)
		_, gerr := ParseGroupFilter(raw)
		for _, c := range []struct {
			err   error
			takes string
		}{{uerr, userFilters}, {gerr, groupFilters}} {
			msg := apperr.MessageOf(c.err)
			if TypeOf(c.err) != "invalidFilter" || !strings.Contains(msg, c.takes) || strings.Contains(msg, "conflict") || strings.Contains(msg, "expected") {
				t.Errorf("%s: %q, want invalidFilter naming %s and no parser internals", raw, msg, c.takes)
			}
		}
	}
}
