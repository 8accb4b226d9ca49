package transport

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/telemetry"
)

// fakeNode is a single-member "cluster" that applies commands straight to an
// engine. It lets handler unit tests and benchmarks run without Raft; the
// scenario tests use a real cluster.Node.
type fakeNode struct {
	mu         sync.Mutex
	eng        *engine.Engine
	idx        uint64
	now        time.Time
	leader     bool
	leaderAddr string
	panicOn    engine.Kind
	// proposeErr, when set, fails every proposal with it.
	proposeErr error
	// commitIndex and appliedIndex are what Status reports.
	commitIndex, appliedIndex uint64
	// tokens maps a replicated token's secret to its scope (set before
	// serving: Authenticate reads it without the lock).
	tokens map[string]string
	// backup is what Backup writes ("backup" when nil).
	backup []byte
}

func newFakeNode(start time.Time) *fakeNode {
	return &fakeNode{eng: engine.New(engine.Config{Shards: 4}), now: start, leader: true}
}

func (f *fakeNode) Engine() *engine.Engine { return f.eng }

func (f *fakeNode) Propose(ctx context.Context, cmd engine.Command) (engine.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.leader {
		return engine.Result{}, cluster.ErrNotLeader
	}
	if f.proposeErr != nil {
		return engine.Result{}, f.proposeErr
	}
	if f.panicOn != 0 && cmd.Kind() == f.panicOn {
		panic("fake node: injected panic")
	}
	f.idx++
	res := f.eng.Apply([]engine.Entry{{Index: f.idx, Time: f.now.UnixNano(), Commands: []engine.Command{cmd}}})
	return res[0][0], nil
}

// ProposeOnce ignores the key: the fake keeps no idempotency table (the
// tests of Idempotency-Key run against a real cluster.Node).
func (f *fakeNode) ProposeOnce(ctx context.Context, cmd engine.Command, _ cluster.IdempotencyKey) (engine.Result, error) {
	return f.Propose(ctx, cmd)
}

func (f *fakeNode) Webhooks() []cluster.WebhookDestination     { return nil }
func (f *fakeNode) FailedDeliveries() []cluster.FailedDelivery { return nil }
func (f *fakeNode) OutboxStats() (int64, uint64)               { return 0, 0 }

func (f *fakeNode) IsLeader() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *fakeNode) LeaderHTTPAddr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leaderAddr
}

// Authenticate knows the tokens a test put in f.tokens.
func (f *fakeNode) Authenticate(secret []byte) (string, bool) {
	scope, ok := f.tokens[string(secret)]
	return scope, ok
}

// Tokens lists none.
func (f *fakeNode) Tokens() []cluster.TokenInfo { return nil }
func (f *fakeNode) Metrics() *telemetry.Metrics { return nil }

// DashboardKey is none: the fake serves no dashboard links (the dashboard
// tests run on a real node).
func (f *fakeNode) DashboardKey(_ context.Context, create bool) ([]byte, error) {
	if create {
		return nil, errors.New("fake: no dashboard key")
	}
	return nil, nil
}

// FinalizeUpgrade records nothing: the fake keeps no data format.
func (f *fakeNode) FinalizeUpgrade(context.Context) error { return nil }

// setIndexes sets the raft positions Status reports.
func (f *fakeNode) setIndexes(commit, applied uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commitIndex, f.appliedIndex = commit, applied
}

// setLeader changes who leads while the server runs.
func (f *fakeNode) setLeader(leader bool, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader, f.leaderAddr = leader, addr
}
func (f *fakeNode) Barrier(ctx context.Context) error { return nil }
func (f *fakeNode) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeNode) SetClock(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	if t.Before(f.now) {
		f.mu.Unlock()
		return cluster.ErrClockBackwards
	}
	f.now = t
	f.mu.Unlock()
	_, err := f.Propose(ctx, &engine.Tick{})
	return err
}

func (f *fakeNode) TestClock() bool { return true }
func (f *fakeNode) Status() cluster.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cluster.Status{CommitIndex: f.commitIndex, AppliedIndex: f.appliedIndex}
}
func (f *fakeNode) AddNode(ctx context.Context, id, raftAddr, httpAddr string) error { return nil }
func (f *fakeNode) RemoveNode(ctx context.Context, id string) error                  { return nil }
func (f *fakeNode) TransferLeadership() error                                        { return nil }
func (f *fakeNode) Snapshot() error                                                  { return nil }
func (f *fakeNode) Restore(ctx context.Context, r io.Reader) error {
	return errors.New("the fake node cannot restore")
}
func (f *fakeNode) Backup(w io.Writer) error {
	if f.backup != nil {
		_, err := w.Write(f.backup)
		return err
	}
	_, err := io.WriteString(w, "backup")
	return err
}
