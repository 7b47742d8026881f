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

func TestRenderWrapsTheHTMLPartAndLeavesTheTextAsIs(t *testing.T) {
	tpl := MustTemplate("t", "Hi {{.Name}}", "Hi {{.Name}}, {{.Name}}!", "<p>Hi {{.Name}}</p>")
	m, err := tpl.Render("a@example.com", map[string]string{"Name": `Bo "B" O'Neil & co`})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != `Hi Bo "B" O'Neil & co` || m.Text != `Hi Bo "B" O'Neil & co, Bo "B" O'Neil & co!` {
		t.Errorf("subject %q, text %q", m.Subject, m.Text)
	}
	want := `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5"><p>Hi Bo &#34;B&#34; O&#39;Neil &amp; co</p></body></html>`
	if m.HTML != want {
		t.Errorf("HTML\n%s\nwant\n%s", m.HTML, want)
	}
}

func TestRenderRefusesAPlaceholderWithoutAValue(t *testing.T) {
	tpl := MustTemplate("t", "Join {{.Org}}", "{{.Link}}", "<p>{{.Org}}</p>")
	if _, err := tpl.Render("a@example.com", map[string]string{"Org": "Acme"}); err == nil || !strings.Contains(err.Error(), "{{.Link}}") {
		t.Errorf("err = %v, want no value for {{.Link}}", err)
	}
}

func TestMustTemplateRefusesWhatItCannotFillSafely(t *testing.T) {
	for name, parts := range map[string][3]string{
		"not a placeholder":      {"{{Org}}", "", ""},
		"a pipeline":             {"", "{{.Org | printf}}", ""},
		"an unclosed action":     {"", "Hi {{.Org", ""},
		"an empty key":           {"", "{{.}}", ""},
		"an unquoted attribute":  {"", "", `<a href={{.Link}}>x</a>`},
		"an attribute name":      {"", "", `<p {{.Attr}}>x</p>`},
		"a script":               {"", "", `<script>var x = "{{.X}}"</script>`},
		"a style":                {"", "", `<STYLE>p{}</STYLE><p>{{.X}}</p>`},
		"after a quoted attrib.": {"", "", `<a href="x" {{.Attr}}>x</a>`},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("MustTemplate accepted %q", parts)
				}
			}()
			MustTemplate("t", parts[0], parts[1], parts[2])
		})
	}
	// Quoted attribute values, in either quotes, and text between tags are fine.
	MustTemplate("ok", "", "", `<p title='{{.A}}'><a href="{{.B}}">{{.C}}</a> {{.D}}</p>`)
}
