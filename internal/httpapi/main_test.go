package httpapi_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/httpapi/apitest"
)

func TestMain(m *testing.M) { apitest.Main(m, nil) }
