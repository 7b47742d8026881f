// Package mail renders the emails the product sends: each has a subject, a plain-text part
// and an HTML part, filled from templates that escape everything user-supplied. The domain
// packages send them through a Sender; package ses implements it.
//
// The templates are not text/template or html/template: both look methods up by name through
// reflect, which makes the linker keep every exported method of every type a binary can reach
// (the whole of each AWS client), and they cost init time. A template here is plain text with
// {{.Key}} placeholders and nothing else, filled from a map[string]string.
package mail

import (
	"context"
	"fmt"
	"html"
	"strings"
)

// Message is one email, ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Template is an email's three parts, parsed once.
type Template struct {
	name                string
	subject, text, html []segment
}

// segment is literal text, or a placeholder when key is set.
type segment struct {
	lit string
	key string
}

// The layout around every HTML part.
const (
	layoutStart = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">`
	layoutEnd   = `</body></html>`
)

// MustTemplate parses an email's subject, plain-text and HTML body; it panics on a malformed
// placeholder, or one in the HTML body where escaping would not make a value safe.
//
// A placeholder is {{.Key}}, Key a Go identifier. Render fills it with the value of Key: as
// is in the subject (put on one line) and the text part, and escaped with html.EscapeString
// in the HTML part, which makes a value safe in text and in quoted attribute values; the HTML
// body may hold placeholders nowhere else (not in a tag's name or an unquoted attribute, nor
// in a script or style element).
//
// Unlike html/template, nothing checks or filters the URL in an href: the links the templates
// carry are built by the server (APP_URL and a token it made), never taken from a user.
func MustTemplate(name, subject, text, htmlBody string) *Template {
	t := &Template{name: name}
	var err error
	if t.subject, err = parse(subject); err != nil {
		panic(fmt.Sprintf("mail template %s, subject: %v", name, err))
	}
	if t.text, err = parse(text); err != nil {
		panic(fmt.Sprintf("mail template %s, text: %v", name, err))
	}
	if t.html, err = parse(htmlBody); err == nil {
		err = checkHTML(t.html)
	}
	if err != nil {
		panic(fmt.Sprintf("mail template %s, HTML: %v", name, err))
	}
	return t
}

// parse splits s into literals and placeholders.
func parse(s string) ([]segment, error) {
	var segs []segment
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			segs = append(segs, segment{lit: s})
			break
		}
		if i > 0 {
			segs = append(segs, segment{lit: s[:i]})
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("unclosed {{ at %q", s[i:])
		}
		action := s[i+2 : i+end]
		key, ok := strings.CutPrefix(action, ".")
		if !ok || !isIdent(key) {
			return nil, fmt.Errorf("{{%s}} is not a placeholder; write {{.Key}}", action)
		}
		segs = append(segs, segment{key: key})
		s = s[i+end+2:]
	}
	return segs, nil
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// checkHTML rejects placeholders that html.EscapeString would not make safe: inside a tag
// but outside a quoted attribute value, or anywhere in a document with a script or style
// element. It follows tags and quotes only as far as the templates need: no comments, no
// CDATA.
func checkHTML(segs []segment) error {
	inTag := false
	var quote byte
	for _, sg := range segs {
		if sg.key != "" {
			if inTag && quote == 0 {
				return fmt.Errorf("{{.%s}} is inside a tag but not in a quoted attribute value", sg.key)
			}
			continue
		}
		lower := strings.ToLower(sg.lit)
		if strings.Contains(lower, "<script") || strings.Contains(lower, "<style") {
			return fmt.Errorf("script and style elements are not supported")
		}
		for i := 0; i < len(sg.lit); i++ {
			c := sg.lit[i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case inTag && (c == '"' || c == '\''):
				quote = c
			case c == '<':
				inTag = true
			case c == '>':
				inTag = false
			}
		}
	}
	return nil
}

// Render fills the template for one recipient. A placeholder whose key data lacks is an
// error: a misspelt key must not send an email with a hole in it.
func (t *Template) Render(to string, data map[string]string) (Message, error) {
	subject, err := t.fill(t.subject, data, nil)
	if err != nil {
		return Message{}, err
	}
	text, err := t.fill(t.text, data, nil)
	if err != nil {
		return Message{}, err
	}
	body, err := t.fill(t.html, data, html.EscapeString)
	if err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: oneLine(subject), Text: text, HTML: layoutStart + body + layoutEnd}, nil
}

// fill writes segs with the values of data, each passed through escape when it is set.
func (t *Template) fill(segs []segment, data map[string]string, escape func(string) string) (string, error) {
	var b strings.Builder
	for _, sg := range segs {
		if sg.key == "" {
			b.WriteString(sg.lit)
			continue
		}
		v, ok := data[sg.key]
		if !ok {
			return "", fmt.Errorf("mail template %s: no value for {{.%s}}", t.name, sg.key)
		}
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// oneLine keeps a header value on one line, whatever a user put in the values it holds.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// Recorder is a Sender that keeps what it is given, for tests of code that sends mail.
type Recorder struct {
	Sent []Message
	// Err, when set, is returned by Send instead of recording.
	Err error
}

// Send records m.
func (r *Recorder) Send(_ context.Context, m Message) error {
	if r.Err != nil {
		return r.Err
	}
	r.Sent = append(r.Sent, m)
	return nil
}
