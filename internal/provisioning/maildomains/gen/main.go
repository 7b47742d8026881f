// Command gen writes the maildomains table from the npm packages pinned in the project's
// package.json (run by go generate in the package's directory).
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/vendorportal/orgs/internal/provisioning/maildomains"
	"github.com/vendorportal/orgs/internal/standins"
)

func main() {
	root, err := standins.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	b, err := maildomains.Generate(filepath.Join(root, "node_modules"))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(maildomains.FileName, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
