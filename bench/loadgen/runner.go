package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Op performs one operation (one HTTP request, one Redis call) and returns how many
// units of work it carried: 1 for a check, the number of events for an ingest batch.
type Op func(ctx context.Context) (units int, err error)

// OpFactory builds the Op of one worker. It is called once per worker, so an Op may
// keep its own buffers and random source without locking.
type OpFactory func(worker int) (Op, error)

// Config describes one load phase.
type Config struct {
	Label    string        // shown in progress lines and results
	Workers  int           // concurrent workers, each with its own connection
	Rate     float64       // offered operations/s; 0 runs closed-loop
	Warmup   time.Duration // run but do not record for this long first
	Duration time.Duration // then record for this long
	Progress io.Writer     // once-per-second progress line; nil for none
	// Now returns the current time; nil means time.Now. Tests may replace it.
	Now func() time.Time
}

// Sample is one second (or the final partial second) of a phase.
type Sample struct {
	T           float64 `json:"t_s"` // end of the interval, seconds since recording began
	Ops         int64   `json:"ops"`
	Units       int64   `json:"units"`
	Errors      int64   `json:"errors"`
	OpsPerSec   float64 `json:"ops_per_s"`
	UnitsPerSec float64 `json:"units_per_s"`
	P50         float64 `json:"p50_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
}

// Result is everything measured in one phase.
type Result struct {
	Label       string           `json:"label"`
	Mode        string           `json:"mode"` // "closed" or "open"
	OfferedRate float64          `json:"offered_rate,omitempty"`
	Workers     int              `json:"workers"`
	Seconds     float64          `json:"seconds"`
	Ops         int64            `json:"ops"`
	Units       int64            `json:"units"`
	Errors      int64            `json:"errors"`
	Unsent      int64            `json:"unsent,omitempty"` // open loop: due in the window but never started
	OpsPerSec   float64          `json:"ops_per_s"`
	UnitsPerSec float64          `json:"units_per_s"`
	Latency     Latency          `json:"latency"`
	ErrorKinds  map[string]int64 `json:"error_kinds,omitempty"`
	Timeline    []Sample         `json:"timeline"`

	// Hist is the full latency histogram in microseconds (not serialised).
	Hist *hdrhistogram.Histogram `json:"-"`
}

// Mode returns "open" for a positive rate and "closed" otherwise.
func (c Config) Mode() string {
	if c.Rate > 0 {
		return "open"
	}
	return "closed"
}

// Run drives the phase to completion and returns its result. If ctx is cancelled
// it stops early and returns what was measured until then (rates over the time it
// really ran) together with ctx's error.
func Run(ctx context.Context, cfg Config, factory OpFactory) (*Result, error) {
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("loadgen %s: need at least one worker", cfg.Label)
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("loadgen %s: duration must be positive", cfg.Label)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	ops := make([]Op, cfg.Workers)
	for i := range ops {
		op, err := factory(i)
		if err != nil {
			return nil, fmt.Errorf("loadgen %s: worker %d: %w", cfg.Label, i, err)
		}
		ops[i] = op
	}

	start := now()
	measureStart := start.Add(cfg.Warmup)
	end := measureStart.Add(cfg.Duration)
	sched := Schedule{Start: start, Rate: cfg.Rate}
	open := cfg.Rate > 0
	col := newCollector(cfg.Workers)
	var ticket atomic.Uint64

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func(rec *workerRec, op Op) {
			defer wg.Done()
			for runCtx.Err() == nil {
				var intended time.Time
				if open {
					intended = sched.Due(ticket.Add(1) - 1)
					if !intended.Before(end) {
						return
					}
					if !sleepUntil(runCtx, now, intended) {
						return
					}
				} else {
					intended = now()
				}
				if !now().Before(end) {
					return // an overdue ticket not started by the end stays unsent
				}
				units, err := op(runCtx)
				done := now()
				if intended.Before(measureStart) {
					continue // warm-up
				}
				if err != nil && runCtx.Err() != nil && errors.Is(err, context.Canceled) {
					return
				}
				rec.record(done.Sub(intended), units, err)
			}
		}(col.workers[i], ops[i])
	}

	res := &Result{Label: cfg.Label, Mode: cfg.Mode(), Workers: cfg.Workers}
	if open {
		res.OfferedRate = cfg.Rate
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	lastT := measureStart
	emit := func(t time.Time, final bool) {
		if !final && !t.After(measureStart) {
			// Nothing is recorded during warm-up; what completes right after
			// its end goes into the first second.
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "[%s] warming up %.0fs\n", cfg.Label, t.Sub(start).Seconds())
			}
			return
		}
		tl := col.collect()
		if t.After(end) {
			t = end
		}
		secs := t.Sub(lastT).Seconds()
		if final && secs < 0.5 && len(res.Timeline) > 0 {
			// A short tail would plot as a spike: fold its counts into the last second.
			last := &res.Timeline[len(res.Timeline)-1]
			last.Ops += tl.ops
			last.Units += tl.units
			last.Errors += tl.errs
			return
		}
		if secs <= 0 {
			if tl.ops == 0 && tl.errs == 0 {
				return
			}
			secs = 1e-3
		}
		lat := Summarize(tl.hist)
		s := Sample{
			T: t.Sub(measureStart).Seconds(), Ops: tl.ops, Units: tl.units, Errors: tl.errs,
			OpsPerSec: float64(tl.ops) / secs, UnitsPerSec: float64(tl.units) / secs,
			P50: lat.P50, P99: lat.P99, Max: lat.Max,
		}
		res.Timeline = append(res.Timeline, s)
		lastT = t
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "[%s] t=%4.0fs %10.0f op/s %11.0f unit/s err=%d p50=%.3fms p99=%.3fms max=%.2fms\n",
				cfg.Label, s.T, s.OpsPerSec, s.UnitsPerSec, s.Errors, s.P50, s.P99, s.Max)
		}
	}
	// Ticks fall every second from the start during warm-up, then every second
	// from the start of recording, so each sample covers a whole second.
	next := func(t time.Time) time.Time {
		if t.Before(measureStart) {
			n := start.Add(t.Sub(start).Truncate(time.Second) + time.Second)
			if n.After(measureStart) {
				n = measureStart
			}
			return n
		}
		return measureStart.Add(t.Sub(measureStart).Truncate(time.Second) + time.Second)
	}
	tickAt := next(start)
	timer := time.NewTimer(tickAt.Sub(now()))
	defer timer.Stop()
loop:
	for {
		select {
		case <-finished:
			break loop
		case <-ctx.Done():
			cancel()
			<-finished
			break loop
		case <-timer.C:
			emit(tickAt, false)
			tickAt = next(tickAt)
			timer.Reset(tickAt.Sub(now()))
		}
	}
	emit(now(), true)

	// A phase cut short by ctx is judged over the time it really ran.
	stop := end
	if ctx.Err() != nil {
		if t := now(); t.Before(end) {
			stop = t
		}
	}
	res.Seconds = stop.Sub(measureStart).Seconds()
	res.Ops, res.Units, res.Errors = col.ops, col.units, col.errs
	if res.Seconds > 0 {
		res.OpsPerSec = float64(res.Ops) / res.Seconds
		res.UnitsPerSec = float64(res.Units) / res.Seconds
	}
	res.Hist = col.total
	res.Latency = Summarize(col.total)
	if len(col.kinds) > 0 {
		res.ErrorKinds = col.kinds
	}
	if open && stop.After(measureStart) {
		due := int64(sched.DueBy(stop.Add(-time.Nanosecond))) - int64(sched.DueBy(measureStart.Add(-time.Nanosecond)))
		if u := due - res.Ops - res.Errors; u > 0 {
			res.Unsent = u
		}
	}
	return res, ctx.Err()
}

// sleepUntil waits until t (by the given clock) or until ctx ends; it reports
// whether t was reached.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) bool {
	d := t.Sub(now())
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
