package secrets

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestStringSendsASignedGetSecretValue: the request is what Secrets Manager's JSON protocol
// expects, signed for the secretsmanager service in the configured region.
func TestStringSendsASignedGetSecretValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in map[string]string
		_ = json.Unmarshal(body, &in)
		auth := r.Header.Get("Authorization")
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
			r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
			!strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(auth, "/eu-west-1/secretsmanager/aws4_request") ||
			r.Header.Get("X-Amz-Security-Token") != "session" || r.Header.Get("X-Amz-Content-Sha256") == "" && r.Header.Get("X-Amz-Date") == "" {
			t.Errorf("request %s %v", r.Method, r.Header)
		}
		if in["SecretId"] == "missing" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`))
			return
		}
		_, _ = w.Write([]byte(`{"ARN":"arn","Name":"k","SecretString":"value of ` + in["SecretId"] + `"}`))
	}))
	defer srv.Close()
	r := &Reader{
		Config:   aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "session")},
		Endpoint: srv.URL,
	}
	got, err := r.String(context.Background(), "arn:aws:secretsmanager:eu-west-1:1:secret:k")
	if err != nil || got != "value of arn:aws:secretsmanager:eu-west-1:1:secret:k" {
		t.Fatalf("String = %q, %v", got, err)
	}
	if _, err := r.String(context.Background(), "missing"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("missing secret: %v; want the error type", err)
	}
}
