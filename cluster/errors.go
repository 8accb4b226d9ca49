package cluster

import "errors"

// Errors callers act on: the transport maps them to HTTP answers (forward to
// the leader, 400, 404) rather than to a 500.
var (
	// ErrNotLeader: the operation must run on the leader; this node is not it.
	ErrNotLeader = errors.New("cluster: not the leader")
	// ErrClockBackwards: SetClock was asked to move time backwards.
	ErrClockBackwards = errors.New("cluster: the clock cannot move backwards")
	// ErrNoTestClock: SetClock needs a node started with a test clock.
	ErrNoTestClock = errors.New("cluster: no test clock")
	// ErrClosed: the node is shutting down or shut down.
	ErrClosed = errors.New("cluster: node closed")
	// ErrLeadershipLost: leadership was lost while a proposal was in flight;
	// it may or may not have been applied.
	ErrLeadershipLost = errors.New("cluster: leadership lost")
	// ErrOverloaded: the proposal queue is full; the command was not
	// queued and will not be applied. Retry shortly.
	ErrOverloaded = errors.New("cluster: overloaded, the proposal queue is full")
	// ErrIdempotencyFull: the command carried a new idempotency key and the
	// table of keys is at its bound (MaxIdempotencyRecords or
	// MaxIdempotencyBytes); the command was not applied. Keys leave the table
	// IdempotencyRetention after they were recorded.
	ErrIdempotencyFull = errors.New("cluster: the table of idempotency keys is full")
	// ErrBadBackup: Restore was given a stream that is not a complete
	// backup (wrong magic, truncated, damaged); nothing was replaced.
	ErrBadBackup = errors.New("cluster: not a usable backup")
)
