package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// lambdaFlags are the go build flags of `make build`, less -ldflags (see buildArgs).
var lambdaFlags = []string{"-tags", "lambda.norpc", "-trimpath"}

// buildArgs returns the go build arguments; stripped is `make build`'s -ldflags='-s -w'.
func buildArgs(stripped bool, out string, pkgs ...string) []string {
	args := append([]string{"build"}, lambdaFlags...)
	if stripped {
		args = append(args, "-ldflags=-s -w")
	}
	args = append(args, "-o", out)
	return append(args, pkgs...)
}

// goBuild runs go build in root for linux/arch with CGO disabled.
func goBuild(ctx context.Context, root, arch string, args []string) error {
	cmd := exec.CommandContext(ctx, goCmd(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// buildAll builds every function into dir/<package base name>/bootstrap, in one go build if it
// can; if that fails, one by one, recording each failure on its function.
func buildAll(ctx context.Context, root, arch, dir string, fns []*function) {
	bins := filepath.Join(dir, ".bin")
	seen := map[string]bool{}
	var pkgs []string
	for _, f := range fns {
		if f.buildErr != "" {
			continue
		}
		base := filepath.Base(f.pkg)
		if seen[base] {
			f.buildErr = "its package's base name " + base + " is taken by another binary"
			continue
		}
		seen[base] = true
		pkgs = append(pkgs, f.pkg)
	}
	place := func(f *function) {
		base := filepath.Base(f.pkg)
		if err := os.MkdirAll(filepath.Join(dir, base), 0o755); err != nil {
			f.buildErr = err.Error()
			return
		}
		if err := os.Rename(filepath.Join(bins, base), filepath.Join(dir, base, "bootstrap")); err != nil {
			f.buildErr = err.Error()
		}
	}
	if err := goBuild(ctx, root, arch, buildArgs(true, bins+string(filepath.Separator), pkgs...)); err == nil {
		for _, f := range fns {
			if f.buildErr == "" {
				place(f)
			}
		}
		return
	}
	logf("  the combined build failed; building one by one")
	for _, f := range fns {
		if f.buildErr != "" {
			continue
		}
		if err := goBuild(ctx, root, arch, buildArgs(true, bins+string(filepath.Separator), f.pkg)); err != nil {
			f.buildErr = fmt.Sprintf("linux/%s build: %s", arch, firstLines(err.Error(), 3))
			logf("  %s: %s", f.name, f.buildErr)
			continue
		}
		place(f)
	}
}

// zipSize returns the size of the file at path and of a zip holding it as "bootstrap", made
// like a Lambda deployment package: Deflate at zlib's default level (as zip(1) uses), mode
// 0755.
func zipSize(path string) (raw, zipped int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, 0, err
	}
	if _, err := io.Copy(w, f); err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	return st.Size(), int64(buf.Len()), nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " ")
}
