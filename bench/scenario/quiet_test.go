package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	"burndown/bench/launch"
)

// fakeMachine replays busy fractions, one per window, for waitQuiet.
type fakeMachine struct {
	busy  []float64 // busy fraction of each successive window
	cpu   launch.CPUTimes
	ticks uint64 // the busy process's ticks
}

func (m *fakeMachine) sample() (launch.CPUTimes, launch.ProcessTimes, error) {
	return m.cpu, launch.ProcessTimes{7: {Name: "vacuum", Ticks: m.ticks}}, nil
}

// sleep advances the machine by one window of 100 ticks on 2 CPUs.
func (m *fakeMachine) sleep(context.Context, time.Duration) bool {
	b := m.busy[0]
	if len(m.busy) > 1 {
		m.busy = m.busy[1:]
	}
	m.cpu.Total += 100
	m.cpu.Busy += uint64(b * 100)
	m.ticks += uint64(b * 100)
	return true
}

func TestWaitQuietWaitsOutABusyMachine(t *testing.T) {
	m := &fakeMachine{busy: []float64{0.9, 0.5, 0.1}}
	o, err := waitQuiet(context.Background(), time.Minute, m.sample, m.sleep)
	if err != nil {
		t.Fatal(err)
	}
	if !o.quiet || o.waited != 3*quietWindow {
		t.Fatalf("got %+v, want quiet after 3 windows", o)
	}
	// The last busy window: vacuum used 50 of 100 ticks on 2 CPUs, one CPU's whole share.
	if o.busiest != "vacuum[7] 100%" {
		t.Errorf("busiest %q", o.busiest)
	}
}

func TestWaitQuietGivesUpAtTheLimit(t *testing.T) {
	m := &fakeMachine{busy: []float64{0.6}}
	o, err := waitQuiet(context.Background(), 2*time.Second, m.sample, m.sleep)
	if err != nil {
		t.Fatal(err)
	}
	if o.quiet || o.waited != 2*time.Second || o.busy < 0.59 || !strings.HasPrefix(o.busiest, "vacuum[7]") {
		t.Fatalf("got %+v, want not quiet after the 2 s limit", o)
	}
}

func TestWaitQuietStopsWithTheContext(t *testing.T) {
	m := &fakeMachine{busy: []float64{0.9}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := waitQuiet(ctx, time.Minute, m.sample, func(ctx context.Context, d time.Duration) bool { return sleepCtx(ctx, d) })
	if err == nil {
		t.Fatal("no error after the context ended")
	}
}
