package cluster

import (
	"math"
	"testing"
	"time"
)

// fakePaceClock is a clock the pacer reads: work advances it by hand, and
// each sleep advances it by what was asked plus a fixed overshoot.
type fakePaceClock struct {
	t         time.Time
	overshoot time.Duration
	sleeps    []time.Duration
}

func (c *fakePaceClock) now() time.Time { return c.t }
func (c *fakePaceClock) sleep(d time.Duration) {
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d + c.overshoot)
}

func pacerOn(c *fakePaceClock, share float64) *writerPacer {
	p := newWriterPacer(share, nil)
	p.now, p.sleep, p.start = c.now, c.sleep, c.t
	return p
}

// runPaced does work customers of each cost through the pacer and returns
// the share of the elapsed time spent working.
func runPaced(p *writerPacer, c *fakePaceClock, customers int, each time.Duration) float64 {
	begin := c.t
	for range customers {
		c.t = c.t.Add(each)
		p.step()
	}
	return float64(time.Duration(customers)*each) / float64(c.t.Sub(begin))
}

func TestWriterPacerHoldsItsShare(t *testing.T) {
	for _, share := range []float64{0.25, 0.5, 0.8} {
		c := &fakePaceClock{t: time.Unix(0, 0)}
		p := pacerOn(c, share)
		got := runPaced(p, c, 100_000, 7*time.Microsecond)
		if got < share-0.01 || got > share+0.01 {
			t.Errorf("share %v: the writer worked %.3f of the time", share, got)
		}
		work := 100_000 * 7 * time.Microsecond
		if want := time.Duration(float64(work) * (1 - share) / share); p.slept < want*99/100 || p.slept > want*101/100 {
			t.Errorf("share %v: slept %v in all, want about %v", share, p.slept, want)
		}
		for _, d := range c.sleeps {
			if d > 4*snapshotPaceSlice {
				t.Fatalf("share %v: one sleep of %v: the pacer sleeps in short steps", share, d)
			}
		}
	}
}

// A timer that sleeps longer than asked must not slow the writer below its
// share: the overshoot is paid back by shorter sleeps.
func TestWriterPacerPaysBackOvershoot(t *testing.T) {
	c := &fakePaceClock{t: time.Unix(0, 0), overshoot: 300 * time.Microsecond}
	got := runPaced(pacerOn(c, 0.5), c, 100_000, 7*time.Microsecond)
	if got < 0.49 {
		t.Errorf("with a 300µs overshoot per sleep the writer worked %.3f of the time, want about 0.5", got)
	}
}

// Work never waits longer than a slice before a sleep lets requests run.
func TestWriterPacerSleepsAfterEachSlice(t *testing.T) {
	c := &fakePaceClock{t: time.Unix(0, 0)}
	p := pacerOn(c, 0.5)
	runPaced(p, c, 1000, 10*time.Microsecond) // 10 ms of work
	if len(c.sleeps) < 9 {
		t.Errorf("10 ms of work slept %d times, want one a millisecond", len(c.sleeps))
	}
}

func TestWriterPacerUnpacedAtOneCore(t *testing.T) {
	if p := newWriterPacer(1, nil); p != nil {
		t.Errorf("share 1 made a pacer; it must leave the writer unpaced")
	}
	if p := newWriterPacer(0, nil); p == nil || p.share != DefaultSnapshotCPUShare {
		t.Errorf("share 0 must mean the default, got %+v", p)
	}
	for _, bad := range []float64{-1, 0, 0.001, MinSnapshotCPUShare / 2, 1.5, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if ValidSnapshotCPUShare(bad) == nil {
			t.Errorf("share %v accepted", bad)
		}
	}
	for _, good := range []float64{MinSnapshotCPUShare, DefaultSnapshotCPUShare, 1} {
		if err := ValidSnapshotCPUShare(good); err != nil {
			t.Errorf("share %v refused: %v", good, err)
		}
	}
}

// A node shutting down is not held by a paced snapshot: a sleep ends as
// soon as stop is closed, and later ones do not wait at all.
func TestWriterPacerSleepsEndAtStop(t *testing.T) {
	stop := make(chan struct{})
	p := newWriterPacer(MinSnapshotCPUShare, stop)
	p.owed = time.Hour
	done := make(chan struct{})
	go func() {
		p.start = time.Now().Add(-snapshotPaceSlice)
		p.step()
		close(done)
	}()
	close(stop)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a paced sleep outlived stop")
	}
	begin := time.Now()
	p.start = begin.Add(-snapshotPaceSlice)
	p.step()
	if waited := time.Since(begin); waited > time.Second {
		t.Errorf("after stop a step still slept %v", waited)
	}
}
