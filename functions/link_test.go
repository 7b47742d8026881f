package functions_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/accountapi"
	"github.com/vendorportal/orgs/internal/httpapi/membersapi"
	"github.com/vendorportal/orgs/internal/httpapi/orgsapi"
	"github.com/vendorportal/orgs/internal/httpapi/tokensapi"
	"github.com/vendorportal/orgs/internal/routes"
)

// TestFunctionsLinkOnlyTheirOwnRoute builds a few functions as `make build` does (unstripped,
// to read the symbols) and fails when one links another route's handler or a step of the glue
// its route does not take. Each of these has happened: a package-level value built at init
// (the route table as one slice, a Build made by a call in a Route literal, a regexp or an
// IDNA profile) is kept, with all it reaches, in every function importing the package, and so
// is each branch of the glue that names a client. `make measure` (infra/coldstart) shows the
// cost in package size and init time; this keeps the causes from coming back.
func TestFunctionsLinkOnlyTheirOwnRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds functions")
	}
	// The glue's optional steps, by the symbol each links, and what makes a route need it.
	steps := []struct {
		symbol string
		needs  func(r *httpapi.Route) bool
	}{
		{"github.com/vendorportal/orgs/internal/tokens.(*Service).SignIn", func(r *httpapi.Route) bool { return r.Auth == httpapi.Token }},
		{"github.com/vendorportal/orgs/internal/orgs.(*Service).AuthorizeFor", (*httpapi.Route).OrgScoped},
		{"github.com/vendorportal/orgs/internal/scim.(*Service).SignIn", func(r *httpapi.Route) bool { return r.Auth == httpapi.SCIM && !r.AnyToken }},
		{"github.com/vendorportal/orgs/internal/secrets.(*Reader).String", func(r *httpapi.Route) bool { return len(r.Keys) > 0 || len(r.ReadsSecrets) > 0 }},
	}
	// A public route without a table, a signed-in one outside any org, an org route whose
	// list needs the secret, and a tool's; with the name of their Build function.
	for _, c := range []struct {
		r     *httpapi.Route
		build string
	}{
		{orgsapi.GetConfig, "buildGetConfig"}, {accountapi.GetMe, "buildGetMe"},
		{membersapi.ListMembers, "buildListMembers"}, {tokensapi.GetEntitlements, "buildGetEntitlements"},
	} {
		r := c.r
		t.Run(r.Name, func(t *testing.T) {
			syms := linkedSymbols(t, r.Name)
			own := "github.com/vendorportal/orgs/internal/" + routes.Package(r) + "." + c.build
			if !syms[own] {
				t.Fatalf("%s does not link %s: is that its route's Build?", r.Name, own)
			}
			for s := range syms {
				if isBuild(s) && s != own && !strings.HasPrefix(s, own+".") {
					t.Errorf("%s links %s, another route's Build", r.Name, s)
				}
			}
			for _, st := range steps {
				if syms[st.symbol] && !st.needs(r) {
					t.Errorf("%s links %s, a step of the glue its route does not take", r.Name, st.symbol)
				}
			}
		})
	}
}

// isBuild reports whether the symbol s is (or is inside) a route's Build: a function build... of
// the edge kernel or of an edge package (internal/httpapi/<cap>api).
func isBuild(s string) bool {
	rest, ok := strings.CutPrefix(s, "github.com/vendorportal/orgs/internal/httpapi")
	if !ok {
		return false
	}
	pkg, fn, ok := strings.Cut(rest, ".")
	return ok && strings.HasPrefix(fn, "build") && (pkg == "" || strings.Count(pkg, "/") == 1 && strings.HasSuffix(pkg, "api"))
}

// linkedSymbols builds functions/<name> for linux/arm64 with `make build`'s flags but the
// symbol table kept, and returns the names of its symbols.
func linkedSymbols(t *testing.T, name string) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./"+name)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool, len(syms))
	for _, s := range syms {
		out[s.Name] = true
	}
	return out
}
