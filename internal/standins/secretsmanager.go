package standins

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// SecretsManager is a stand-in for the one Secrets Manager call the functions make,
// GetSecretValue (JSON 1.1 protocol), answering from a fixed map of ARNs to values. The
// cold-start bench and tests use it; there is no Secrets Manager in local mode, which gives
// the functions APP_SECRET instead.
type SecretsManager struct {
	URL    string
	Calls  atomic.Int64
	server *httptest.Server
}

// NewSecretsManager serves values (ARN → secret string) on a free loopback port.
func NewSecretsManager(values map[string]string) (*SecretsManager, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sm := &SecretsManager{}
	sm.server = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Calls.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		var in struct{ SecretId string }
		if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/secretsmanager/aws4_request") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"MissingAuthenticationTokenException","message":"the request is not signed for secretsmanager (SigV4)"}`))
			return
		}
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"InvalidRequestException","message":"only GetSecretValue is served here"}`))
			return
		}
		v, ok := values[in.SecretId]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": "AppSecret", "SecretString": v, "VersionId": "v1", "CreatedDate": 1.7e9})
	})}}
	sm.server.Start()
	sm.URL = sm.server.URL
	return sm, nil
}

// Close stops the stand-in.
func (sm *SecretsManager) Close() { sm.server.Close() }
