package httpapi

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/vendorportal/orgs/internal/apidoc"
	"github.com/vendorportal/orgs/internal/testenv"
)

// contract is openapi.yaml: every answer a route of the table gives in these tests is held to
// it (harness: api.call), and a full run fails when a route was never seen answering with a
// documented success.
var contract *apidoc.Doc

func TestMain(m *testing.M) {
	var err error
	if contract, err = apidoc.LoadFromRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testenv.Main(m, checkEveryRouteSeen)
}

// checkEveryRouteSeen fails a full run (no -run, no -short) in which some route of the table
// never answered with a documented success: each route needs a test showing its happy path
// matches the document.
func checkEveryRouteSeen() error {
	if f := flag.Lookup("test.run"); f == nil || f.Value.String() != "" || testing.Short() {
		return nil
	}
	var all []string
	for _, r := range Routes() {
		all = append(all, r.Method+" "+r.Path)
	}
	if unseen := contract.Unseen(all); len(unseen) > 0 {
		slices.Sort(unseen)
		return fmt.Errorf("no test saw these routes answer with a documented success (add a test in internal/httpapi that calls each one successfully): %v", unseen)
	}
	return nil
}
