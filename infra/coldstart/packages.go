package main

import (
	"context"
	"debug/elf"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

const modulePath = "github.com/vendorportal/orgs"

// packageBreakdown builds the biggest function and the hello world for linux/arm64 without
// -s -w, and writes the packages that account for the difference in symbol bytes.
func packageBreakdown(ctx context.Context, b *strings.Builder, root, tmp string, all []*function, rows int) error {
	hello := all[0]
	var big *function
	for _, f := range all[1:] {
		if f.buildErr == "" && (big == nil || f.zipBytes > big.zipBytes) {
			big = f
		}
	}
	if big == nil {
		return nil
	}
	logf("building %s and the hello world unstripped for the package breakdown ...", big.name)
	dir := filepath.Join(tmp, "unstripped") + string(filepath.Separator)
	if err := goBuild(ctx, root, sizeArch, buildArgs(false, dir, hello.pkg, big.pkg)); err != nil {
		return err
	}
	fnSyms, err := symbolBytes(filepath.Join(dir, filepath.Base(big.pkg)))
	if err != nil {
		return err
	}
	helloSyms, err := symbolBytes(filepath.Join(dir, filepath.Base(hello.pkg)))
	if err != nil {
		return err
	}

	type row struct {
		name      string
		fn, hello int64
	}
	diff := func(m map[string]row) []row {
		var rs []row
		for _, r := range m {
			rs = append(rs, r)
		}
		sort.Slice(rs, func(i, j int) bool {
			di, dj := rs[i].fn-rs[i].hello, rs[j].fn-rs[j].hello
			if di != dj {
				return di > dj
			}
			return rs[i].name < rs[j].name
		})
		return rs
	}
	pkgs := map[string]row{}
	groups := map[string]row{}
	var fnTotal, helloTotal int64
	add := func(syms map[string]int64, isFn bool) {
		for pkg, n := range syms {
			p, g := pkgs[pkg], groups[packageGroup(pkg)]
			p.name, g.name = pkg, packageGroup(pkg)
			if isFn {
				p.fn += n
				g.fn += n
				fnTotal += n
			} else {
				p.hello += n
				g.hello += n
				helloTotal += n
			}
			pkgs[pkg], groups[g.name] = p, g
		}
	}
	add(fnSyms, true)
	add(helloSyms, false)

	fmt.Fprintf(b, "\n## What %s links beyond the hello world\n\n", big.name)
	fmt.Fprintf(b, "The biggest function (%s bytes zipped). Symbol bytes in the file (text, rodata, data; not bss) of unstripped linux/%s builds, "+
		"read from the ELF symbol table like `go tool nm -size` and grouped by package; the bytes no symbol names are put in the container they lie in; "+
		"%s counts %s, the hello world %s. The linker's tables (pclntab, funcdata, type and string data) grow with the code and are listed as their own rows.\n\n",
		thousands(big.zipBytes), sizeArch, big.name, thousands(fnTotal), thousands(helloTotal))
	fmt.Fprintln(b, "| group | function | hello world | + bytes |")
	fmt.Fprintln(b, "|---|--:|--:|--:|")
	for _, r := range diff(groups) {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r.name, thousands(r.fn), thousands(r.hello), signed(r.fn-r.hello))
	}
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| package | function | hello world | + bytes |")
	fmt.Fprintln(b, "|---|--:|--:|--:|")
	var rest row
	for i, r := range diff(pkgs) {
		if i < rows {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r.name, thousands(r.fn), thousands(r.hello), signed(r.fn-r.hello))
			continue
		}
		rest.fn += r.fn
		rest.hello += r.hello
	}
	fmt.Fprintf(b, "| (all other packages) | %s | %s | %s |\n", thousands(rest.fn), thousands(rest.hello), signed(rest.fn-rest.hello))

	var linked []string
	for p, r := range pkgs {
		if r.fn > 0 && (strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2/service/") || strings.HasPrefix(p, modulePath+"/")) &&
			!strings.Contains(p, "/internal/endpoints") {
			linked = append(linked, strings.TrimPrefix(strings.TrimPrefix(p, "github.com/aws/aws-sdk-go-v2/"), modulePath+"/"))
		}
	}
	sort.Strings(linked)
	fmt.Fprintf(b, "\nAWS service and project packages in %s: %s.\n", big.name, strings.Join(linked, ", "))
	return nil
}

// containers are the size-0 symbols that mark where the linker puts data it does not name
// symbol by symbol; the bytes up to the next symbol are theirs.
var containers = map[string]string{
	"runtime.pclntab":  "(pclntab)",
	"type:*":           "(type data)",
	"go:string.*":      "(string data)",
	"go:funcdesc":      "(funcdata)",
	"runtime.gcbits.*": "(gc bitmaps)",
}

// symbolBytes returns, by package, the bytes of an ELF file's loadable sections (not bss):
// each symbol's size, and the bytes no sized symbol covers, by the container they lie in.
func symbolBytes(path string) (map[string]int64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %w (built with -s?)", path, err)
	}
	bySection := make([][]elf.Symbol, len(f.Sections))
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && int(s.Section) < len(f.Sections) {
			bySection[s.Section] = append(bySection[s.Section], s)
		}
	}
	out := map[string]int64{}
	for i, sec := range f.Sections {
		if sec.Type == elf.SHT_NOBITS || sec.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		ss := bySection[i]
		sort.SliceStable(ss, func(a, b int) bool { return ss[a].Value < ss[b].Value })
		cursor, end := sec.Addr, sec.Addr+sec.Size
		marker := "(" + sec.Name + ")"
		gap := func(to uint64) {
			if to = min(to, end); to > cursor {
				out[marker] += int64(to - cursor)
				cursor = to
			}
		}
		for _, s := range ss {
			gap(s.Value)
			if s.Size == 0 {
				if label, ok := containers[s.Name]; ok {
					marker = label
				}
				continue
			}
			out[symbolPackage(s.Name)] += int64(s.Size)
			cursor = max(cursor, s.Value+s.Size)
		}
		gap(end)
	}
	return out, nil
}

// symbolPackage returns the import path of the package a Go symbol belongs to, or a label in
// parentheses for the linker's shared tables.
func symbolPackage(name string) string {
	if name == "runtime.findfunctab" {
		return "(pclntab)"
	}
	switch {
	case strings.HasPrefix(name, "go:itab."):
		// go:itab.<concrete type>,<interface>: the concrete type's package.
		name = strings.TrimLeft(strings.TrimPrefix(name, "go:itab."), "*")
		if i := strings.IndexByte(name, ','); i >= 0 {
			name = name[:i]
		}
	case strings.HasPrefix(name, "go:func."):
		return "(funcdata)"
	case strings.HasPrefix(name, "go:string."):
		return "(string data)"
	case strings.HasPrefix(name, "go:"):
		return "(linker tables)"
	case strings.HasPrefix(name, "type:"):
		name = strings.TrimPrefix(name, "type:")
		for _, p := range []string{".eq.", ".hash.", "*"} {
			name = strings.TrimPrefix(name, p)
		}
		if name == "" || !isLetter(name[0]) {
			return "(type data)"
		}
	}
	// The path ends at the first dot after its last slash; a receiver "(*T)", type arguments
	// "[...]" or an inlined callee's name may follow and hold slashes of their own.
	if i := strings.IndexAny(name, "(["); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return name
	}
	return name[:slash+1+dot]
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// packageGroup rolls a package up into who owns it.
func packageGroup(pkg string) string {
	switch {
	case strings.HasPrefix(pkg, "("):
		return "linker tables (pclntab, funcdata, type and string data)"
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas"):
		return "aws-sdk-go-v2 DynamoDB schemas"
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/"):
		svc := strings.TrimPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/")
		if i := strings.IndexByte(svc, '/'); i >= 0 {
			svc = svc[:i]
		}
		if svc == "internal" {
			return "aws-sdk-go-v2 core, smithy-go"
		}
		return "aws-sdk-go-v2 service " + svc
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2"), strings.HasPrefix(pkg, "github.com/aws/smithy-go"):
		return "aws-sdk-go-v2 core, smithy-go"
	case strings.HasPrefix(pkg, "github.com/aws/aws-lambda-go"):
		return "aws-lambda-go"
	case pkg == "main", pkg == modulePath, strings.HasPrefix(pkg, modulePath+"/"):
		return "this module"
	case !strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		return "Go standard library"
	default:
		return "other modules"
	}
}

func signed(n int64) string {
	if n > 0 {
		return "+" + thousands(n)
	}
	return thousands(n)
}
