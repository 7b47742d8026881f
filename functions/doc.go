// Package functions holds one main package per Lambda function, generated from the route
// table. Edit the route table (internal/routes) or a route of an edge package
// (internal/httpapi/<cap>api), then run `go generate ./functions`.
package functions

//go:generate go run ../internal/genmains
