// Command teststandins runs a command, make test's `go test ./...`, with stand-ins shared by
// every test binary it starts: it starts cognito-local, the SES stand-in and DynamoDB Locals
// once (package testenv/hub), names them to the tests in TESTENV_STANDINS, runs the command
// with its output passed through, and stops the stand-ins when it ends, also on Ctrl-C or
// SIGTERM. It exits with the command's exit code.
//
//	go run ./infra/teststandins go test -count=1 -timeout 30m ./...
//
// Without it each test binary starts its own stand-ins (seconds each, a JVM among them), as
// `go test` on one package does. STANDINS_LOG=1 copies the stand-ins' output to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/vendorportal/orgs/internal/testenv/hub"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: teststandins command [args...]   (e.g. go test ./...)")
		return 2
	}
	// From here on a Ctrl-C (the terminal sends it to the command too) or a SIGTERM stops
	// the command, and the stand-ins once it has ended.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)

	var log io.Writer
	if os.Getenv("STANDINS_LOG") != "" {
		log = os.Stderr
	}
	started := make(chan startResult, 1)
	go func() {
		// As many DynamoDB Locals serve at once as go test runs packages at once (-p's
		// default), each replaced after as many tables as a test binary's own would serve.
		h, err := hub.Start(context.Background(), hub.Options{
			Lanes: runtime.GOMAXPROCS(0), TablesPerLocal: hub.DefaultTablesPerLocal, Log: log,
		})
		started <- startResult{h, err}
	}()
	var h *hub.Hub
	select {
	case r := <-started:
		if r.err != nil {
			fmt.Fprintln(os.Stderr, "teststandins: the stand-ins did not start:", r.err)
			return 1
		}
		h = r.hub
	case sig := <-signals:
		fmt.Fprintf(os.Stderr, "teststandins: %v while the stand-ins started; stopping them\n", sig)
		if r := <-started; r.err == nil {
			stop(r.hub)
		}
		return 130
	}
	fmt.Fprintf(os.Stderr, "teststandins: the shared stand-ins took %s to start\n", h.Took.Round(time.Millisecond))
	defer func() {
		fmt.Fprintf(os.Stderr, "teststandins: %d DynamoDB Locals served the run\n", h.DynamoDBLocals())
		stop(h)
	}()

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), hub.Env+"="+h.URL)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "teststandins:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return exitCode(err)
		case sig := <-signals:
			// A Ctrl-C reached the command already (same process group); a SIGTERM sent to
			// this process alone is passed on.
			if sig == syscall.SIGTERM {
				_ = cmd.Process.Signal(sig)
			}
		}
	}
}

type startResult struct {
	hub *hub.Hub
	err error
}

func stop(h *hub.Hub) {
	if err := h.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "teststandins: stopping the stand-ins:", err)
	}
}

// exitCode is the command's exit code, 128+n if signal n ended it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return 128 + int(status.Signal())
		}
		return exit.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "teststandins:", err)
	return 1
}
