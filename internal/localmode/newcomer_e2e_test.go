package localmode_test

import (
	"bufio"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorportal/orgs/internal/demo"
	"github.com/vendorportal/orgs/internal/localmode"
	"github.com/vendorportal/orgs/internal/standins"
)

// walkThroughMarker precedes each shell block of the README that a newcomer runs in order.
const walkThroughMarker = "<!-- newcomer walk-through"

// newcomerBlocks returns the README's marked shell blocks, in order.
func newcomerBlocks(t *testing.T, readme string) []string {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var block *strings.Builder
	marked := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case block != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, block.String())
			block, marked = nil, false
		case block != nil:
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, walkThroughMarker):
			marked = true
		case marked && strings.HasPrefix(line, "```sh"):
			block = &strings.Builder{}
		case marked && strings.TrimSpace(line) != "":
			t.Fatalf("README: %q follows a walk-through marker; want a ```sh block", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// The README's newcomer commands, run as they are written, in order, from the repository's
// root, against the local API on a port that is not the default: its first calls ("Trying
// it", which takes the demo's handle), make demo, accepting an invite, a created user's
// first sign-in with the temporary password from the mail, and a CLI's device sign-in.
func TestTheREADMEsNewcomerCommandsWorkOnAnotherPort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go and make")
	}
	root, err := standins.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	blocks := newcomerBlocks(t, filepath.Join(root, "README.md"))
	if len(blocks) < 5 {
		t.Fatalf("the README has %d marked walk-through blocks, want at least 5 (trying it, make demo, invite, created user, device sign-in)", len(blocks))
	}
	l := startLocal(t)
	// As make run does: the scheduled job re-drives what the stream feed missed.
	go l.api.RunJobs(t.Context(), 2*time.Second)
	u, err := url.Parse(l.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == localmode.DefaultPort {
		t.Skip("the test server got the default port")
	}
	out := filepath.Join(t.TempDir(), "out")
	// curl fails on an answer other than 2xx, so that a command the README shows failing
	// stops the walk-through here rather than going unnoticed.
	script := "set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; echo; }\n" +
		strings.Join(blocks, "") +
		"printf '%s\\n' \"$TOKEN\" \"$BOB\" \"$CAROL\" \"$ORG\" \"$PAT\" > " + out + "\n"
	cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
	cmd.Dir = root
	cmd.Env = append(withoutEnv(os.Environ(), "TOKEN", "API", "PORT", "SES_ENDPOINT", "LOCAL_DIR"),
		"PORT="+u.Port(), "SES_ENDPOINT="+l.ses, "LOCAL_DIR="+t.TempDir())
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, output)
	}
	t.Logf("the walk-through's output:\n%s", output)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(vars) != 5 {
		t.Fatalf("TOKEN, BOB, CAROL, ORG, PAT: %q", vars)
	}
	ada, bob, carol, org, pat := vars[0], vars[1], vars[2], vars[3], vars[4]
	if !strings.HasPrefix(pat, "vpu_") {
		t.Errorf("the device sign-in's token %q is not a personal token", pat)
	}
	var mine struct {
		Items []struct{ Name string } `json:"items"`
	}
	l.do("GET", "/v1/orgs/"+org+"/me/tokens", ada, "", 200, &mine)
	if len(mine.Items) != 1 || mine.Items[0].Name != "acme-cli" {
		t.Errorf("ada's personal tokens after the device sign-in: %+v; want the one named acme-cli", mine.Items)
	}

	type me struct {
		User struct {
			Email string  `json:"email"`
			Name  *string `json:"name"`
		} `json:"user"`
		Orgs []struct {
			ID     string `json:"id"`
			Handle string `json:"handle"`
			Role   string `json:"role"`
		} `json:"orgs"`
	}
	roleIn := func(token string) (me, string) {
		var m me
		l.do("GET", "/v1/me", token, "", 200, &m)
		for _, o := range m.Orgs {
			if o.ID == org {
				return m, o.Role
			}
		}
		return m, ""
	}
	if m, role := roleIn(ada); role != "admin" || m.User.Name == nil || *m.User.Name != "Ada Lovelace" {
		t.Errorf("ada: %+v, role %q in the org; want admin, named Ada Lovelace", m.User, role)
	}
	if _, role := roleIn(bob); role != "user" {
		t.Errorf("bob's role in the org after accepting the invite: %q, want user", role)
	}
	if _, role := roleIn(carol); role != "user" {
		t.Errorf("carol's role in the org after her first sign-in: %q, want user", role)
	}
	// make demo made its own org beside the reader's, which took its handle.
	demoAdmin := l.signIn(demo.Users[1].Email, demo.Password)
	m, _ := roleIn(demoAdmin)
	found := false
	for _, o := range m.Orgs {
		if o.Role == "admin" && o.ID != org && o.Handle != demo.OrgHandle {
			found = true
		}
	}
	if !found {
		t.Errorf("the demo admin's orgs %+v: no demo org", m.Orgs)
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
