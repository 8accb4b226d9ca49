package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burndown/version"
)

// `burndown version` and `burndown --version` print the release and build.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{arg}, &stdout, &stderr); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if got := stdout.String(); !strings.HasPrefix(got, "burndown "+version.Release) || !strings.HasSuffix(got, "\n") {
			t.Errorf("%s printed %q, want burndown %s ...", arg, got, version.Release)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "version") {
		t.Errorf("usage does not list version: %v %q", err, stdout.String())
	}
}

// `burndown bench` runs the burndown-bench found on PATH (a test binary has
// none next to it) with the arguments and output passed through, and exits
// with its status.
func TestBenchRunsTheHarnessBinary(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"bench got: $*\"\necho oops >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, benchBinary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--scenario", "gateway", "--duration", "1s"}, &stdout, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 3 {
		t.Errorf("err = %v, want the harness's exit status 3", err)
	}
	if got, want := stdout.String(), "bench got: --scenario gateway --duration 1s\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got := stderr.String(); got != "oops\n" {
		t.Errorf("stderr = %q", got)
	}
}

// With no burndown-bench anywhere, `burndown bench` fails and says how to
// build the harness.
func TestBenchWithoutHarnessSaysHowToBuildIt(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench"}, &stdout, &stderr)
	if err == nil {
		t.Fatal("bench without a harness binary succeeded")
	}
	for _, want := range []string{"go build -o", "./cmd/burndown-bench", "go run ./cmd/burndown-bench"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
