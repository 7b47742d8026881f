// Command genmains writes functions/<name>/main.go for every route of the route table, and
// removes the folders of routes that are gone. Run it with `go generate ./functions`.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/vendorportal/orgs/internal/httpapi"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	want := map[string]bool{}
	for _, r := range httpapi.Routes {
		want[r.Name] = true
		if err := os.MkdirAll(filepath.Join(dir, r.Name), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, r.Name, "main.go"), []byte(httpapi.MainSource(r)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !want[e.Name()] && httpapi.IsGenerated(filepath.Join(dir, e.Name(), "main.go")) {
			fmt.Println("removing", e.Name())
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				log.Fatal(err)
			}
		}
	}
}
