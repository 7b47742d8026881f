package tokens

import (
	"sync"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
)

// The admins' notices. Rendered without a recipient: the outbox handler of KindNotifyAdmins
// addresses one copy to each admin. No notice carries the token.

func regeneratedMail(o orgs.Org, by string, at time.Time) (mail.Message, error) {
	return noticeMail().Render("", map[string]string{
		"Subject": by + " regenerated the access token of " + o.Name,
		"What":    by + ` regenerated the access token of the organization "` + o.Name + `" on ` + at.UTC().Format("2 January 2006, 15:04 UTC") + ".",
		"Then":    "The old token stopped working at once: tools that used it need the new one, which members with token.view can see in the portal.",
	})
}

func resetMail(o orgs.Org, by string, at time.Time) (mail.Message, error) {
	return noticeMail().Render("", map[string]string{
		"Subject": by + " reset authentication for " + o.Name,
		"What":    by + ` reset authentication for the organization "` + o.Name + `" on ` + at.UTC().Format("2 January 2006, 15:04 UTC") + ".",
		"Then":    "Every member was signed out and must sign in again, and the org's access token was regenerated: tools need the new one.",
	})
}

var (
	noticeOnce     sync.Once
	noticeTemplate *mail.Template
)

// noticeMail parses the template on first use, so that functions that send no notice don't
// build it at init.
func noticeMail() *mail.Template {
	noticeOnce.Do(func() {
		noticeTemplate = mail.MustTemplate("token-notice", `{{.Subject}}`,
			"Hello,\n\n{{.What}}\n\n{{.Then}}\n\nIf this was not expected, review the organization's event log.\n",
			`<p>Hello,</p><p>{{.What}}</p><p>{{.Then}}</p><p>If this was not expected, review the organization's event log.</p>`)
	})
	return noticeTemplate
}
