package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// Raft's lines keep their levels: a WARN is a slog warning, not an INFO
// line with "[WARN]" in its text, so --log-level warn keeps raft's warnings
// and errors and drops its chatter; names and implied arguments become
// attributes.
func TestRaftLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := newRaftLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l.Info("chatter")
	l.Debug("more chatter")
	l.Warn("heartbeat failed", "peer", "n2")
	l.Named("transport").With("node", "n1").Error("stream broken", "err", "EOF")
	l.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Error}).Print("[ERR] bolt: disk full")
	l.StandardLogger(nil).Print("plain line")
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, m)
	}
	want := []struct{ level, msg, logger string }{
		{"WARN", "heartbeat failed", "raft"},
		{"ERROR", "stream broken", "raft.transport"},
		{"ERROR", "[ERR] bolt: disk full", "raft"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, w := range want {
		if got[i]["level"] != w.level || got[i]["msg"] != w.msg || got[i]["logger"] != w.logger {
			t.Errorf("line %d: %v, want %+v", i, got[i], w)
		}
	}
	if got[0]["peer"] != "n2" || got[1]["node"] != "n1" || got[1]["err"] != "EOF" {
		t.Errorf("attributes lost: %v", got)
	}
	if l.IsInfo() || !l.IsWarn() || l.GetLevel() != hclog.Warn {
		t.Errorf("levels: info %v warn %v get %v", l.IsInfo(), l.IsWarn(), l.GetLevel())
	}
	if slogLevel(hclog.Trace) >= slog.LevelDebug || !newRaftLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slogTrace}))).IsTrace() {
		t.Error("TRACE must sit below DEBUG and be written at its level")
	}
	if !l.(*raftLogger).log.Enabled(context.Background(), slog.LevelError) {
		t.Error("errors must be enabled")
	}
}
