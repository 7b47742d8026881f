package maildomains_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/standins"
)

func TestTableIsWhatThePinnedPackagesGive(t *testing.T) {
	root, err := standins.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := maildomains.Generate(filepath.Join(root, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(maildomains.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the npm packages pinned in package.json give: run go generate ./internal/provisioning/maildomains", maildomains.FileName)
	}
}

func TestPublicKnowsFreeAndDisposableMailAndTheirSubdomains(t *testing.T) {
	table, err := maildomains.Open(maildomains.FileName)
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{
		"gmail.com": true, "outlook.com": true, "yahoo.com": true, "proton.me": true,
		"mailinator.com": true, "x.mailinator.com": true, "a.b.mailinator.com": true,
		"acme.com": false, "example.com": false, "bigcorp.com": false, "mail.acme.com": false,
		"com": false, "": false, "aaaa": false, "zzzz.zz": false,
	} {
		if got, err := table.Public(d); err != nil || got != want {
			t.Errorf("Public(%q) = %v, %v, want %v", d, got, err, want)
		}
	}
}

func TestOpenRefusesWhatIsNotTheTable(t *testing.T) {
	if _, err := maildomains.Open(""); err == nil {
		t.Error("Open(\"\") opened a table")
	}
	if _, err := maildomains.Open(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("Open opened a missing file")
	}
	other := filepath.Join(t.TempDir(), "other.txt")
	if err := os.WriteFile(other, []byte("gmail.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	table, err := maildomains.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := table.Public("gmail.com"); err == nil {
		t.Error("a file without the generated header was searched as the table")
	}
}

// A file that starts like the table but is not all of it (cut short, emptied, its lines
// turned CRLF or out of order) must not be searched as the table: each of those answers
// "not public" for gmail.com, and an org could claim it. The lookup fails instead, and the
// domain routes answer 500 rather than take a public domain.
func TestATableThatIsNotWholeFailsClosed(t *testing.T) {
	real, err := os.ReadFile(maildomains.FileName)
	if err != nil {
		t.Fatal(err)
	}
	nl := bytes.IndexByte(real, '\n')
	header := string(real[:nl+1])
	for name, body := range map[string]string{
		"the header alone":               header,
		"the header without its newline": header[:len(header)-1],
		"cut short":                      string(real[:len(real)/3]),
		"some other domains":             header + "acme.com\nexample.com\n",
		"CRLF lines":                     string(bytes.ReplaceAll(real, []byte("\n"), []byte("\r\n"))),
		"out of order":                   header + "zzz.com\ngmail.com\naaa.com\n",
	} {
		path := filepath.Join(t.TempDir(), "domains.txt")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		table, err := maildomains.Open(path)
		if err != nil {
			continue // refused at once: closed as well
		}
		if public, err := table.Public("gmail.com"); err == nil {
			t.Errorf("%s: Public(gmail.com) = %v with no error; want the table refused", name, public)
		}
	}
}
