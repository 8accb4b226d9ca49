package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// benchBinary is the name of the bench harness's binary (cmd/burndown-bench).
const benchBinary = "burndown-bench"

// exitCode is an error that carries a child's exit status: main exits with it
// and prints nothing (the child has spoken for itself).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// benchCmd runs `burndown bench ...`: the harness is a binary of its own, so
// that this one links none of its clients (pgx, go-redis, HdrHistogram). It runs
// burndown-bench from next to this executable, else from PATH, with args and
// stdio passed through, and exits with its status.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	bin, err := findBench()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// On Ctrl-C the child has its own signal; on a cancelled context ask it
	// to stop as a signal would, so it can write its report.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return exitCode(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// findBench returns the burndown-bench binary next to this executable, else
// the one on PATH, else an error saying how to build it.
func findBench() (string, error) {
	dir := "<dir>"
	if exe, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		dir = filepath.Dir(exe)
		p := filepath.Join(dir, benchBinary)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(benchBinary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("bench: the bench harness is a separate binary and no %s was found next to this one (%s) or on PATH; "+
		"build it with `go build -o %s ./cmd/burndown-bench` from the source tree, or run it there with `go run ./cmd/burndown-bench [flags]`",
		benchBinary, dir, filepath.Join(dir, benchBinary))
}
