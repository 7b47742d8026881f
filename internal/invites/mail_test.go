package invites

import (
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/mail"
	"github.com/vendorportal/orgs/internal/orgs"
)

// The invite email renders, with hostile values escaped in the HTML part and
// kept off the subject line's end.
func TestEmailsRenderEveryPlaceholder(t *testing.T) {
	const evil = "Evil <script>x</script>\r\nBcc: victim@example.com"
	const link = "https://app.example.com/x?token=abc&y=1"
	check := func(name string, m mail.Message, err error, to string, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.To != to || m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("%s: to %q, subject %q", name, m.To, m.Subject)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML+m.Text, "{{") {
			t.Errorf("%s: HTML not escaped or a placeholder left:\n%s\n%s", name, m.HTML, m.Text)
		}
		for _, w := range want {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s: text lacks %q:\n%s", name, w, m.Text)
			}
		}
	}

	inv := Invite{Email: "bob@example.com", Role: "user", InvitedBy: orgs.Person{Email: "ada@example.com"},
		ExpiresAt: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)}
	m, err := inviteMessage(orgs.Org{Name: evil}, inv, link)
	check("invite", m, err, "bob@example.com", link, "ada@example.com", "29 November 2026, 10:00 UTC", "role user")
	if !strings.Contains(m.HTML, `href="https://app.example.com/x?token=abc&amp;y=1"`) || !strings.Contains(m.HTML, "Evil &lt;script&gt;") {
		t.Errorf("invite HTML:\n%s", m.HTML)
	}

}
