// Command genmains writes functions/<name>/main.go for every route of the route table and
// every function of package triggers, and removes the folders of functions that are gone. Run it with `go generate ./functions`.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/vendorportal/orgs/internal/mainsrc"
	"github.com/vendorportal/orgs/internal/routes"
	"github.com/vendorportal/orgs/internal/triggers"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	want := map[string]bool{}
	write := func(name, src string) {
		want[name] = true
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "main.go"), []byte(src), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	for _, r := range routes.All() {
		write(r.Name, routes.MainSource(r))
	}
	for _, f := range triggers.Functions {
		write(f.Name, triggers.MainSource(f))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !want[e.Name()] && mainsrc.IsGenerated(filepath.Join(dir, e.Name(), "main.go")) {
			fmt.Println("removing", e.Name())
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				log.Fatal(err)
			}
		}
	}
}
