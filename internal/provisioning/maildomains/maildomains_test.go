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
	for d, want := range map[string]bool{
		"gmail.com": true, "outlook.com": true, "yahoo.com": true, "proton.me": true,
		"mailinator.com": true, "x.mailinator.com": true, "a.b.mailinator.com": true,
		"acme.com": false, "example.com": false, "bigcorp.com": false, "mail.acme.com": false,
		"com": false, "": false, "aaaa": false, "zzzz.zz": false,
	} {
		if got := maildomains.Public(d); got != want {
			t.Errorf("Public(%q) = %v, want %v", d, got, want)
		}
	}
}
