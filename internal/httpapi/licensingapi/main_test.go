package licensingapi_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/httpapi/apitest"
	"github.com/vendorportal/orgs/internal/routes"
)

func TestMain(m *testing.M) { apitest.Main(m, routes.Of("httpapi/licensingapi")) }
