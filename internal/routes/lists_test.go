package routes_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/routes"
)

// TestListRoutesAreDeclaredAsTheyPage refuses a misdeclared list route before it is ever
// deployed: a route whose handler pages (calls Request.Page or Request.Cursor, itself or
// through a helper of this package) must be declared List Paged, and a Paged route must be
// Secret, the only routes that hold the key cursors are sealed with (a route that paged
// without it answered 500 to every second page). The document must agree: a Paged route
// documents ?limit= and ?cursor=, a Whole one ?limit=, and each answers the list shape.
func TestListRoutesAreDeclaredAsTheyPage(t *testing.T) {
	pages := pagingFuncs(t)
	for _, r := range routes.All() {
		build := runtime.FuncForPC(reflect.ValueOf(r.Build).Pointer()).Name()
		build = build[strings.LastIndex(build, ".")+1:]
		calls, ok := pages[routes.Package(r)][build]
		if !ok {
			t.Errorf("%s: can't find its Build function %s in the code of %s", r.Name, build, routes.Package(r))
			continue
		}
		if calls && r.List != httpapi.Paged {
			t.Errorf("%s: its handler pages (Request.Page/Cursor) but the route is not declared List: Paged", r.Name)
		}
		if !calls && r.List == httpapi.Paged {
			t.Errorf("%s: declared List: Paged but its handler never calls Request.Page", r.Name)
		}
		if r.List == httpapi.Paged && !slices.Contains(r.Keys, app.KeyCursors) {
			t.Errorf("%s: a paged list route must name app.KeyCursors in Keys (its cursors are sealed with it)", r.Name)
		}
		op := apitest.Contract.Operation(r.Method, r.Path)
		if op == nil {
			continue // TestOpenAPIMatchesRoutes reports it
		}
		documented := map[string]bool{}
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.In == "query" {
				documented[p.Value.Name] = true
			}
		}
		switch r.List {
		case httpapi.Paged, httpapi.Whole:
			if !documented["limit"] || !documented["cursor"] {
				t.Errorf("%s: a list route must document ?limit= and ?cursor= (documented: %v)", r.Name, documented)
			}
			ok := op.Responses.Value("200")
			if ok == nil || ok.Value == nil || ok.Value.Content.Get("application/json") == nil ||
				ok.Value.Content.Get("application/json").Schema.Value.Properties["items"] == nil {
				t.Errorf("%s: a list route must answer 200 with the list shape {items, nextCursor}", r.Name)
			}
		default:
			if documented["cursor"] {
				t.Errorf("%s: documents ?cursor= but is not declared a list route", r.Name)
			}
		}
	}
}

// pagingFuncs parses the code of the edge packages and of the kernel (internal/httpapi) and
// tells, for each function of an edge package (by package, as routes.Package names it, and
// name), whether it calls Page or Cursor on anything, directly or through the package's other
// functions and the kernel's (and the closures they return).
func pagingFuncs(t *testing.T) map[string]map[string]bool {
	t.Helper()
	const kernel = "httpapi"
	parse := func(pkg string) map[string]*ast.FuncDecl {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join("..", filepath.FromSlash(pkg), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		funcs := map[string]*ast.FuncDecl{}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
					funcs[fd.Name.Name] = fd
				}
			}
		}
		return funcs
	}
	funcs := map[string]map[string]*ast.FuncDecl{kernel: parse(kernel)}
	for _, r := range routes.All() {
		if pkg := routes.Package(r); funcs[pkg] == nil {
			funcs[pkg] = parse(pkg)
		}
	}
	type fn struct{ pkg, name string }
	memo := map[fn]bool{}
	var pages func(f fn, seen map[fn]bool) bool
	pages = func(f fn, seen map[fn]bool) bool {
		if v, ok := memo[f]; ok {
			return v
		}
		if seen[f] {
			return false
		}
		seen[f] = true
		found := false
		// follow reports whether the call of a function named by id (in pkg) pages.
		follow := func(pkg string, id *ast.Ident) bool {
			_, ok := funcs[pkg][id.Name]
			return ok && pages(fn{pkg, id.Name}, seen)
		}
		ast.Inspect(funcs[f.pkg][f.name].Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found {
				return !found
			}
			callee := call.Fun
			if ix, ok := callee.(*ast.IndexExpr); ok { // a generic function
				callee = ix.X
			}
			switch c := callee.(type) {
			case *ast.SelectorExpr:
				if c.Sel.Name == "Page" || c.Sel.Name == "Cursor" {
					found = true
				} else if x, ok := c.X.(*ast.Ident); ok && x.Name == kernel && follow(kernel, c.Sel) {
					found = true
				}
			case *ast.Ident:
				if follow(f.pkg, c) {
					found = true
				}
			}
			return !found
		})
		memo[f] = found
		return found
	}
	out := map[string]map[string]bool{}
	for pkg, fs := range funcs {
		out[pkg] = map[string]bool{}
		for name := range fs {
			out[pkg][name] = pages(fn{pkg, name}, map[fn]bool{})
		}
	}
	return out
}
