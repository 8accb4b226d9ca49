package scenario

import (
	"context"
	"fmt"

	"burndown/bench/report"
	"burndown/bench/target"
)

// mixed: the realistic blend — checks and ingest at fixed offered rates at once.
func mixed() Scenario {
	return Scenario{
		Name: "mixed",
		Description: "Entitlement checks and ingest batches together, both open loop at fixed offered rates " +
			"(--mixed-checks checks/s, --mixed-events events/s), the same for every system.",
		Shared: true,
		Run: func(ctx context.Context, env *Env, out *report.Scenario) error {
			before := env.forwardedSoFar(ctx)
			for _, t := range env.Systems {
				env.logf("mixed: %s (%s)", t.Name(), t.Via())
				if _, err := env.runBreakdown(ctx, out, t.Name(), "mixed", env.mixedJobs(t, env.Customers.N, nil)); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					out.Note(err.Error())
				}
			}
			out.Note(fmt.Sprintf("offered: %.0f checks/s and %.0f events/s (%d-event batches)",
				env.Opts.MixedChecks, env.Opts.MixedEvents, env.Opts.Batch))
			env.noteForwarded(ctx, out, before)
			return nil
		},
	}
}

// mixedJobs returns the two open-loop jobs of the mixed blend against t.
func (e *Env) mixedJobs(t target.Target, customers int, hooks *ingestHooks) []job {
	return []job{
		{name: "mixed", op: "check", cfg: e.open(e.Opts.Conns, e.Opts.MixedChecks), factory: e.checkOps(t, customers)},
		{name: "mixed", op: "ingest", cfg: e.open(e.Opts.IngestConns, e.Opts.MixedEvents/float64(e.Opts.Batch)), factory: e.ingestOps(t, customers, hooks)},
	}
}
