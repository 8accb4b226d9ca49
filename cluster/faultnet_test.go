package cluster

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/raft"
)

// faultNet is the raft network between the fault suite's nodes. Every
// connection knows the nodes at its two ends (the dialler sends its id
// first), so the suite can cut a pair of nodes apart (a partition), stall a
// node's every link (a paused process, as the others see it), slow the links
// towards one node, and heal.
type faultNet struct {
	mu      sync.Mutex
	addrID  map[string]string    // raft address → node id
	cut     map[[2]string]bool   // ordered pair (lower id first) → cut
	stalled map[string]chan bool // node id → closed when it resumes
	delay   map[string]time.Duration
	conns   map[*faultConn]bool
}

func newFaultNet() *faultNet {
	return &faultNet{addrID: map[string]string{}, cut: map[[2]string]bool{}, stalled: map[string]chan bool{},
		delay: map[string]time.Duration{}, conns: map[*faultConn]bool{}}
}

func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// errCut is what a connection across a partition returns.
var errCut = errors.New("faultnet: link cut")

// partition cuts id off from every other node (both directions, existing
// connections closed).
func (f *faultNet) partition(id string, others ...string) {
	f.mu.Lock()
	for _, o := range others {
		f.cut[pair(id, o)] = true
	}
	var doomed []*faultConn
	for c := range f.conns {
		if f.cut[pair(c.local, c.remote)] {
			doomed = append(doomed, c)
		}
	}
	f.mu.Unlock()
	for _, c := range doomed {
		c.Conn.Close()
	}
}

// stall freezes every link of id: reads and writes block until resume, as
// the network sees a paused process.
func (f *faultNet) stall(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stalled[id] == nil {
		f.stalled[id] = make(chan bool)
	}
}

// slow delays every write towards id by d (0: no delay).
func (f *faultNet) slow(id string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay[id] = d
}

// heal removes every cut, stall and delay.
func (f *faultNet) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut = map[[2]string]bool{}
	for _, ch := range f.stalled {
		close(ch)
	}
	f.stalled = map[string]chan bool{}
	f.delay = map[string]time.Duration{}
}

// gate blocks while either end is stalled, then says whether the link is
// cut, and how long a write towards remote waits.
func (f *faultNet) gate(local, remote string) (cut bool, delay time.Duration) {
	for {
		f.mu.Lock()
		ch := f.stalled[local]
		if ch == nil {
			ch = f.stalled[remote]
		}
		if ch == nil {
			cut, delay = f.cut[pair(local, remote)], f.delay[remote]
			f.mu.Unlock()
			return cut, delay
		}
		f.mu.Unlock()
		<-ch
	}
}

// layer returns the stream wrapper of node id listening at addr.
func (f *faultNet) layer(id, addr string) func(raft.StreamLayer) raft.StreamLayer {
	f.mu.Lock()
	f.addrID[addr] = id
	f.mu.Unlock()
	return func(s raft.StreamLayer) raft.StreamLayer { return &faultStream{StreamLayer: s, net: f, id: id} }
}

type faultStream struct {
	raft.StreamLayer
	net *faultNet
	id  string
}

// Dial connects through the fault network and introduces this node.
func (s *faultStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	s.net.mu.Lock()
	remote := s.net.addrID[string(address)]
	s.net.mu.Unlock()
	if cut, _ := s.net.gate(s.id, remote); cut {
		return nil, fmt.Errorf("dial %s: %w", remote, errCut)
	}
	c, err := s.StreamLayer.Dial(address, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(s.id + "\n")); err != nil {
		c.Close()
		return nil, err
	}
	return s.net.track(c, s.id, remote), nil
}

// Accept learns the dialler's id and refuses a connection across a cut.
func (s *faultStream) Accept() (net.Conn, error) {
	for {
		c, err := s.StreamLayer.Accept()
		if err != nil {
			return nil, err
		}
		remote, err := readID(c)
		if err != nil {
			c.Close()
			continue
		}
		if cut, _ := s.net.gate(s.id, remote); cut {
			c.Close()
			continue
		}
		return s.net.track(c, s.id, remote), nil
	}
}

// readID reads the dialler's "id\n" one byte at a time (nothing of raft's
// stream may be consumed).
func readID(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	for len(b) < 64 {
		if _, err := c.Read(one); err != nil {
			return "", err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
	return "", errors.New("faultnet: no id")
}

func (f *faultNet) track(c net.Conn, local, remote string) *faultConn {
	fc := &faultConn{Conn: c, net: f, local: local, remote: remote}
	f.mu.Lock()
	f.conns[fc] = true
	f.mu.Unlock()
	return fc
}

// faultConn is one raft connection between local and remote.
type faultConn struct {
	net.Conn
	net           *faultNet
	local, remote string
}

func (c *faultConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if cut, _ := c.net.gate(c.local, c.remote); cut {
		c.Conn.Close()
		return 0, errCut
	}
	return n, err
}

func (c *faultConn) Write(p []byte) (int, error) {
	cut, delay := c.net.gate(c.local, c.remote)
	if cut {
		c.Conn.Close()
		return 0, errCut
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	return c.Conn.Write(p)
}

func (c *faultConn) Close() error {
	c.net.mu.Lock()
	delete(c.net.conns, c)
	c.net.mu.Unlock()
	return c.Conn.Close()
}

// errDiskFull is what a full disk answers a write with.
var errDiskFull = fmt.Errorf("write raft log: %w", syscall.ENOSPC)

// fullLog is a raft log store whose writes fail while full is set, as on a
// disk out of space: nothing is written, nothing is corrupted.
type fullLog struct {
	raft.LogStore
	full *atomic.Bool
}

func (l *fullLog) StoreLog(log *raft.Log) error {
	if l.full.Load() {
		return errDiskFull
	}
	return l.LogStore.StoreLog(log)
}

func (l *fullLog) StoreLogs(logs []*raft.Log) error {
	if l.full.Load() {
		return errDiskFull
	}
	return l.LogStore.StoreLogs(logs)
}
