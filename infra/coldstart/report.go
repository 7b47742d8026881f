package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type reportInfo struct {
	hostArch     string
	rounds       int
	wanted       int
	seed         uint64
	hostHelloRaw int64
	hostHelloZip int64
	load         string // 1-minute load average around the init runs
}

// report writes the markdown table and the notes under it.
func report(b *strings.Builder, all []*function, info reportInfo) {
	hello := all[0]
	helloMed, _ := stats(hello.samples)

	fmt.Fprintf(b, "## Package size and cold start against a hello world\n\n")
	fmt.Fprintf(b, "- size: linux/%s (the deployment target), bootstrap zipped with archive/zip, Deflate at zlib's default level 6 (as zip(1))\n", sizeArch)
	fmt.Fprintf(b, "- init: **linux/%s (this host)**, time from exec to the first `GET /next` at a Runtime API stand-in on 127.0.0.1; "+
		"%d rounds (of %d asked), each starting every binary once in random order (seed %d); %d CPUs, load average %s\n",
		info.hostArch, info.rounds, info.wanted, info.seed, runtime.NumCPU(), info.load)
	fmt.Fprintf(b, "- build: `CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'`, %s\n", runtime.Version())
	fmt.Fprintf(b, "- targets: zip ≤ %.1f× and init median ≤ %.1f× the hello world's; ❌ marks a value over its target\n\n", sizeTarget, initTarget)

	fmt.Fprintln(b, "| function | arm64 zip bytes | × hello | init median ms | p90 | × hello |")
	fmt.Fprintln(b, "|---|--:|--:|--:|--:|--:|")
	var overSize, overInit, broken []string
	for _, f := range all {
		name := f.name
		if f.ref {
			name += " (reference)"
		}
		if f.buildErr != "" {
			fmt.Fprintf(b, "| %s | build failed | | | | |\n", name)
			broken = append(broken, fmt.Sprintf("%s: %s", f.name, f.buildErr))
			continue
		}
		sizeRatio := float64(f.zipBytes) / float64(hello.zipBytes)
		sizeCell := ratioCell(sizeRatio, sizeTarget)
		if sizeRatio > sizeTarget {
			overSize = append(overSize, fmt.Sprintf("%s %.2f×", f.name, sizeRatio))
		}
		med, p90, initCell := "–", "–", "init failed"
		if len(f.samples) > 0 {
			m, p := stats(f.samples)
			r := float64(m) / float64(helloMed)
			med, p90, initCell = ms(m), ms(p), ratioCell(r, initTarget)
			if r > initTarget {
				overInit = append(overInit, fmt.Sprintf("%s %.2f×", f.name, r))
			}
		}
		if f.initErr != "" {
			broken = append(broken, fmt.Sprintf("%s: init: %s", f.name, f.initErr))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, thousands(f.zipBytes), sizeCell, med, p90, initCell)
	}

	// para starts a paragraph: one blank line after what is there.
	para := func(format string, args ...any) {
		if !strings.HasSuffix(b.String(), "\n\n") {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, format+"\n", args...)
	}
	if len(overSize) == 0 && len(overInit) == 0 {
		para("All functions are within both targets.")
	}
	if len(overSize) > 0 {
		para("**Over the size target (> %.1f×):** %s", sizeTarget, strings.Join(overSize, ", "))
	}
	if len(overInit) > 0 {
		para("**Over the init target (> %.1f×):** %s", initTarget, strings.Join(overInit, ", "))
	}
	for i, s := range broken {
		if i == 0 {
			para("- ⚠ %s", s)
		} else {
			fmt.Fprintf(b, "- ⚠ %s\n", s)
		}
	}
	// CPU time is a check on the wall times: it moves less when the machine is busy.
	if helloCPU, _ := stats(hello.cpu); helloCPU > 0 {
		var parts []string
		for _, f := range all[1:] {
			if len(f.cpu) > 0 {
				m, _ := stats(f.cpu)
				parts = append(parts, fmt.Sprintf("%s %.2f×", f.name, float64(m)/float64(helloCPU)))
			}
		}
		para("Init CPU time (user+sys of the process up to its first /next, all threads; less sensitive to the machine's load than wall time): "+
			"hello world median %s ms; medians × hello: %s.", ms(helloCPU), strings.Join(parts, ", "))
	}
	para("Hello world: linux/%s bootstrap %s bytes, zip %s; linux/%s bootstrap %s bytes, zip %s.",
		sizeArch, thousands(hello.rawBytes), thousands(hello.zipBytes), info.hostArch, thousands(info.hostHelloRaw), thousands(info.hostHelloZip))
	fmt.Fprintln(b, "The init times are this host's, not Lambda's (a hello world inits in ~41–44 ms on arm64 there); "+
		"the ratios are what the target compares. On a shared machine they move with its load by ±0.1× or so: compare the medians of one run, not across runs.")
}

func ratioCell(r, target float64) string {
	s := fmt.Sprintf("%.2f×", r)
	if r > target {
		return "**" + s + "** ❌"
	}
	return s
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}
