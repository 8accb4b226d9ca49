package cluster

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// slogTrace is the slog level raft's TRACE lines map to, below Debug.
const slogTrace = slog.LevelDebug - 4

// raftLogger is the hclog.Logger raft, its transport and its stores write
// to: each line goes to the node's slog logger at the level raft gave it
// (TRACE below DEBUG, then DEBUG, INFO, WARN, ERROR), with raft's key-value
// pairs as attributes, so --log-level warn keeps raft's warnings and errors
// and drops the rest, and --log-format json formats them like every line.
type raftLogger struct {
	log  *slog.Logger
	name string
	args []any
}

var _ hclog.Logger = (*raftLogger)(nil)

// newRaftLogger returns raft's logger over l, named "raft".
func newRaftLogger(l *slog.Logger) hclog.Logger {
	return &raftLogger{log: l, name: "raft"}
}

// slogLevel maps an hclog level onto slog's.
func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slogTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// enabled reports whether the node's logger writes lines of level.
func (r *raftLogger) enabled(level hclog.Level) bool {
	return r.log.Enabled(context.Background(), slogLevel(level))
}

// Log writes one line at level, with the logger's implied arguments.
func (r *raftLogger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || !r.enabled(level) {
		return
	}
	attrs := make([]any, 0, 2+len(r.args)+len(args))
	attrs = append(attrs, "logger", r.name)
	attrs = append(append(attrs, r.args...), args...)
	r.log.Log(context.Background(), slogLevel(level), msg, attrs...)
}

func (r *raftLogger) Trace(msg string, args ...any) { r.Log(hclog.Trace, msg, args...) }
func (r *raftLogger) Debug(msg string, args ...any) { r.Log(hclog.Debug, msg, args...) }
func (r *raftLogger) Info(msg string, args ...any)  { r.Log(hclog.Info, msg, args...) }
func (r *raftLogger) Warn(msg string, args ...any)  { r.Log(hclog.Warn, msg, args...) }
func (r *raftLogger) Error(msg string, args ...any) { r.Log(hclog.Error, msg, args...) }

func (r *raftLogger) IsTrace() bool { return r.enabled(hclog.Trace) }
func (r *raftLogger) IsDebug() bool { return r.enabled(hclog.Debug) }
func (r *raftLogger) IsInfo() bool  { return r.enabled(hclog.Info) }
func (r *raftLogger) IsWarn() bool  { return r.enabled(hclog.Warn) }
func (r *raftLogger) IsError() bool { return r.enabled(hclog.Error) }

// ImpliedArgs returns the arguments With added.
func (r *raftLogger) ImpliedArgs() []any { return r.args }

// With returns a logger that adds args to every line.
func (r *raftLogger) With(args ...any) hclog.Logger {
	return &raftLogger{log: r.log, name: r.name, args: append(append([]any(nil), r.args...), args...)}
}

func (r *raftLogger) Name() string { return r.name }

// Named returns a logger whose name is this one's plus name.
func (r *raftLogger) Named(name string) hclog.Logger {
	return &raftLogger{log: r.log, name: r.name + "." + name, args: r.args}
}

// ResetNamed returns a logger named name.
func (r *raftLogger) ResetNamed(name string) hclog.Logger {
	return &raftLogger{log: r.log, name: name, args: r.args}
}

// SetLevel does nothing: the level is the node's slog level (--log-level).
func (r *raftLogger) SetLevel(hclog.Level) {}

// GetLevel returns the lowest level the node's logger writes.
func (r *raftLogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if r.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

// StandardLogger returns a log.Logger whose lines go to this logger at
// opts' level (INFO when none is given); raft's stores take one.
func (r *raftLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(r.StandardWriter(opts), "", 0)
}

// StandardWriter returns a writer whose lines go to this logger at opts'
// level (INFO when none is given).
func (r *raftLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = opts.ForceLevel
	}
	return &raftLogWriter{r: r, level: level}
}

// raftLogWriter writes each line it is given as one log line.
type raftLogWriter struct {
	r     *raftLogger
	level hclog.Level
}

func (w *raftLogWriter) Write(p []byte) (int, error) {
	msg := string(p)
	for len(msg) > 0 && (msg[len(msg)-1] == '\n' || msg[len(msg)-1] == '\r') {
		msg = msg[:len(msg)-1]
	}
	w.r.Log(w.level, msg)
	return len(p), nil
}
