package main

import (
	"fmt"
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
	nodes := newProcesses(t, bin, "s", 3, nil, "--shutdown-timeout", "8s")
	st := startProcesses(t, nodes)
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
