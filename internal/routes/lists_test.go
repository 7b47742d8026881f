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

	"github.com/vendorportal/orgs/internal/app"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/httpapi/apitest"
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
		calls, ok := pages[build]
		if !ok {
			t.Errorf("%s: can't find its Build function %s in the package's code", r.Name, build)
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

// pagingFuncs parses the package's code and tells, for each function, whether it calls
// Page or Cursor on anything, directly or through the package's other functions (and the
// closures it returns).
func pagingFuncs(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
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
	memo := map[string]bool{}
	var pages func(name string, seen map[string]bool) bool
	pages = func(name string, seen map[string]bool) bool {
		if v, ok := memo[name]; ok {
			return v
		}
		if seen[name] {
			return false
		}
		seen[name] = true
		found := false
		ast.Inspect(funcs[name].Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found {
				return !found
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name == "Page" || fn.Sel.Name == "Cursor" {
					found = true
				}
			case *ast.Ident:
				if _, ok := funcs[fn.Name]; ok && pages(fn.Name, seen) {
					found = true
				}
			case *ast.IndexExpr: // a generic function
				if id, ok := fn.X.(*ast.Ident); ok {
					if _, ok := funcs[id.Name]; ok && pages(id.Name, seen) {
						found = true
					}
				}
			}
			return !found
		})
		memo[name] = found
		return found
	}
	out := map[string]bool{}
	for name := range funcs {
		out[name] = pages(name, map[string]bool{})
	}
	return out
}
