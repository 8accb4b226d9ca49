package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/persist"
	"burndown/telemetry"
)

// Config says who this node is and where it keeps its data.
type Config struct {
	NodeID   string
	DataDir  string
	RaftAddr string // host:port raft's TCP transport binds (0.0.0.0:port with RaftAdvertiseAddr)
	// RaftAdvertiseAddr is the host:port the other nodes reach this node's
	// raft at ("": RaftAddr, which must then be a specific address).
	RaftAdvertiseAddr string
	// RaftTLS, when set, makes raft speak mutual TLS: the raft listener
	// serves with it and raft dials with it, so it holds both ends (a
	// certificate for each role, the CAs trusted for each) and ClientAuth
	// tls.RequireAndVerifyClientCert (tlsconfig.Peer.Config is one). nil:
	// plain TCP.
	RaftTLS  *tls.Config
	HTTPAddr string // the API address advertised to clients through the replicated metadata
	// Bootstrap starts a new single-voter cluster with this node, unless the
	// data dir already holds state (then it is a no-op).
	Bootstrap bool
	// TestClock makes time stand still until SetClock moves it.
	TestClock bool
	Engine    engine.Config
	Logger    *slog.Logger // may be nil: no logs
	// SnapshotThreshold is how many new log entries trigger a snapshot, and
	// TrailingLogs how many entries a snapshot leaves in the log for slow
	// followers (a follower further behind is sent the snapshot). Zero keeps
	// raft's defaults (8192 and 10240).
	SnapshotThreshold uint64
	TrailingLogs      uint64
	// SnapshotCPUShare is the share of one core the snapshot writer may
	// take, from MinSnapshotCPUShare to 1; 1 leaves it unpaced, 0 means
	// DefaultSnapshotCPUShare. Copy-on-write encodes on the apply path are
	// never paced.
	SnapshotCPUShare float64
	// Faults, in tests only, wraps raft's network and log store with a
	// fault injector. nil in production.
	Faults *Faults
	// Metrics receives the node's raft, apply and snapshot series (nil: a
	// registry of its own, reported as build "dev"; Node.Metrics returns it).
	Metrics *telemetry.Metrics
}

// Raft timing. Faster than raft's defaults (1 s) since members are expected
// on a LAN; still loose enough for a loaded 2-core machine.
const (
	heartbeatTimeout = 500 * time.Millisecond
	electionTimeout  = 500 * time.Millisecond
	leaderLease      = 250 * time.Millisecond
	commitTimeout    = 20 * time.Millisecond
	transportTimeout = 10 * time.Second
)

// Node is one member of a Burndown cluster: the engine, raft, its stores and
// the leader-only loops.
type Node struct {
	cfg       Config
	log       *slog.Logger
	eng       *engine.Engine
	fsm       *fsm
	stores    *persist.Stores
	transport *raft.NetworkTransport
	raft      *raft.Raft
	clock     *clock
	prop      *proposer
	peers     *peerHealth
	lead      *leadership
	metrics   *telemetry.Metrics
	lag       *followerLag
	// bootstrapped: this node created the cluster on a fresh data dir, so
	// every member runs this release or a later one (ensureDataFormat).
	bootstrapped bool

	closeOnce sync.Once
	closing   chan struct{}
	wg        sync.WaitGroup
}

// Open opens the stores in cfg.DataDir, starts raft and, with Bootstrap on a
// fresh data dir, bootstraps a single-voter cluster. On an existing data dir
// the node resumes from its snapshot and log.
func Open(cfg Config) (*Node, error) {
	if cfg.NodeID == "" || cfg.DataDir == "" || cfg.RaftAddr == "" {
		return nil, errors.New("cluster: NodeID, DataDir and RaftAddr are required")
	}
	if cfg.SnapshotCPUShare == 0 {
		cfg.SnapshotCPUShare = DefaultSnapshotCPUShare
	}
	if err := ValidSnapshotCPUShare(cfg.SnapshotCPUShare); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	hlog := newRaftLogger(logger)
	codec, err := newCodec()
	if err != nil {
		return nil, err
	}
	stores, err := persist.OpenStores(cfg.DataDir, hlog)
	if err != nil {
		return nil, err
	}
	hasState, err := stores.HasState()
	if err != nil {
		stores.Close()
		return nil, fmt.Errorf("cluster: inspect data dir: %w", err)
	}
	advertise, err := raftAdvertiseAddr(cfg)
	if err != nil {
		stores.Close()
		return nil, err
	}
	trans, err := newRaftTransport(cfg, advertise, hlog)
	if err != nil {
		stores.Close()
		return nil, fmt.Errorf("cluster: raft transport on %s: %w", cfg.RaftAddr, err)
	}
	eng := engine.New(cfg.Engine)
	if cfg.Metrics == nil {
		cfg.Metrics = telemetry.New("dev", runtime.Version())
	}
	n := &Node{
		cfg: cfg, log: logger, eng: eng, fsm: newFSM(eng, codec), stores: stores, transport: trans,
		clock: &clock{test: cfg.TestClock, eng: eng}, peers: newPeerHealth(cfg.Metrics), lead: newLeadership(), closing: make(chan struct{}),
		metrics: cfg.Metrics, lag: newFollowerLag(),
	}
	n.fsm.metrics = cfg.Metrics
	n.fsm.snapshotCPUShare = cfg.SnapshotCPUShare
	n.fsm.closing = n.closing
	notify := make(chan bool, 16)
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.NotifyCh = notify
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256
	rc.HeartbeatTimeout = heartbeatTimeout
	rc.ElectionTimeout = electionTimeout
	rc.LeaderLeaseTimeout = leaderLease
	rc.CommitTimeout = commitTimeout
	rc.NoLegacyTelemetry = true // raft's metrics carry the peer as a label, not in the name
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
		rc.SnapshotInterval = time.Second
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	n.fsm.spacer = &snapshotSpacer{base: rc.SnapshotInterval, factor: defaultSnapshotSpacing, raft: &n.fsm.raft, log: hlog}
	r, err := raft.NewRaft(rc, n.fsm, newPacedCompaction(newSuffixGuard(cfg.Faults.wrapLogStore(stores.Log))), stores.Stable, stores.Snapshots, n.lag.wrap(trans))
	if err != nil {
		trans.Close()
		stores.Close()
		eng.Close()
		return nil, fmt.Errorf("cluster: start raft: %w", err)
	}
	n.raft = r
	n.fsm.raft.Store(r)
	n.metrics.AddWriter(n.writeFollowerLag)
	n.prop = newProposer(r, n.clock, codec, n.metrics)
	n.peers.observe(r)
	n.bootstrapped = cfg.Bootstrap && !hasState
	n.wg.Add(1)
	go n.watchLeadership(notify)
	if n.bootstrapped {
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: rc.LocalID, Address: trans.LocalAddr(),
		}}}
		if err := r.BootstrapCluster(boot).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			n.Close()
			return nil, fmt.Errorf("cluster: bootstrap: %w", err)
		}
	}
	return n, nil
}

// Close stops the leader loops, the proposer, raft, the stores and the
// engine, in that order. It is safe to call more than once.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		close(n.closing)
		n.prop.close()
		err = n.raft.Shutdown().Error()
		n.wg.Wait()
		n.peers.close(n.raft)
		if cerr := n.transport.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if cerr := n.stores.Close(); cerr != nil && err == nil {
			err = cerr
		}
		n.eng.Close()
	})
	if err != nil {
		return fmt.Errorf("cluster: close: %w", err)
	}
	return nil
}

// Metrics returns the node's series (Config.Metrics, or the node's own).
func (n *Node) Metrics() *telemetry.Metrics { return n.metrics }

// Engine returns the node's engine, for local reads (entitlement checks,
// balances). It is the same engine across snapshot restores.
func (n *Node) Engine() *engine.Engine { return n.eng }

// Propose replicates cmd and returns its result once it is committed and
// applied. Concurrent calls share log entries (group commit). On a follower
// it returns ErrNotLeader; callers forward to LeaderHTTPAddr.
func (n *Node) Propose(ctx context.Context, cmd engine.Command) (engine.Result, error) {
	if !n.IsLeader() {
		return engine.Result{}, ErrNotLeader
	}
	if sp := clusterSpecOf(cmd.Kind()); sp != nil {
		if err := n.requireFormat(ctx, sp.NeedsFormat); err != nil {
			return engine.Result{}, err
		}
	}
	if err := n.requireFormat(ctx, persist.CommandNeedsFormat(cmd)); err != nil {
		return engine.Result{}, err
	}
	return n.prop.propose(ctx, cmd, 0)
}

// ProposeOnce is Propose for a command guarded by an idempotency key: the
// first command proposed with key.Key in key.Scope is applied; a later one
// with the same fingerprint is not, and gets the first one's result; one with
// another fingerprint gets a Conflict result (ConflictMessage). Keys are
// replicated with the command and kept IdempotencyRetention of stamped time.
// ErrIdempotencyFull when a new key finds the table full; ErrBadIdempotencyKey
// for a malformed key.
func (n *Node) ProposeOnce(ctx context.Context, cmd engine.Command, key IdempotencyKey) (engine.Result, error) {
	if !n.IsLeader() {
		return engine.Result{}, ErrNotLeader
	}
	if cmd != nil && clusterSpecOf(cmd.Kind()) != nil {
		// Its guard is idempotency_guard version 2, which earlier releases
		// stop on: only once every node runs this release.
		if err := n.requireFormat(ctx, persist.DataFormatCompactAmounts); err != nil {
			return engine.Result{}, err
		}
	}
	if cmd != nil {
		if err := n.requireFormat(ctx, persist.CommandNeedsFormat(cmd)); err != nil {
			return engine.Result{}, err
		}
	}
	return n.prop.proposeOnce(ctx, cmd, key)
}

// requireFormat returns ErrUpgradeNotFinalized unless the cluster's data
// format is at least needs. A cluster this node bootstrapped is finalized
// anyway (ensureDataFormat): then it is done now, rather than race the
// first leadership.
func (n *Node) requireFormat(ctx context.Context, needs persist.DataFormat) error {
	if n.DataFormat() >= needs {
		return nil
	}
	if !n.bootstrapped {
		return ErrUpgradeNotFinalized
	}
	return n.FinalizeUpgrade(ctx)
}

// IsLeader reports whether this node is the leader right now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// LeaderHTTPAddr returns the leader's API address, "" when unknown.
func (n *Node) LeaderHTTPAddr() string {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if string(id) == n.cfg.NodeID {
		return n.cfg.HTTPAddr
	}
	return n.fsm.nodeAddrs()[string(id)]
}

// WaitForLeader returns once a leader is known, or when ctx ends.
func (n *Node) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if _, id := n.raft.LeaderWithID(); id != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: no leader: %w", ctx.Err())
		case <-n.closing:
			return ErrClosed
		case <-t.C:
		}
	}
}

// Barrier returns once every entry committed before the call is applied on
// this node, which must be the leader: reads after it are linearizable
// (?consistency=strong).
func (n *Node) Barrier(ctx context.Context) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	return n.waitFuture(ctx, n.raft.Barrier(timeoutOf(ctx)))
}

// Now returns the cluster's current time: the test clock, or the wall clock
// but never before the latest applied stamp.
func (n *Node) Now() time.Time { return time.Unix(0, n.clock.now()).UTC() }

// TestClock reports whether the node runs on a test clock.
func (n *Node) TestClock() bool { return n.cfg.TestClock }

// SetClock moves the test clock to t and returns once every transition due
// up to t has been applied on this node, the leader.
func (n *Node) SetClock(ctx context.Context, t time.Time) error {
	if !n.cfg.TestClock {
		return ErrNoTestClock
	}
	if !n.IsLeader() {
		return ErrNotLeader
	}
	at := t.UnixNano()
	if at < n.clock.now() {
		return fmt.Errorf("%w: %s is before %s", ErrClockBackwards, t.UTC().Format(time.RFC3339Nano), n.Now().Format(time.RFC3339Nano))
	}
	_, err := n.prop.propose(ctx, &engine.Tick{}, at)
	return err
}

// waitFuture waits for a raft future, giving up when ctx ends.
func (n *Node) waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return mapRaftError(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// timeoutOf converts ctx's deadline into raft's timeout form (0: none).
func timeoutOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left > 0 {
			return left
		}
		return time.Millisecond
	}
	return 0
}

// raftAdvertiseAddr resolves the address raft tells the other nodes (nil:
// the bind address, which raft refuses when it is unspecified, 0.0.0.0).
func raftAdvertiseAddr(cfg Config) (net.Addr, error) {
	if cfg.RaftAdvertiseAddr == "" {
		return nil, nil
	}
	a, err := net.ResolveTCPAddr("tcp", cfg.RaftAdvertiseAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster: raft advertise address %q: %w", cfg.RaftAdvertiseAddr, err)
	}
	if a.IP == nil || a.IP.IsUnspecified() || a.Port == 0 {
		return nil, fmt.Errorf("cluster: raft advertise address %q: must be an address and port the other nodes can reach", cfg.RaftAdvertiseAddr)
	}
	return a, nil
}
