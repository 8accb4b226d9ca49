package main

import (
	"fmt"
	"io"
	"os"

	vm "github.com/VictoriaMetrics/metrics"
	gometrics "github.com/armon/go-metrics"

	"burndown/telemetry"
	"burndown/version"
)

// newTelemetry makes the node's series and points the process-wide hooks at
// them: raft emits its metrics through go-metrics' global sink, and the
// metrics library writes HELP and TYPE lines only when told to globally.
// Both globals belong to the process, so they are set here, in main's
// package, once per serve.
func newTelemetry() (*telemetry.Metrics, error) {
	b := version.Info()
	m := telemetry.New(version.Release, b.GoVersion)
	vm.ExposeMetadata(true)
	if _, err := gometrics.NewGlobal(telemetry.RaftSinkConfig(), telemetry.RaftSink(m)); err != nil {
		return nil, fmt.Errorf("raft metrics: %w", err)
	}
	return m, nil
}

// openAccessLog opens --access-log: "-" is standard output, anything else a
// file opened for appending (created with mode 0640). The returned close
// function closes the file, not standard output.
func openAccessLog(path string, stdout io.Writer) (io.Writer, func() error, error) {
	switch path {
	case "":
		return nil, func() error { return nil }, nil
	case "-":
		return stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("--access-log: %w", err)
	}
	return f, f.Close, nil
}
