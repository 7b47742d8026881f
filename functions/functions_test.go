package functions_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/triggers"
)

// TestMainsMatchRouteTable fails when a route or a trigger function has no generated main, a main is stale, or a
// generated main is left over from a route that is gone: run `go generate ./functions`.
func TestMainsMatchRouteTable(t *testing.T) {
	names := map[string]bool{}
	for _, r := range httpapi.Routes {
		if names[r.Name] {
			t.Errorf("two routes are named %q", r.Name)
		}
		names[r.Name] = true
		got, err := os.ReadFile(filepath.Join(r.Name, "main.go"))
		if err != nil {
			t.Errorf("route %s has no main: %v (run go generate ./functions)", r.Name, err)
			continue
		}
		if string(got) != httpapi.MainSource(r) {
			t.Errorf("functions/%s/main.go is stale (run go generate ./functions)", r.Name)
		}
	}
	for _, f := range triggers.Functions {
		if names[f.Name] {
			t.Errorf("two functions are named %q", f.Name)
		}
		names[f.Name] = true
		got, err := os.ReadFile(filepath.Join(f.Name, "main.go"))
		if err != nil || string(got) != triggers.MainSource(f) {
			t.Errorf("functions/%s/main.go is missing or stale (run go generate ./functions)", f.Name)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !names[e.Name()] {
			t.Errorf("functions/%s has no route in the table", e.Name())
		}
	}
}

type openAPI struct {
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

type operation struct {
	OperationID string                 `yaml:"operationId"`
	Security    *[]map[string][]string `yaml:"security"`
}

// TestOpenAPIMatchesRouteTable fails when openapi.yaml and the route table disagree on the set
// of routes, their function names, or which routes are public.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	raw, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec openAPI
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]operation{}
	for path, ops := range spec.Paths {
		for method, node := range ops {
			if method == "parameters" {
				continue
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			inSpec[strings.ToUpper(method)+" "+path] = op
		}
	}
	var inTable []string
	for _, r := range httpapi.Routes {
		key := r.Method + " " + r.Path
		inTable = append(inTable, key)
		op, ok := inSpec[key]
		if !ok {
			t.Errorf("route %s (%s) is missing from openapi.yaml", key, r.Name)
			continue
		}
		if op.OperationID != r.Name {
			t.Errorf("%s: operationId %q, want the function name %q", key, op.OperationID, r.Name)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (r.Auth == httpapi.Public) {
			t.Errorf("%s: openapi says public=%v, the route table says auth %q", key, public, r.Auth)
		}
	}
	for key := range inSpec {
		if !slices.Contains(inTable, key) {
			t.Errorf("openapi.yaml has %s, which is not in the route table", key)
		}
	}
}
