package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"burndown/bench/loadgen"
	"burndown/bench/report"
)

// job is one load generator run inside a phase.
type job struct {
	name    string // phase name in the report
	op      string // "check" or "ingest"
	cfg     loadgen.Config
	factory loadgen.OpFactory
}

// runJobs runs jobs at the same time against one system and records every result
// in out under that system's name. It returns the results in the jobs' order.
func (e *Env) runJobs(ctx context.Context, out *report.Scenario, system string, jobs ...job) ([]*loadgen.Result, error) {
	e.settleBefore(ctx, out, system, jobs)
	return e.runSettled(ctx, out, system, jobs...)
}

// settleBefore waits for a quiet machine (quiet.go) before the phase of jobs.
func (e *Env) settleBefore(ctx context.Context, out *report.Scenario, system string, jobs []job) {
	if len(jobs) > 0 {
		e.settle(ctx, out, out.Name+" "+system+" "+jobs[0].name)
	}
}

// runSettled is runJobs once the machine is quiet: a caller that times
// something from the phase's start (a scrape after the warm-up, a kill)
// settles first, then starts its clock, then calls this.
func (e *Env) runSettled(ctx context.Context, out *report.Scenario, system string, jobs ...job) ([]*loadgen.Result, error) {
	res := make([]*loadgen.Result, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.cfg.Label == "" {
			j.cfg.Label = out.Name + " " + system + " " + j.name + " " + j.op
		}
		if j.cfg.Progress == nil && i == 0 {
			j.cfg.Progress = e.Progress
		}
		wg.Add(1)
		go func(i int, j job) {
			defer wg.Done()
			res[i], errs[i] = loadgen.Run(ctx, j.cfg, j.factory)
		}(i, j)
	}
	wg.Wait()
	for i, j := range jobs {
		out.Add(system, j.name, j.op, res[i])
		if r := res[i]; r != nil {
			e.logf("  %-16s %-10s %-6s %s %9.0f op/s %10.0f unit/s  p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  err %d unsent %d",
				system, j.name, j.op, r.Mode, r.OpsPerSec, r.UnitsPerSec, r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Errors, r.Unsent)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("%s %s: %w", out.Name, system, err)
	}
	return res, nil
}

// closed returns a closed-loop config with the scenario's timings.
func (e *Env) closed(workers int) loadgen.Config {
	return loadgen.Config{Workers: workers, Warmup: e.Opts.Warmup, Duration: e.Opts.Duration}
}

// open returns an open-loop config at rate operations/s.
func (e *Env) open(workers int, rate float64) loadgen.Config {
	c := e.closed(workers)
	c.Rate = rate
	return c
}

// levelName names an open-loop level, e.g. "open 50%".
func levelName(l float64) string { return fmt.Sprintf("open %.0f%%", l*100) }
