package repocheck

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binaryFormats are the executable headers refused whatever a file's name: ELF, Mach-O (both
// byte orders, 32 and 64 bits, and universal), PE/COFF (its DOS stub) and WebAssembly.
var binaryFormats = [][]byte{
	[]byte("\x7fELF"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xce, 0xfa, 0xed, 0xfe},
	{0xfe, 0xed, 0xfa, 0xcf}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
	[]byte("MZ"),
	[]byte("\x00asm"),
}

// binaryExtensions may hold non-text data (a NUL byte), as long as it is not an executable.
var binaryExtensions = map[string]bool{".png": true, ".jpg": true, ".gif": true, ".ico": true, ".xlsx": true}

// binaryReason says why a file's first bytes make it a binary, or "" for a text file.
func binaryReason(name string, head []byte) string {
	for _, magic := range binaryFormats {
		if bytes.HasPrefix(head, magic) {
			return "an executable's header"
		}
	}
	if !binaryExtensions[strings.ToLower(filepath.Ext(name))] && bytes.IndexByte(head, 0) >= 0 {
		return "a NUL byte, and an extension not allowed to hold binary data"
	}
	return ""
}

func TestNoBinaryIsCommitted(t *testing.T) {
	root := root(t)
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed only %d files", len(files))
	}
	for _, name := range files {
		f, err := os.Open(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 8000) // what git itself reads to call a file binary
		n, err := io.ReadFull(f, head)
		f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if why := binaryReason(name, head[:n]); why != "" {
			t.Errorf("%s is committed and has %s: remove it from git (build outputs are ignored in .gitignore)", name, why)
		}
	}
}

func TestBinaryReasonKnowsTheFormats(t *testing.T) {
	for _, c := range []struct {
		name   string
		head   []byte
		binary bool
	}{
		{"local", []byte("\x7fELF\x02\x01\x01"), true},
		{"tool", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, true},
		{"tool.exe", []byte("MZ\x90\x00"), true},
		{"logo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), false},
		{"data.bin", []byte("abc\x00def"), true},
		{"main.go", []byte("package main\n"), false},
		{"empty", nil, false},
	} {
		if got := binaryReason(c.name, c.head) != ""; got != c.binary {
			t.Errorf("binaryReason(%q) binary = %v, want %v", c.name, got, c.binary)
		}
	}
}
