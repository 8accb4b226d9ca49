package cluster

import (
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// Faults puts a test's fault injector between raft and what it relies on:
// its network (partitions, slow or stalled links) and its log store (a full
// disk). Each field may be nil. Production leaves Config.Faults nil; the
// fault suite (faults_test.go) is its user.
type Faults struct {
	// Stream wraps the raft stream layer: every raft connection this node
	// dials or accepts goes through what it returns.
	Stream func(raft.StreamLayer) raft.StreamLayer
	// LogStore wraps the raft log store.
	LogStore func(raft.LogStore) raft.LogStore
}

// wrapStream applies f's stream wrapper, if any.
func (f *Faults) wrapStream(s raft.StreamLayer) raft.StreamLayer {
	if f == nil || f.Stream == nil {
		return s
	}
	return f.Stream(s)
}

// wrapLogStore applies f's log store wrapper, if any.
func (f *Faults) wrapLogStore(s raft.LogStore) raft.LogStore {
	if f == nil || f.LogStore == nil {
		return s
	}
	return f.LogStore(s)
}

// tcpStream is raft's plain TCP stream layer, built here (raft's own cannot
// be wrapped by a fault injector, nor be given a transport configuration).
type tcpStream struct {
	net.Listener
	advertise net.Addr
}

func newTCPStream(bind string, advertise net.Addr) (*tcpStream, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	s := &tcpStream{Listener: ln, advertise: advertise}
	if a, ok := s.Addr().(*net.TCPAddr); !ok || a.IP == nil || a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("cluster: raft address %s is not one the other nodes can reach: give RaftAdvertiseAddr", s.Addr())
	}
	return s, nil
}

// Addr is the address the other nodes reach this one at.
func (s *tcpStream) Addr() net.Addr {
	if s.advertise != nil {
		return s.advertise
	}
	return s.Listener.Addr()
}

// Dial connects to the node at address within timeout.
func (s *tcpStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, fmt.Errorf("cluster: raft dial %s: %w", address, err)
	}
	return c, nil
}
