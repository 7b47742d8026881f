// Package mail renders the emails the product sends: each has a subject, a plain-text part
// and an HTML part, rendered from templates that escape everything user-supplied. The domain
// packages send them through a Sender; package ses implements it.
package mail

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
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

// Template is an email's three parts, compiled once.
type Template struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// layout wraps every HTML part.
const layout = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">{{template "body" .}}</body></html>`

// MustTemplate compiles an email's subject, text and HTML body. The HTML body is a
// html/template, so every value is escaped for its context; the subject loses line breaks.
func MustTemplate(name, subject, text, html string) *Template {
	h := htmltemplate.Must(htmltemplate.New(name).Parse(layout))
	htmltemplate.Must(h.New("body").Parse(html))
	return &Template{
		subject: texttemplate.Must(texttemplate.New(name + ".subject").Parse(subject)),
		text:    texttemplate.Must(texttemplate.New(name + ".text").Parse(text)),
		html:    h,
	}
}

// Render fills the template for one recipient.
func (t *Template) Render(to string, data any) (Message, error) {
	var subj, text, html bytes.Buffer
	if err := t.subject.Execute(&subj, data); err != nil {
		return Message{}, err
	}
	if err := t.text.Execute(&text, data); err != nil {
		return Message{}, err
	}
	if err := t.html.Execute(&html, data); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: oneLine(subj.String()), Text: text.String(), HTML: html.String()}, nil
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
