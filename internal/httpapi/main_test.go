package httpapi_test

import (
	"testing"

	"github.com/vendorportal/orgs/internal/apitest"
)

func TestMain(m *testing.M) { apitest.Main(m, nil) }
