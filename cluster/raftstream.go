package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// newRaftTransport is raft's network transport on cfg.RaftAddr, told to the
// other nodes as advertise (nil: the bind address): plain TCP, or mutual
// TLS with cfg.RaftTLS, through cfg.Faults' wrapper when a test gives one.
//
// Pipelined replication is off (MaxRPCsInFlight 1). With it, a follower
// that answers one AppendEntries with failure (its disk full, say) makes
// raft v1.7's leader stop its pipeline's reader while the sender is parked
// on it: that follower gets no entry again until the leader restarts, and
// the leader cannot shut down (found by TestFaultDiskFullFollower; Grafana
// Pyroscope met it too). raft's own notes measure little gain from
// pipelining next to batching, which the proposer does.
func newRaftTransport(cfg Config, advertise net.Addr, hlog hclog.Logger) (*raft.NetworkTransport, error) {
	var stream raft.StreamLayer
	var err error
	if cfg.RaftTLS != nil {
		stream, err = newTLSStream(cfg.RaftAddr, advertise, cfg.RaftTLS)
	} else {
		stream, err = newTCPStream(cfg.RaftAddr, advertise)
	}
	if err != nil {
		return nil, err
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: cfg.Faults.wrapStream(stream), MaxPool: 3, MaxRPCsInFlight: 1, Timeout: transportTimeout, Logger: hlog,
	}), nil
}

// tlsStream is a raft.StreamLayer over TLS: its listener requires and
// verifies a client certificate (as cfg says), and it dials with cfg,
// verifying the server against the name in the address dialled.
type tlsStream struct {
	net.Listener
	advertise net.Addr
	cfg       *tls.Config
}

func newTLSStream(bind string, advertise net.Addr, cfg *tls.Config) (*tlsStream, error) {
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		return nil, errors.New("cluster: RaftTLS must require and verify client certificates")
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	s := &tlsStream{Listener: tls.NewListener(ln, cfg), advertise: advertise, cfg: cfg}
	if a, ok := s.Addr().(*net.TCPAddr); !ok || a.IP == nil || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("cluster: raft address %s is not one the other nodes can reach: give RaftAdvertiseAddr", s.Addr())
	}
	return s, nil
}

// Addr is the address the other nodes reach this one at.
func (s *tlsStream) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}

// Dial connects to the node at address and completes the handshake
// within timeout.
func (s *tlsStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: s.cfg}
	c, err := d.DialContext(ctx, "tcp", string(address))
	if err != nil {
		return nil, fmt.Errorf("cluster: raft dial %s: %w", address, err)
	}
	return c, nil
}
