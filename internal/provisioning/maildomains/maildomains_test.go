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
