package transport

import (
	"context"
	"io"
	"time"

	"burndown/cluster"
	"burndown/engine"
	"burndown/telemetry"
)

// Node is what the HTTP layer needs from a cluster member. It is an interface
// (satisfied by *cluster.Node) so handlers can be tested against a fake.
type Node interface {
	Engine() *engine.Engine
	// Propose replicates cmd and returns once it is committed and applied;
	// cluster.ErrNotLeader on a follower.
	Propose(ctx context.Context, cmd engine.Command) (engine.Result, error)
	// ProposeOnce is Propose guarded by an idempotency key (a client's
	// Idempotency-Key): applied once, answered the same on every retry.
	ProposeOnce(ctx context.Context, cmd engine.Command, key cluster.IdempotencyKey) (engine.Result, error)
	IsLeader() bool
	LeaderHTTPAddr() string
	Barrier(ctx context.Context) error
	Now() time.Time
	SetClock(ctx context.Context, t time.Time) error
	TestClock() bool
	Status() cluster.Status
	AddNode(ctx context.Context, id, raftAddr, httpAddr string) error
	RemoveNode(ctx context.Context, id string) error
	TransferLeadership() error
	// FinalizeUpgrade moves the cluster to this release's data format
	// (leader only; cluster.ErrNotLeader elsewhere).
	FinalizeUpgrade(ctx context.Context) error
	Snapshot() error
	Backup(w io.Writer) error
	// Restore replaces the cluster's state with a backup (leader only).
	Restore(ctx context.Context, r io.Reader) error
	// Webhooks lists the replicated webhook destinations.
	Webhooks() []cluster.WebhookDestination
	// FailedDeliveries lists the webhook deliveries given up, oldest first.
	FailedDeliveries() []cluster.FailedDelivery
	// OutboxStats says how many notifications wait for delivery and how
	// many the outbox's bound dropped.
	OutboxStats() (size int64, dropped uint64)
	// Authenticate returns the scope of the active replicated token whose
	// secret is given (no allocation: it runs on every request).
	Authenticate(secret []byte) (scope string, ok bool)
	// Tokens lists the replicated tokens, never their secrets.
	Tokens() []cluster.TokenInfo
	// Metrics is the node's series registry, which the server adds its own
	// to and serves on /metrics (nil: the server makes one).
	Metrics() *telemetry.Metrics
	// DashboardKey returns the replicated key that signs dashboard links;
	// with create, the leader makes it when there is none
	// (cluster.ErrNotLeader on a follower then).
	DashboardKey(ctx context.Context, create bool) ([]byte, error)
}

var _ Node = (*cluster.Node)(nil)
