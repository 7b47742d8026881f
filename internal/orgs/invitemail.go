package orgs

import (
	"sync"

	"github.com/vendorportal/orgs/internal/mail"
)

// inviteMailData fills the invite email. Every field but Link is user-supplied or derived
// from what users supplied; the templates escape them (HTML) or keep them off header lines
// (the subject).
type inviteMailData struct {
	OrgName   string
	Inviter   string
	Role      string
	ExpiresAt string
	Link      string
}

var (
	inviteOnce     sync.Once
	inviteTemplate *mail.Template
)

// inviteMail compiles the template on first use. A package-level template would link the
// template engines into every function that imports this package, also those that send no
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
