package mail

import (
	"strings"
	"testing"
)

func TestRenderEscapesUserTextAndKeepsSubjectOnOneLine(t *testing.T) {
	tpl := MustTemplate("t", "Join {{.Org}}", "Join {{.Org}} at {{.Link}}", `<p>Join <b>{{.Org}}</b> <a href="{{.Link}}">here</a></p>`)
	m, err := tpl.Render("a@example.com", map[string]string{
		"Org":  "Evil <script>alert(1)</script>\r\nBcc: victim@example.com",
		"Link": "https://app.example.com/invites/accept?token=abc&x=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject spans lines: %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML not escaped: %s", m.HTML)
	}
	if !strings.Contains(m.HTML, `href="https://app.example.com/invites/accept?token=abc&amp;x=1"`) {
		t.Errorf("link mangled: %s", m.HTML)
	}
	if !strings.Contains(m.Text, "token=abc&x=1") || m.To != "a@example.com" {
		t.Errorf("text part: %q", m.Text)
	}
}
