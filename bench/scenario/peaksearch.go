package scenario

import (
	"context"
	"fmt"
	"strings"
	"time"

	"burndown/bench/loadgen"
	"burndown/bench/report"
)

// peakGain is how much more throughput a doubling of closed-loop workers
// must bring for the search to keep the larger count: less than that is
// noise on a shared machine, and more workers only lengthen the queue.
const peakGain = 0.10

// minProbe is the shortest recorded window of a search probe.
const minProbe = time.Second

// peakWorkers finds how many closed-loop workers give a system its peak. A
// system that acknowledges a write only once it is durable is bound by how
// many requests are in flight until its CPU is; a system that is CPU-bound
// from the start gains nothing from more. So every system gets the same
// search: from start the workers double, up to limit, while a doubling
// raises throughput by peakGain. The probes are short and not recorded; the
// caller measures the peak again at the count found, so the figure is not
// the best of several noisy samples. The search is noted in out.
func (e *Env) peakWorkers(ctx context.Context, out *report.Scenario, system string, start, limit int, probe func(workers int) job) int {
	if limit <= start {
		return start
	}
	best, bestRate := start, 0.0
	var tried []string
	for w := start; w <= limit && ctx.Err() == nil; w *= 2 {
		r, err := e.runProbe(ctx, out, system, probe(w))
		if err != nil || r == nil || r.Ops == 0 {
			tried = append(tried, fmt.Sprintf("%d failed: %s", w, errText(err, r)))
			break
		}
		tried = append(tried, fmt.Sprintf("%d → %.0f/s", w, r.UnitsPerSec))
		if bestRate > 0 && r.UnitsPerSec < bestRate*(1+peakGain) {
			break
		}
		best, bestRate = w, r.UnitsPerSec
	}
	out.Note(fmt.Sprintf("%s: closed-loop workers searched (probes of %s, not recorded): %s; the peak phase uses %d",
		system, e.probeConfig(start).Duration, strings.Join(tried, ", "), best))
	return best
}

// runProbe runs one short, unrecorded closed-loop phase of j.
func (e *Env) runProbe(ctx context.Context, out *report.Scenario, system string, j job) (*loadgen.Result, error) {
	e.settle(ctx, out, out.Name+" "+system+" probe")
	cfg := e.probeConfig(j.cfg.Workers)
	cfg.Label = fmt.Sprintf("%s %s probe %d workers %s", out.Name, system, j.cfg.Workers, j.op)
	r, err := loadgen.Run(ctx, cfg, j.factory)
	if r != nil {
		e.logf("  %-16s probe %3d workers %9.0f unit/s  p99 %7.3f ms  err %d", system, cfg.Workers, r.UnitsPerSec, r.Latency.P99, r.Errors)
	}
	return r, err
}

// probeConfig is a closed loop of workers for half a phase, at least a second.
func (e *Env) probeConfig(workers int) loadgen.Config {
	c := e.closed(workers)
	c.Duration = max(c.Duration/2, minProbe)
	return c
}
