package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// A node binds every interface and tells the others its advertise
// addresses: two processes bound to 0.0.0.0 form a cluster through their
// 127.0.0.1 advertise addresses, the follower names the leader by its
// advertised HTTP address, and a write sent to the follower is forwarded
// there. (All traffic stays on loopback.)
func TestAdvertiseAddresses(t *testing.T) {
	bin := buildBinary(t)
	nodes := newProcesses(t, bin, "a", 2, func(httpAddr, raftAddr string) []string {
		_, httpPort, _ := net.SplitHostPort(httpAddr)
		_, raftPort, _ := net.SplitHostPort(raftAddr)
		return []string{"--http-addr", "0.0.0.0:" + httpPort, "--http-advertise-addr", httpAddr,
			"--raft-addr", "0.0.0.0:" + raftPort, "--raft-advertise-addr", raftAddr}
	})
	nodes[0].start()
	eventually(t, "first node ready", 20*time.Second, func() error { _, err := call(nodes[0].httpAddr, "GET", "/readyz", nil, nil); return err })
	nodes[1].start()
	var st struct {
		State      string `json:"state"`
		LeaderHTTP string `json:"leader_http_addr"`
		Nodes      []struct {
			ID       string `json:"id"`
			RaftAddr string `json:"raft_addr"`
			HTTPAddr string `json:"http_addr"`
		} `json:"nodes"`
	}
	eventually(t, "the follower knows the leader by its advertised address", 30*time.Second, func() error {
		if _, err := call(nodes[1].httpAddr, "GET", "/v1/cluster/status", nil, &st); err != nil {
			return err
		}
		if st.State != "follower" || st.LeaderHTTP != nodes[0].httpAddr || len(st.Nodes) != 2 {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	want := map[string]string{"a1": flagValue(nodes[0].args, "--raft-advertise-addr"), "a2": flagValue(nodes[1].args, "--raft-advertise-addr")}
	for _, n := range st.Nodes {
		if n.RaftAddr != want[n.ID] || !strings.HasPrefix(n.HTTPAddr, "127.0.0.1:") {
			t.Errorf("member %s is known as raft %s, http %s; want its advertise addresses (raft %s)", n.ID, n.RaftAddr, n.HTTPAddr, want[n.ID])
		}
	}
	if _, err := call(nodes[1].httpAddr, "POST", "/v1/credit-types/create", map[string]any{"name": "AI credits"}, nil); err != nil {
		t.Fatalf("a write through the follower: %v", err)
	}
}

// A wildcard bind without an advertise address is refused, naming the flag
// to give, before anything starts.
func TestWildcardBindNeedsAnAdvertiseAddress(t *testing.T) {
	for _, c := range []struct{ flag, addr, want string }{
		{"--raft-addr", "0.0.0.0:8301", "--raft-advertise-addr"},
		{"--http-addr", "0.0.0.0:8081", "--http-advertise-addr"},
	} {
		err := run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), c.flag, c.addr, "--api-token", "x"}, new(strings.Builder), new(strings.Builder))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.addr) {
			t.Errorf("%s %s: %v, want an error naming %s", c.flag, c.addr, err, c.want)
		}
	}
}

// flagValue returns the value after flag in args.
func flagValue(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}
