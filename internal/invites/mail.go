package invites

import (
	"sync"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
)

// inviteMessage is the invite email with the link. Every value but the link is user-supplied
// or derived from what users supplied; the template escapes them (HTML) or keeps them off
// header lines (the subject).
func inviteMessage(org orgs.Org, inv Invite, link string) (mail.Message, error) {
	return inviteMail().Render(inv.Email, map[string]string{
		"OrgName": org.Name, "Inviter": inv.InvitedBy.Email, "Role": string(inv.Role),
		"ExpiresAt": inv.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC"), "Link": link,
	})
}

var (
	inviteOnce     sync.Once
	inviteTemplate *mail.Template
)

// inviteMail parses the template on first use. A package-level template would be built at
// init and linked into every function that imports this package, also those that send no
// mail; a function is linked only where it is called.
func inviteMail() *mail.Template {
	inviteOnce.Do(func() { inviteTemplate = compileInviteMail() })
	return inviteTemplate
}

func compileInviteMail() *mail.Template {
	return mail.MustTemplate("invite",
		`{{.Inviter}} invited you to join {{.OrgName}}`,
		`Hello,

{{.Inviter}} invited you to join the organization "{{.OrgName}}" on the customer portal, with the role {{.Role}}.

Accept the invitation here:
{{.Link}}

The link works until {{.ExpiresAt}}. If you did not expect this invitation, you can ignore this email.
`,
		`<p>Hello,</p>
<p><b>{{.Inviter}}</b> invited you to join the organization <b>{{.OrgName}}</b> on the customer portal, with the role <b>{{.Role}}</b>.</p>
<p><a href="{{.Link}}">Accept the invitation</a></p>
<p>Or paste this link into your browser: {{.Link}}</p>
<p>The link works until {{.ExpiresAt}}. If you did not expect this invitation, you can ignore this email.</p>`)
}
