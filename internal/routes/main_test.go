package routes_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/routes"
)

// TestMain runs the tests of the whole table, whose completeness test calls every mutating
// route: a full run fails when one of them never answered with a documented success. Each
// edge package's tests answer for its reading routes (apitest.Reading).
func TestMain(m *testing.M) { apitest.Main(m, apitest.Mutating(routes.All())) }
