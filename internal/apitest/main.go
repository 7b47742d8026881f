// Package apitest is the test harness of the HTTP edge: it runs routes as Lambda runs them
// after API Gateway (through httpapi.Bind, on real v2 events) against DynamoDB Local and the
// other stand-ins of package testenv, with the grants of the route table enforced, and holds
// every answer to openapi.yaml. Only tests import it.
package apitest

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/apidoc"
	"github.com/vendorportal/orgs/internal/httpapi"
	"github.com/vendorportal/orgs/internal/testenv"
)

// Contract is openapi.yaml: every answer a route of the table gives in these tests is held to
// it (harness: API.Call), and a full run fails when a route was never seen answering with a
// documented success.
var Contract *apidoc.Doc

// Main runs a test package of the edge (testenv.Main) with Contract loaded. routes are the
// routes the package's tests answer for: a full run (no -run, no -short) fails when one of
// them never answered with a documented success, since each route needs a test showing that
// its happy path matches the document.
func Main(m *testing.M, routes []*httpapi.Route) {
	var err error
	if Contract, err = apidoc.LoadFromRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testenv.Main(m, func() error { return checkEveryRouteSeen(routes) })
}

// Reading returns the routes of rs that change no state (not Route.Mutating): an edge
// package's tests answer for these, while the route table's completeness test calls every
// mutating route (TestEveryMutatingRouteWritesExactlyOneEvent) and answers for those.
func Reading(rs []*httpapi.Route) []*httpapi.Route {
	return slices.DeleteFunc(slices.Clone(rs), (*httpapi.Route).Mutating)
}

// Mutating returns the routes of rs that change state (Route.Mutating).
func Mutating(rs []*httpapi.Route) []*httpapi.Route {
	return slices.DeleteFunc(slices.Clone(rs), func(r *httpapi.Route) bool { return !r.Mutating() })
}

func checkEveryRouteSeen(routes []*httpapi.Route) error {
	if f := flag.Lookup("test.run"); f == nil || f.Value.String() != "" || testing.Short() {
		return nil
	}
	var all []string
	for _, r := range routes {
		all = append(all, r.Method+" "+r.Path)
	}
	if unseen := Contract.Unseen(all); len(unseen) > 0 {
		slices.Sort(unseen)
		return fmt.Errorf("no test saw these routes answer with a documented success (add a test in the route's edge package that calls each one successfully): %v", unseen)
	}
	return nil
}
