package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM on the leader hands leadership over before the process stops:
// it exits 0 within --shutdown-timeout, says it transferred leadership, and
// the other two nodes have a leader by then (no election timeout to wait
// out), which takes writes.
func TestSigtermOnTheLeaderTransfersLeadership(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	nodes := make([]*process, 3)
	for i := range nodes {
		httpAddr, raftAddr := freeAddr(t), freeAddr(t)
		args := []string{"serve", "--node-id", fmt.Sprintf("s%d", i+1), "--data-dir", filepath.Join(dir, fmt.Sprintf("s%d", i+1)),
			"--http-addr", httpAddr, "--raft-addr", raftAddr, "--api-token", e2eToken, "--shutdown-timeout", "8s"}
		if i == 0 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", nodes[0].httpAddr)
		}
		nodes[i] = &process{t: t, bin: bin, args: args, httpAddr: httpAddr}
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.kill()
			if t.Failed() {
				t.Logf("log of %s:\n%s", n.httpAddr, lastLines(n.log.String(), 30))
			}
		}
	})
	nodes[0].start()
	eventually(t, "first node ready", 20*time.Second, func() error { _, err := call(nodes[0].httpAddr, "GET", "/readyz", nil, nil); return err })
	nodes[1].start()
	nodes[2].start()
	var st clusterStatus
	eventually(t, "three members", 30*time.Second, func() error {
		if _, err := call(nodes[0].httpAddr, "GET", "/v1/cluster/status", nil, &st); err != nil {
			return err
		}
		if len(st.Nodes) != 3 || st.Leader == "" {
			return fmt.Errorf("%d members, leader %q", len(st.Nodes), st.Leader)
		}
		return nil
	})
	var leader *process
	var others []*process
	for i, n := range nodes {
		if fmt.Sprintf("s%d", i+1) == st.Leader {
			leader = n
		} else {
			others = append(others, n)
		}
	}
	start := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- leader.cmd.Wait() }()
	select {
	case err := <-done:
		leader.cmd = nil
		if err != nil {
			t.Fatalf("the leader exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not exit within 10 s of SIGTERM")
	}
	took := time.Since(start)
	if !strings.Contains(leader.log.String(), "transferred leadership before stopping") {
		t.Fatalf("the leader did not say it transferred leadership:\n%s", lastLines(leader.log.String(), 20))
	}
	var after clusterStatus
	if _, err := call(others[0].httpAddr, "GET", "/v1/cluster/status", nil, &after); err != nil {
		t.Fatal(err)
	}
	if after.Leader == "" || after.Leader == st.Leader {
		t.Fatalf("after the leader stopped (%s), the others' leader is %q", took, after.Leader)
	}
	if _, err := call(others[1].httpAddr, "POST", "/v1/credit-types/create", map[string]any{"name": "after"}, nil); err != nil {
		t.Fatalf("a write after the leader stopped: %v", err)
	}
}
