// Package apiclient is a Go client of the API, generated from openapi.yaml by oapi-codegen (a
// Go tool of this module, pinned in go.mod). It is here so that a document a generator can't
// turn into compiling code fails the build: `go generate ./internal/apiclient` after changing
// openapi.yaml, and a test in package functions checks that the generated file is current.
// The end-to-end tests use it too.
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../../openapi.yaml
