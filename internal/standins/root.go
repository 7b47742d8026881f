package standins

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// RepoRoot returns the module root: the nearest directory at or above the working directory
// that holds both go.mod and package.json. The stand-ins are npm packages pinned in that
// package.json, so it also checks that node_modules has been installed.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if isFile(filepath.Join(dir, "go.mod")) && isFile(filepath.Join(dir, "package.json")) {
			if !isDir(filepath.Join(dir, "node_modules")) {
				return "", fmt.Errorf("%s has no node_modules: the local AWS stand-ins are npm packages; run `npm ci` in %s", dir, dir)
			}
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("find repository root: no directory at or above " + wd + " holds both go.mod and package.json")
		}
	}
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
