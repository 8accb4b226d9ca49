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
// TLS with cfg.RaftTLS.
func newRaftTransport(cfg Config, advertise net.Addr, hlog hclog.Logger) (*raft.NetworkTransport, error) {
	if cfg.RaftTLS == nil {
		return raft.NewTCPTransportWithLogger(cfg.RaftAddr, advertise, 3, transportTimeout, hlog)
	}
	stream, err := newTLSStream(cfg.RaftAddr, advertise, cfg.RaftTLS)
	if err != nil {
		return nil, err
	}
	return raft.NewNetworkTransportWithLogger(stream, 3, transportTimeout, hlog), nil
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
