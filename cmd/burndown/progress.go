package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports a transfer on w: bytes, rate and, when the size is
// known, percent. On a terminal it rewrites one line in place a few times a
// second; elsewhere (a log, a pipe) it writes a line every few seconds.
type progress struct {
	w         io.Writer
	what      string
	total     int64 // <0: unknown
	tty       bool
	n         int64
	start     time.Time
	lastPrint time.Time
}

func newProgress(w io.Writer, what string, total int64) *progress {
	now := time.Now()
	return &progress{w: w, what: what, total: total, tty: isTerminal(w), start: now, lastPrint: now}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// add counts n more bytes and prints when it is time to.
func (p *progress) add(n int) {
	p.n += int64(n)
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now := time.Now(); now.Sub(p.lastPrint) >= every {
		p.lastPrint = now
		p.print("")
	}
}

// done prints the final line.
func (p *progress) done() { p.print("\n") }

func (p *progress) print(end string) {
	secs := time.Since(p.start).Seconds()
	line := fmt.Sprintf("%s: %s", p.what, mb(p.n))
	if p.total >= 0 {
		pct := 100.0
		if p.total > 0 {
			pct = 100 * float64(p.n) / float64(p.total)
		}
		line += fmt.Sprintf(" of %s (%.0f%%)", mb(p.total), pct)
	}
	if secs > 0 {
		line += fmt.Sprintf(", %s/s, %.1fs", mb(int64(float64(p.n)/secs)), secs)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s%s", line, end)
		return
	}
	fmt.Fprintln(p.w, line)
}

// mb writes a byte count in MB (10^6 bytes).
func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// progressReader counts what is read through it.
type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}
