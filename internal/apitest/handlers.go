package apitest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// DecodeBody decodes a JSON answer of the status into a T, failing the test on another
// status, another content type or a body that does not decode.
func DecodeBody[T any](t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) T {
	t.Helper()
	var v T
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	return v
}

// MeOut is the part of GET /v1/me's answer the tests read.
type MeOut struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	PersonalOrgID string `json:"personalOrgId"`
	Orgs          []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
		Role string `json:"role"`
	} `json:"orgs"`
}

// Answer is the answer of API.Invoke without its count of DynamoDB calls.
func Answer(resp events.APIGatewayV2HTTPResponse, _ int) events.APIGatewayV2HTTPResponse { return resp }
