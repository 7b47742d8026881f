package repocheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's root: tests run in this package's directory, two levels below it.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// markdownFiles are the README and every Markdown file under docs/.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	// linkRE finds inline links and images: [text](target) and ![alt](target), with an
	// optional title after the target.
	linkRE       = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCodeRE = regexp.MustCompile("`[^`]*`")
)

// doc is one Markdown file: its links (outside code) and its headings' anchors.
type doc struct {
	links   []link
	anchors map[string]bool
}

type link struct {
	line   int
	target string
}

func parse(t *testing.T, path string) doc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := doc{anchors: map[string]bool{}}
	seen := map[string]int{}
	inFence := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if strings.HasPrefix(line, "#") {
			slug := slugify(strings.TrimLeft(line, "#"))
			if k := seen[slug]; k > 0 {
				d.anchors[slug+"-"+itoa(k)] = true
			} else {
				d.anchors[slug] = true
			}
			seen[slug]++
		}
		for _, m := range linkRE.FindAllStringSubmatch(inlineCodeRE.ReplaceAllString(line, ""), -1) {
			d.links = append(d.links, link{line: n, target: m[1]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// slugify makes a heading's anchor as GitHub does: lower case, punctuation dropped (hyphens
// and underscores kept), spaces made hyphens.
func slugify(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// external reports whether a link leaves the repository (a web address, a mail address, or a
// local server's address such as the README's http://127.0.0.1:8080/docs).
func external(target string) bool {
	for _, p := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(target, p) {
			return true
		}
	}
	return false
}

func TestEveryRelativeLinkOfTheDocsResolves(t *testing.T) {
	root := root(t)
	files := markdownFiles(t, root)
	if len(files) < 2 {
		t.Fatalf("found only %v: the docs/ directory is missing", files)
	}
	parsed := map[string]doc{}
	get := func(p string) doc {
		d, ok := parsed[p]
		if !ok {
			d = parse(t, p)
			parsed[p] = d
		}
		return d
	}
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		for _, l := range get(file).links {
			if external(l.target) {
				continue
			}
			path, anchor, _ := strings.Cut(l.target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				inside, err := filepath.Rel(root, dest)
				if err != nil || strings.HasPrefix(inside, "..") {
					t.Errorf("%s:%d: %s points outside the repository", rel, l.line, l.target)
					continue
				}
				info, err := os.Stat(dest)
				if err != nil {
					t.Errorf("%s:%d: %s does not resolve: %v", rel, l.line, l.target, err)
					continue
				}
				if info.IsDir() || !strings.HasSuffix(dest, ".md") {
					if anchor != "" {
						t.Errorf("%s:%d: %s has an anchor into a file that is not Markdown", rel, l.line, l.target)
					}
					continue
				}
			}
			if anchor != "" && !get(dest).anchors[anchor] {
				t.Errorf("%s:%d: %s: no heading with the anchor #%s", rel, l.line, l.target, anchor)
			}
		}
	}
}

// The README and the OpenAPI document once pointed readers to an API and an architecture
// document that live outside the repository; a reader of a clone can't follow that.
func TestTheDocsNameNoDocumentOutsideTheRepository(t *testing.T) {
	root := root(t)
	files := append(markdownFiles(t, root), filepath.Join(root, "openapi.yaml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"API.md", "ARCHITECTURE.md"} {
			if _, err := os.Stat(filepath.Join(root, name)); err == nil {
				continue
			}
			if strings.Contains(string(b), name) {
				rel, _ := filepath.Rel(root, file)
				t.Errorf("%s names %s, which is not in the repository", rel, name)
			}
		}
	}
}

func TestSlugifyAsGitHubDoes(t *testing.T) {
	for heading, want := range map[string]string{
		" Trying it: a user, a token, a few calls": "trying-it-a-user-a-token-a-few-calls",
		" Rotating `APP_SECRET`":                   "rotating-app_secret",
		" The operator's runbook":                  "the-operators-runbook",
	} {
		if got := slugify(heading); got != want {
			t.Errorf("slugify(%q) = %q, want %q", heading, got, want)
		}
	}
}
