package scenario

import (
	"context"
	"fmt"
	"time"

	"burndown/bench/burndown"
)

// Snapshot counters on the node's /metrics: a snapshot is counted in the
// first when its capture ends and in the second when it is on disk, so the
// difference is a snapshot being written (raft's own, periodic ones too).
const (
	snapshotsCaptured = "burndown_snapshot_pause_seconds_count"
	snapshotsWritten  = "burndown_snapshot_duration_seconds_count"
)

// snapshotCounts reads the two counters; ok is false when either is missing.
func snapshotCounts(ctx context.Context, c *burndown.Client) func() (captured, written float64, ok bool) {
	return func() (float64, float64, bool) {
		captured, ok1 := c.Metric(ctx, snapshotsCaptured)
		written, ok2 := c.Metric(ctx, snapshotsWritten)
		return captured, written, ok1 && ok2
	}
}

// waitSnapshotsWritten polls until every captured snapshot is written, so a
// phase measured "without a snapshot" is not one raft is writing on its own.
// It returns how long it waited; a node that does not export the counters
// is not waited for.
func waitSnapshotsWritten(ctx context.Context, read func() (captured, written float64, ok bool), poll, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		captured, written, ok := read()
		if !ok || written >= captured {
			return time.Since(start), nil
		}
		if time.Since(start) >= timeout {
			return time.Since(start), fmt.Errorf("a snapshot was still being written after %v", timeout)
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(poll):
		}
	}
}
