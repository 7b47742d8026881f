package localmode

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vendorportal/orgs/internal/apidoc"
	"github.com/vendorportal/orgs/internal/standins"
)

// docsPage is Swagger UI (npm swagger-ui-dist, pinned in package.json and served from
// node_modules: no CDN) showing /openapi.yaml, with "Try it out" against this server.
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Organizations API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#swagger-ui", deepLinking: true});
</script>
</body>
</html>
`

// withDocs serves the API's OpenAPI document at /openapi.yaml and browsable docs at /docs in
// front of api; every other path goes to api. The document is read from the module root at
// each request, so an edit shows on reload, and names the address it was fetched from as its
// server, so that "Try it out" calls this API whatever its PORT.
func withDocs(api http.Handler) http.Handler {
	root, err := standins.RepoRoot()
	if err != nil {
		return api
	}
	assets := http.StripPrefix("/docs/", http.FileServer(http.Dir(filepath.Join(root, "node_modules", "swagger-ui-dist"))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			api.ServeHTTP(w, r)
		case r.URL.Path == "/openapi.yaml":
			b, err := os.ReadFile(filepath.Join(root, apidoc.FileName))
			if err != nil {
				http.Error(w, "openapi.yaml: "+err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
			_, _ = w.Write(withServer(b, "http://"+r.Host))
		case r.URL.Path == "/docs" || r.URL.Path == "/docs/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(docsPage))
		case strings.HasPrefix(r.URL.Path, "/docs/"):
			assets.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// withServer returns the OpenAPI document doc with base as the URL of its first server (the
// file names local mode's default address).
func withServer(doc []byte, base string) []byte {
	first := regexp.MustCompile(`(?m)^(servers:\r?\n\s*-\s*url:\s*)\S+`)
	loc := first.FindSubmatchIndex(doc)
	if loc == nil {
		return doc
	}
	out := append([]byte{}, doc[:loc[3]]...)
	out = append(out, base...)
	return append(out, doc[loc[1]:]...)
}
