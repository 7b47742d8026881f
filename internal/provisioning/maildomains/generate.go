package maildomains

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// sources are the npm packages the table is made of, and their files of domains (JSON
// arrays of strings); the disposable list's wildcard file names domains whose every
// subdomain is disposable, which Public covers by checking parents.
var sources = []struct {
	pkg   string
	files []string
}{
	{"free-email-domains", []string{"domains.json"}},
	{"disposable-email-domains", []string{"index.json", "wildcard.json"}},
}

// Generate returns the table made from the packages installed in nodeModules (the
// project's node_modules, as `npm ci` installs it from package-lock.json).
func Generate(nodeModules string) ([]byte, error) {
	seen := map[string]bool{}
	var names []string
	for _, src := range sources {
		var meta struct {
			Version string `json:"version"`
		}
		if err := readJSON(filepath.Join(nodeModules, src.pkg, "package.json"), &meta); err != nil {
			return nil, err
		}
		names = append(names, src.pkg+"@"+meta.Version)
		for _, f := range src.files {
			var list []string
			if err := readJSON(filepath.Join(nodeModules, src.pkg, f), &list); err != nil {
				return nil, err
			}
			for _, d := range list {
				a, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), "."))
				if err != nil || !strings.Contains(a, ".") || strings.ContainsAny(a, "\n#") {
					continue // not a domain anyone could verify
				}
				seen[a] = true
			}
		}
	}
	domains := make([]string, 0, len(seen))
	for d := range seen {
		domains = append(domains, d)
	}
	slices.Sort(domains)
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s: do not edit\n", header, strings.Join(names, ", "))
	for _, d := range domains {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("maildomains: %w (run npm ci in the project's root)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("maildomains: %s: %w", path, err)
	}
	return nil
}
