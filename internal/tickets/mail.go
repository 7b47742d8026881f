package tickets

import (
	"sync"

	"github.com/vendorportal/orgs/internal/mail"
)

// replyMessage is the email to a ticket's creator when support answers. The subject and the
// reply are user-supplied text; the template escapes them.
func replyMessage(t Ticket, c Comment, link string) (mail.Message, error) {
	return replyMail().Render(t.CreatedBy.Email, map[string]string{
		"Subject": t.Subject, "Reply": c.Body, "Link": link,
	})
}

var (
	replyOnce     sync.Once
	replyTemplate *mail.Template
)

// replyMail parses the template on first use, so that functions which send none don't pay.
func replyMail() *mail.Template {
	replyOnce.Do(func() {
		replyTemplate = mail.MustTemplate("ticket-reply",
			`Re: {{.Subject}}`,
			`Hello,

Our support team answered your ticket "{{.Subject}}":

{{.Reply}}

Reply or close the ticket here:
{{.Link}}
`,
			`<p>Hello,</p>
<p>Our support team answered your ticket <b>{{.Subject}}</b>:</p>
<blockquote style="white-space:pre-wrap">{{.Reply}}</blockquote>
<p><a href="{{.Link}}">Reply or close the ticket</a></p>`)
	})
	return replyTemplate
}
