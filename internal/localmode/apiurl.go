package localmode

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vendorportal/orgs/internal/standins"
)

// DefaultPort is the local API's port when PORT is not set.
const DefaultPort = "8080"

// APIURLFile is the file under the data directory (.local) where `make run` writes the base
// URL it serves while it runs, so that the local tools find a non-default PORT by themselves.
const APIURLFile = "api-url"

// DefaultAPI is the local API's base URL for the tools (localuser, invoke, demo), the one
// setting they all honour: http://127.0.0.1:$PORT when PORT is set, else what a running
// `make run` wrote into .local/api-url (LOCAL_DIR/api-url), else http://127.0.0.1:8080.
func DefaultAPI() string {
	if port := os.Getenv("PORT"); port != "" {
		return "http://127.0.0.1:" + port
	}
	dir := os.Getenv("LOCAL_DIR")
	if root, err := standins.RepoRoot(); dir == "" && err == nil {
		dir = filepath.Join(root, ".local")
	}
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, APIURLFile)); err == nil {
			if u := strings.TrimSpace(string(b)); u != "" {
				return u
			}
		}
	}
	return "http://127.0.0.1:" + DefaultPort
}

// WriteAPIURL records the base URL `make run` serves in dataDir, for DefaultAPI; the returned
// function removes it again if it still holds that URL (a later `make run` may have written
// its own).
func WriteAPIURL(dataDir, url string) (remove func(), err error) {
	path := filepath.Join(dataDir, APIURLFile)
	if err := os.WriteFile(path, []byte(url+"\n"), 0o644); err != nil {
		return nil, err
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == url {
			_ = os.Remove(path) // at worst the tools find a stale URL and say the API is not up
		}
	}, nil
}
