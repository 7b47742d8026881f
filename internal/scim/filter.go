package scim

import (
	"errors"
	"regexp"
	"strings"
	"sync"

	filter "github.com/scim2/filter-parser/v2"
	"github.com/vendorportal/orgs/internal/apperr"
	"golang.org/x/text/unicode/norm"
)

// Lookup is a user filter turned into what the store can find in one read: a member by sign-in
// address or by external id, or (neither set) the org's members in order. Every condition of
// the filter is also kept in Match, which the answer is checked with.
type Lookup struct {
	Email      string
	ExternalID string
	ID         string
	conds      []cond
}

type cond struct {
	attr  string // userName, externalId, id, emails.value
	value string
}

// Match reports whether u satisfies every condition of the filter.
func (l Lookup) Match(u User) bool {
	for _, c := range l.conds {
		switch c.attr {
		case "username":
			if !strings.EqualFold(u.UserName, c.value) {
				return false
			}
		case "externalid":
			if u.ExternalID != c.value {
				return false
			}
		case "id":
			if u.ID != c.value {
				return false
			}
		case "emails.value":
			found := false
			for _, e := range u.Emails {
				found = found || strings.EqualFold(e.Value, c.value)
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// valuePathSub matches emails[type eq "work"].value eq "…", which identity providers send but
// RFC 7644's grammar spells emails[type eq "work" and value eq "…"]: it is rewritten so.
// It is compiled on first use: every function's binary links this package, and a
// package-level regexp would cost each of them at its cold start.
var valuePathSub = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(\w+)\[([^\]]*)\]\.(\w+)\s+([eE][qQ])\s+("(?:[^"\\]|\\.)*")`)
})

// ParseUserFilter parses a filter of the forms the contract supports — userName eq "…",
// externalId eq "…", emails[type eq "work"].value eq "…" (or emails.value eq "…"), id eq "…",
// joined with and — into a Lookup. Anything else is an invalidFilter error.
func ParseUserFilter(raw string) (Lookup, error) {
	var l Lookup
	if strings.TrimSpace(raw) == "" {
		return l, nil
	}
	if err := filterLength(raw); err != nil {
		return l, err
	}
	expr, err := filter.ParseFilter([]byte(valuePathSub().ReplaceAllString(raw, "$1[$2 and $3 $4 $5]")))
	if err != nil {
		return l, badSyntax(userFilters)
	}
	if err := l.add(expr); err != nil {
		return l, err
	}
	for _, c := range l.conds {
		switch c.attr {
		case "username", "emails.value":
			if l.Email == "" {
				l.Email = strings.ToLower(c.value)
			}
		case "externalid":
			l.ExternalID = c.value
		case "id":
			l.ID = c.value
		}
	}
	return l, nil
}

// The filters each resource takes, as the invalidFilter errors name them.
const (
	userFilters  = `userName eq "…", externalId eq "…", emails[type eq "work"].value eq "…" or id eq "…", joined with and`
	groupFilters = `displayName eq "…"`
)

// badSyntax is the error of a filter the parser refused. The parser's own text names its
// grammar's internals ("parse conflict [00:001]: expected op.Or…"), which no caller can act
// on: the answer says what the filter may be instead.
func badSyntax(takes string) error {
	return Errorf(apperr.Invalid, "invalidFilter", "the filter is not valid SCIM filter syntax (RFC 7644, section 3.4.2.2): this resource takes %s", takes)
}

// MaxFilterLength bounds a filter's text: the filters the contract supports are far shorter
// (two conditions with an address and an external id), and the parser's time grows faster
// than the text (thousands of nested parentheses take it seconds), before the token is
// even checked.
const MaxFilterLength = 1024

func filterLength(raw string) error {
	if len(raw) > MaxFilterLength {
		return Errorf(apperr.Invalid, "invalidFilter", "the filter must be at most %d characters", MaxFilterLength)
	}
	return nil
}

func (l *Lookup) add(e filter.Expression) error {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return Errorf(apperr.Invalid, "invalidFilter", "only conditions joined with and are supported (max %d results)", MaxResults)
		}
		if err := l.add(x.Left); err != nil {
			return err
		}
		return l.add(x.Right)
	case *filter.AttributeExpression:
		return l.addAttr(x.AttributePath, x.Operator, x.CompareValue)
	case *filter.ValuePath:
		// emails[type eq "work" and value eq "x"]: the value condition counts; the type one
		// holds for the one address a member has, which is their work address.
		return l.addValuePath(x)
	}
	return Errorf(apperr.Invalid, "invalidFilter", "filter %v is not supported: use %s", e, userFilters)
}

func (l *Lookup) addValuePath(vp *filter.ValuePath) error {
	if !strings.EqualFold(vp.AttributePath.AttributeName, "emails") {
		return Errorf(apperr.Invalid, "invalidFilter", "only emails[...] may be filtered by value")
	}
	var walk func(e filter.Expression) error
	walk = func(e filter.Expression) error {
		switch x := e.(type) {
		case *filter.LogicalExpression:
			if x.Operator != filter.AND {
				return Errorf(apperr.Invalid, "invalidFilter", "only and is supported inside emails[...]")
			}
			if err := walk(x.Left); err != nil {
				return err
			}
			return walk(x.Right)
		case *filter.AttributeExpression:
			if x.Operator != filter.EQ {
				return Errorf(apperr.Invalid, "invalidFilter", "only eq is supported")
			}
			v, ok := x.CompareValue.(string)
			if !ok {
				return Errorf(apperr.Invalid, "invalidFilter", "emails[...] compares strings")
			}
			switch strings.ToLower(x.AttributePath.AttributeName) {
			case "type":
				if !strings.EqualFold(v, "work") {
					l.conds = append(l.conds, cond{attr: "emails.value", value: "\x00no such address"})
				}
				return nil
			case "value":
				l.conds = append(l.conds, cond{attr: "emails.value", value: norm.NFC.String(v)})
				return nil
			}
		}
		return Errorf(apperr.Invalid, "invalidFilter", "emails[...] may test type and value only")
	}
	return walk(vp.ValueFilter)
}

func (l *Lookup) addAttr(p filter.AttributePath, op filter.CompareOperator, value any) error {
	name := strings.ToLower(p.AttributeName)
	if sub := p.SubAttributeName(); sub != "" {
		name += "." + strings.ToLower(sub)
	}
	if op != filter.EQ {
		return Errorf(apperr.Invalid, "invalidFilter", "only eq is supported (in %s %s)", p, op)
	}
	v, ok := value.(string)
	if !ok {
		return Errorf(apperr.Invalid, "invalidFilter", "%s compares strings", p)
	}
	switch name {
	case "username", "emails.value":
		// Addresses compare as the contract says: NFC-normalised, whatever the case.
		l.conds = append(l.conds, cond{attr: name, value: norm.NFC.String(v)})
		return nil
	case "externalid", "id":
		l.conds = append(l.conds, cond{attr: name, value: v})
		return nil
	}
	return Errorf(apperr.Invalid, "invalidFilter", "filtering by %s is not supported: use userName, externalId or emails", p)
}

// Error is a SCIM error: an error of one of apperr's kinds (the edge's one table gives its
// status), with the scimType RFC 7644 names for it where there is one.
type Error struct {
	SCIMType string
	Err      *apperr.Error
}

func (e *Error) Error() string { return "scim " + e.SCIMType + ": " + e.Err.Error() }

// Unwrap gives the error's kind and message to apperr.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of kind k with scimType ("" where RFC 7644 names none) and a detail
// a person can act on.
func Errorf(k apperr.Kind, scimType, format string, args ...any) error {
	return &Error{SCIMType: scimType, Err: apperr.New(k, format, args...)}
}

// TypeOf returns the scimType of err, "" when it has none.
func TypeOf(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.SCIMType
	}
	return ""
}
