package localmode_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestLocalModeServesTheDocumentAndBrowsableDocs(t *testing.T) {
	l := startLocal(t)
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(l.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	status, _, doc := get("/openapi.yaml")
	if status != 200 {
		t.Fatalf("/openapi.yaml: %d", status)
	}
	spec, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil || spec.Paths.Value("/v1/orgs") == nil {
		t.Fatalf("/openapi.yaml is not the API's document: %v", err)
	}
	// The test's server is on a random port, never the file's 8080: "Try it out" must call it.
	if len(spec.Servers) == 0 || spec.Servers[0].URL != l.srv.URL {
		t.Errorf("/openapi.yaml names the servers %v, want %s first", spec.Servers, l.srv.URL)
	}
	status, ctype, page := get("/docs")
	if status != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(page, `url: "/openapi.yaml"`) {
		t.Fatalf("/docs: %d %s %.200s", status, ctype, page)
	}
	for _, asset := range []string{"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} {
		if status, _, body := get(asset); status != 200 || len(body) < 1000 {
			t.Errorf("%s: %d, %d bytes (served from node_modules/swagger-ui-dist)", asset, status, len(body))
		}
	}
	if status, _, _ := get("/v1/config"); status != 200 {
		t.Errorf("the API behind the docs: /v1/config answered %d", status)
	}
}
