package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// -h and --help print the usage and exit 0 for every command and cluster
// subcommand; an unknown command still exits 1.
func TestHelpExitsZero(t *testing.T) {
	bin := buildBinary(t)
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"}, {"serve", "-h"}, {"serve", "--help"}, {"cluster", "-h"}, {"cluster", "--help"},
		{"cluster", "status", "-h"}, {"cluster", "backup", "--help"}, {"import", "-h"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("burndown %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if !strings.Contains(strings.ToLower(string(out)), "usage") {
			t.Errorf("burndown %s printed no usage:\n%s", strings.Join(args, " "), out)
		}
	}
	err := exec.Command(bin, "no-such-command").Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("unknown command: %v, want exit status 1", err)
	}
}

// The banner never shows the token: a token given on the command line or
// in the environment is not printed at all, a generated one only by the
// path of its file.
func TestBannerNeverPrintsTheToken(t *testing.T) {
	f := serveFlags{nodeID: "n1", httpAddr: "127.0.0.1:8080", raftAddr: "127.0.0.1:8300", dataDir: "d", token: "s3cret-token-value"}
	for _, c := range []struct {
		file      string
		generated bool
		want      string
	}{
		{"", false, "not shown"},
		{filepath.Join("d", "api-token"), true, "$(cat d/api-token)"},
		{filepath.Join("d", "api-token"), false, "in d/api-token"},
	} {
		var out bytes.Buffer
		printBanner(&out, f, false, c.file, c.generated)
		if strings.Contains(out.String(), f.token) {
			t.Errorf("banner shows the token:\n%s", out.String())
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("banner lacks %q:\n%s", c.want, out.String())
		}
	}
}

// Every cluster flag can come from the environment (BURNDOWN_<FLAG>), and
// the command line wins: BURNDOWN_ADDR points the client at a node.
func TestClusterFlagsFromTheEnvironment(t *testing.T) {
	t.Setenv("BURNDOWN_ADDR", "127.0.0.1:1")
	t.Setenv("BURNDOWN_TOKEN", "t")
	var stdout, stderr bytes.Buffer
	err := clusterCmd(t.Context(), []string{"status"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("status with BURNDOWN_ADDR: %v, want a failure naming 127.0.0.1:1", err)
	}
	err = clusterCmd(t.Context(), []string{"status", "--addr", "127.0.0.1:2"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:2") {
		t.Fatalf("status with --addr over BURNDOWN_ADDR: %v, want a failure naming 127.0.0.1:2", err)
	}
	// A node's own serve variables never name the node it joins.
	t.Setenv("BURNDOWN_HTTP_ADDR", "0.0.0.0:8080")
	t.Setenv("BURNDOWN_RAFT_ADDR", "0.0.0.0:8300")
	err = clusterCmd(t.Context(), []string{"join", "--id", "n3"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatalf("join with only serve's variables set: %v, want --raft-addr and --http-addr required", err)
	}
	t.Setenv("BURNDOWN_CLUSTER_RAFT_ADDR", "127.0.0.1:8303")
	t.Setenv("BURNDOWN_CLUSTER_HTTP_ADDR", "127.0.0.1:8083")
	err = clusterCmd(t.Context(), []string{"join", "--id", "n3"}, &stdout, &stderr)
	if err == nil || strings.Contains(err.Error(), "required") {
		t.Fatalf("join with BURNDOWN_CLUSTER_*: %v, want it to try the node", err)
	}
}

// --log-format json writes one JSON object a line; another format is
// refused by name.
func TestLogFormat(t *testing.T) {
	var buf bytes.Buffer
	l, err := newLogger(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", "k", "v")
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["msg"] != "hello" || m["k"] != "v" {
		t.Fatalf("json line %q: %v", buf.String(), err)
	}
	if _, err := newLogger(&buf, "xml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Fatalf("xml: %v, want an error naming --log-format", err)
	}
}
