package account

import (
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/mail"
)

// Every email the package sends renders, with no placeholder left, the HTML part escaped and
// the subject on one line.
func TestEmailsRenderEveryPlaceholder(t *testing.T) {
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

	m, err := emailChangeMail("new@example.com", "old@example.com", link)
	check("email change", m, err, "new@example.com", link, "old@example.com")
	m, err = emailChangedMail("old@example.com", "new@example.com")
	check("email changed", m, err, "old@example.com", "old@example.com to new@example.com")
}
