package scenario

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"burndown/bench/launch"
	"burndown/bench/report"
)

// A phase starts once the machine's CPUs have been under quietBusy busy for
// a whole quietWindow: the load generator and every system share this
// machine, so work a previous phase left running (a database flushing or
// vacuuming what it just ingested, a stopped cluster's nodes exiting) would
// otherwise be measured as the next system's latency.
const (
	quietBusy   = 0.15
	quietWindow = 500 * time.Millisecond
)

// quietOutcome is what one wait for a quiet machine saw.
type quietOutcome struct {
	waited time.Duration
	quiet  bool    // false: the limit passed first
	busy   float64 // busy fraction of the last window
	// busiest names the processes that used the most CPU in the last
	// window, with their share of one CPU.
	busiest string
}

// waitQuiet waits up to limit for a quiet window; sample reads the
// machine's CPU times (injected for tests), sleep waits one window.
func waitQuiet(ctx context.Context, limit time.Duration, sample func() (launch.CPUTimes, launch.ProcessTimes, error), sleep func(context.Context, time.Duration) bool) (quietOutcome, error) {
	var o quietOutcome
	cpu0, procs0, err := sample()
	if err != nil {
		return o, err
	}
	for {
		if !sleep(ctx, quietWindow) {
			return o, ctx.Err()
		}
		o.waited += quietWindow
		cpu1, procs1, err := sample()
		if err != nil {
			return o, err
		}
		o.busy = cpu1.BusySince(cpu0)
		if o.busy < quietBusy {
			o.quiet = true
			return o, nil
		}
		o.busiest = describeBusiest(procs1.Busiest(procs0, 3), cpu1.Total-cpu0.Total, runtime.NumCPU())
		if o.waited >= limit {
			return o, nil
		}
		cpu0, procs0 = cpu1, procs1
	}
}

// describeBusiest renders processes' ticks as shares of one CPU, given the
// ticks all cpus CPUs counted over the same window.
func describeBusiest(ps []launch.ProcessTime, totalTicks uint64, cpus int) string {
	if totalTicks == 0 || cpus < 1 {
		return ""
	}
	perCPU := float64(totalTicks) / float64(cpus)
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", p.Name, 100*float64(p.Ticks)/perCPU))
	}
	return strings.Join(parts, ", ")
}

// sampleMachine reads the machine's and every process's CPU times.
func sampleMachine() (launch.CPUTimes, launch.ProcessTimes, error) {
	cpu, err := launch.ReadCPUTimes()
	if err != nil {
		return cpu, nil, err
	}
	procs, err := launch.ReadProcessTimes()
	return cpu, procs, err
}

// sleepCtx sleeps for d unless ctx ends first (false then).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// settle waits for a quiet machine before the phase named label (up to
// --quiet-wait) and notes in out any wait longer than one window, with the
// processes that kept the machine busy.
func (e *Env) settle(ctx context.Context, out *report.Scenario, label string) {
	if e.Opts.QuietWait <= 0 {
		return
	}
	o, err := waitQuiet(ctx, e.Opts.QuietWait, sampleMachine, sleepCtx)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			out.Note(fmt.Sprintf("before %s: could not read CPU times (%v); the phase started at once", label, err))
		}
	case !o.quiet:
		msg := fmt.Sprintf("before %s: the machine was still %.0f%% busy after %v (%s); the phase ran anyway", label, 100*o.busy, o.waited, o.busiest)
		e.logf("  %s", msg)
		out.Note(msg)
	case o.waited > quietWindow:
		msg := fmt.Sprintf("before %s: waited %.1f s for the machine to go quiet (busiest before: %s)", label, o.waited.Seconds(), o.busiest)
		e.logf("  %s", msg)
		out.Note(msg)
	}
}
