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
}

// report writes the markdown table and the notes under it.
func report(b *strings.Builder, all []*function, info reportInfo) {
	hello := all[0]
	helloMed, _ := stats(hello.samples)

	fmt.Fprintf(b, "## Package size and cold start against a hello world\n\n")
	fmt.Fprintf(b, "- size: linux/%s (the deployment target), bootstrap zipped with archive/zip, Deflate at zlib's default level 6 (as zip(1))\n", sizeArch)
	fmt.Fprintf(b, "- init: **linux/%s (this host)**, time from exec to the first `GET /next` at a Runtime API stand-in on 127.0.0.1; "+
		"%d rounds (of %d asked), each starting every binary once in random order (seed %d); %d CPUs\n",
		info.hostArch, info.rounds, info.wanted, info.seed, runtime.NumCPU())
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

	fmt.Fprintln(b)
	switch {
	case len(overSize) == 0 && len(overInit) == 0:
		fmt.Fprintln(b, "All functions are within both targets.")
	default:
		if len(overSize) > 0 {
			fmt.Fprintf(b, "**Over the size target (> %.1f×):** %s\n\n", sizeTarget, strings.Join(overSize, ", "))
		}
		if len(overInit) > 0 {
			fmt.Fprintf(b, "**Over the init target (> %.1f×):** %s\n\n", initTarget, strings.Join(overInit, ", "))
		}
	}
	for _, s := range broken {
		fmt.Fprintf(b, "- ⚠ %s\n", s)
	}
	fmt.Fprintf(b, "\nHello world: linux/%s bootstrap %s bytes, zip %s; linux/%s bootstrap %s bytes, zip %s.\n",
		sizeArch, thousands(hello.rawBytes), thousands(hello.zipBytes), info.hostArch, thousands(info.hostHelloRaw), thousands(info.hostHelloZip))
	fmt.Fprintln(b, "The init times are this host's, not Lambda's (there a hello world inits in ~40 ms on arm64); the ratios are what the target compares.")
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
