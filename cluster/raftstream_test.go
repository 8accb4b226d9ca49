package cluster

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"burndown/tlsconfig"
	"burndown/tlsconfig/tlstest"
)

// peerTLS is the mutual TLS configuration of a node whose certificate
// signer signed, trusting the CA trusted.
func peerTLS(t *testing.T, signer, trusted *tlstest.CA, name string) *tls.Config {
	t.Helper()
	p := signer.Issue(t, name)
	peer, err := tlsconfig.LoadPeer(p.CertFile, p.KeyFile, trusted.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	return peer.Config()
}

// voteFrom sends a RequestVote to the node at target from a raft transport
// of its own with cfg (nil: plain TCP), as a stranger would.
func voteFrom(t *testing.T, cfg *tls.Config, target string) error {
	t.Helper()
	hlog := hclog.NewNullLogger()
	var trans *raft.NetworkTransport
	if cfg == nil {
		tr, err := raft.NewTCPTransportWithLogger(freeAddr(t), nil, 1, 2*time.Second, hlog)
		if err != nil {
			t.Fatal(err)
		}
		trans = tr
	} else {
		stream, err := newTLSStream(freeAddr(t), nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		trans = raft.NewNetworkTransportWithLogger(stream, 1, 2*time.Second, hlog)
	}
	defer trans.Close()
	req := &raft.RequestVoteRequest{RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("stranger"), Addr: []byte(trans.LocalAddr())}, Term: 0}
	var resp raft.RequestVoteResponse
	return trans.RequestVote("n2", raft.ServerAddress(target), req, &resp)
}

// Raft over mutual TLS: three nodes whose certificates the CA signed form a
// cluster and replicate; a node with a certificate from another CA (even
// one trusting the right CA) cannot send raft RPCs, nor can one speaking
// plain TCP, while one the CA signed can.
func TestRaftMutualTLS(t *testing.T) {
	ca, rogue := tlstest.NewCA(t, "peer"), tlstest.NewCA(t, "rogue")
	specs := []nodeSpec{newSpec(t, "n1", true), newSpec(t, "n2", false), newSpec(t, "n3", false)}
	nodes := make([]*Node, len(specs))
	for i := range specs {
		specs[i].raftTLS = peerTLS(t, ca, ca, specs[i].id)
		nodes[i] = specs[i].open(t)
	}
	leader := waitLeader(t, nodes[0])
	for _, s := range specs[1:] {
		if err := leader.AddNode(ctxT(t, 15*time.Second), s.id, s.raftAddr, s.httpAddr); err != nil {
			t.Fatal(err)
		}
	}
	leader = waitLeader(t, nodes...)
	setupCatalog(t, leader, leader.Now().UnixNano())
	converge(t, leader, nodes...)

	s2 := specs[1]
	if err := voteFrom(t, peerTLS(t, rogue, ca, "rogue"), s2.raftAddr); err == nil {
		t.Error("a raft RPC with a certificate from another CA was answered")
	}
	if err := voteFrom(t, nil, s2.raftAddr); err == nil {
		t.Error("a plain TCP raft RPC was answered")
	}
	if err := voteFrom(t, peerTLS(t, ca, ca, "n9"), s2.raftAddr); err != nil {
		t.Errorf("a raft RPC with a certificate the CA signed: %v", err)
	}
	if !nodes[1].IsMember() {
		t.Error("n2 is no longer a member")
	}
}

// A raft TLS configuration that does not require client certificates is
// refused: raft would then take RPCs from anyone.
func TestRaftTLSRequiresClientCertificates(t *testing.T) {
	ca := tlstest.NewCA(t, "peer")
	cfg := peerTLS(t, ca, ca, "n1")
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	if _, err := newTLSStream(freeAddr(t), nil, cfg); err == nil {
		t.Fatal("a raft stream that does not require client certificates was made")
	}
	if _, err := newTLSStream("0.0.0.0:0", nil, peerTLS(t, ca, ca, "n2")); err == nil {
		t.Fatal("a raft stream on a wildcard address without an advertise address was made")
	}
	ln, err := newTLSStream("127.0.0.1:0", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8300}, peerTLS(t, ca, ca, "n3"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := ln.Addr().String(); got != "10.0.0.1:8300" {
		t.Fatalf("advertised %s, want 10.0.0.1:8300", got)
	}
}
