package scenario

import (
	"context"
	"testing"
	"time"
)

// The wait ends once the written count catches up with the captured one,
// at once when nothing is being written or the node has no counters, and
// with an error when the snapshot outlasts the timeout.
func TestWaitSnapshotsWritten(t *testing.T) {
	ctx := context.Background()
	calls := 0
	busyThenDone := func() (float64, float64, bool) {
		calls++
		if calls < 3 {
			return 4, 3, true
		}
		return 4, 4, true
	}
	if _, err := waitSnapshotsWritten(ctx, busyThenDone, time.Millisecond, time.Minute); err != nil || calls != 3 {
		t.Fatalf("waited through %d reads (err %v), want 3: two while writing, one done", calls, err)
	}
	for name, read := range map[string]func() (float64, float64, bool){
		"idle":        func() (float64, float64, bool) { return 2, 2, true },
		"no counters": func() (float64, float64, bool) { return 0, 0, false },
	} {
		if waited, err := waitSnapshotsWritten(ctx, read, time.Hour, time.Minute); err != nil || waited > time.Second {
			t.Errorf("%s: waited %v (err %v), want no wait", name, waited, err)
		}
	}
	stuck := func() (float64, float64, bool) { return 1, 0, true }
	if _, err := waitSnapshotsWritten(ctx, stuck, time.Millisecond, 20*time.Millisecond); err == nil {
		t.Fatal("a snapshot that never finishes did not time out")
	}
}
