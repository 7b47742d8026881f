package standins

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// tailSize is how much of a stand-in's latest output is kept, and tailLines how many lines of
// it are quoted, when it fails.
const (
	tailSize  = 8 << 10
	tailLines = 20
)

// ansiEscape matches the colour codes cognito-local's logger writes even into a pipe.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// process is one running stand-in.
type process struct {
	name    string
	cmd     *exec.Cmd
	output  *tail
	logPath string // "" if the output goes to no file
	// exited is closed once the process has been waited for; err is Wait's result.
	exited chan struct{}
	err    error
}

// startProcess starts cmd in a process group of its own, so that stop can reach anything it
// starts in turn, with its output going to log, to the file logPath if not empty, and to a
// buffer that keeps the end of it.
func startProcess(name string, cmd *exec.Cmd, log *lineWriter, logPath string) (*process, error) {
	p := &process{name: name, cmd: cmd, output: &tail{}, logPath: logPath, exited: make(chan struct{})}

	writers := []io.Writer{p.output, log}
	var logFile *os.File
	if logPath != "" {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		logFile = f
		writers = append(writers, f)
	}
	// One writer for both streams: exec then copies them in a single goroutine.
	out := io.MultiWriter(writers...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// Kill the stand-in if this process dies without calling Stop (a crash, SIGKILL, a test
		// binary killed on timeout). Strictly the signal comes when the OS thread that started
		// the child exits; the Go runtime keeps its threads until the process ends, unless a
		// goroutine exits while locked to one, which nothing here does.
		Pdeathsig: syscall.SIGKILL,
	}
	// If something the stand-in started outlives it while holding its output pipe, Wait would
	// block on the pipe; this bounds that.
	cmd.WaitDelay = time.Second

	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		log.flush()
		if logFile != nil {
			logFile.Close()
		}
		close(p.exited)
	}()
	return p, nil
}

// stop ends the process group: SIGTERM, then SIGKILL if the stand-in is still there after
// stopGrace. It waits until the stand-in has exited.
func (p *process) stop() error {
	select {
	case <-p.exited:
	default:
		p.signalGroup(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(stopGrace):
			p.signalGroup(syscall.SIGKILL)
			select {
			case <-p.exited:
			case <-time.After(stopGrace):
				return fmt.Errorf("%s (pid %d) has not exited %s after SIGKILL", p.name, p.cmd.Process.Pid, stopGrace)
			}
		}
	}
	// Whatever the stand-in started and left behind in its group.
	p.signalGroup(syscall.SIGKILL)
	return nil
}

func (p *process) signalGroup(sig syscall.Signal) {
	// With Setpgid the group's ID is the leader's pid; a negative pid names the group. ESRCH
	// (nobody left in the group) is the expected outcome once all have exited.
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = p.cmd.Process.Signal(sig)
	}
}

// describeOutput points at the stand-in's log, quoting its end.
func (p *process) describeOutput() string {
	var b bytes.Buffer
	if p.logPath != "" {
		fmt.Fprintf(&b, "full log in %s; ", p.logPath)
	}
	output := strings.TrimSpace(ansiEscape.ReplaceAllString(string(p.output.bytes()), ""))
	if output == "" {
		b.WriteString("it wrote nothing")
		return b.String()
	}
	lines := strings.Split(output, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	fmt.Fprintf(&b, "its last output:\n%s", strings.Join(lines, "\n"))
	return b.String()
}

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

// logSink is the Options.Log writer shared by the stand-ins. Whole lines are written to it
// one at a time so that the stand-ins' output does not interleave mid-line.
type logSink struct {
	mu sync.Mutex
	w  io.Writer // nil discards
}

// prefixed returns a writer that writes to the sink, each line starting with "name: ".
func (s *logSink) prefixed(name string) *lineWriter {
	return &lineWriter{sink: s, prefix: []byte(name + ": ")}
}

// lineWriter buffers a partial line until its end arrives.
type lineWriter struct {
	sink    *logSink
	prefix  []byte
	partial []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	if w.sink.w == nil {
		return len(b), nil
	}
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.writeLine(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(b), nil
}

// flush writes a last line that did not end in a newline.
func (w *lineWriter) flush() {
	if len(w.partial) > 0 {
		w.writeLine(append(w.partial, '\n'))
		w.partial = nil
	}
}

func (w *lineWriter) writeLine(line []byte) {
	w.sink.mu.Lock()
	defer w.sink.mu.Unlock()
	// The error is dropped: returning it would stop exec copying the stand-in's output,
	// leaving it writing into a pipe nobody reads.
	_, _ = w.sink.w.Write(append(bytes.Clone(w.prefix), line...))
}
