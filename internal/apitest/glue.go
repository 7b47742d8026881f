package apitest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vendorportal/orgs/internal/httpapi"
)

func ErrorCode(t *testing.T, resp events.APIGatewayV2HTTPResponse) (string, string) {
	t.Helper()
	var b httpapi.ErrorBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("error body %q: %v", resp.Body, err)
	}
	return b.Error.Code, b.Error.Message
}
