package rolesapi_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
	"github.com/vendorportal/orgs/internal/routes"
)

// TestMain holds the package's reading routes to the document (apitest.Main); the mutating
// ones are the route table's (internal/routes).
func TestMain(m *testing.M) { apitest.Main(m, apitest.Reading(routes.Of("httpapi/rolesapi"))) }
