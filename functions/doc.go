// Package functions holds one main package per Lambda function, generated from the route
// table. Edit internal/httpapi/routes.go, then run `go generate ./functions`.
package functions

//go:generate go run ../internal/httpapi/genmains
