package routes_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/httpapi/apitest"
)

// TestMain runs the tests of the whole table: each route's happy path is held to the document
// by its edge package's tests (apitest.Main there).
func TestMain(m *testing.M) { apitest.Main(m, nil) }
