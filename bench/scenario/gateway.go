package scenario

import (
	"context"

	"burndown/bench/loadgen"
	"burndown/bench/report"
	"burndown/bench/target"
)

// gateway: what an API gateway does — an entitlement check on every request — with
// a trickle of usage ingest alongside, first closed-loop for the peak, then
// open-loop at fractions of that peak for latency against offered load.
func gateway() Scenario {
	return Scenario{
		Name: "gateway",
		Description: "Entitlement checks (GET /v1/entitlements/check, Zipf-chosen customers) with a trickle of " +
			"ingest: closed loop for peak throughput, then open loop at fractions of each system's own peak.",
		Shared: true,
		Run: func(ctx context.Context, env *Env, out *report.Scenario) error {
			return env.peakAndLevels(ctx, out, "check", env.Opts.Conns, env.Opts.Conns, func(t target.Target, workers int) job {
				return job{op: "check", cfg: env.closed(workers), factory: env.checkOps(t, env.Customers.N)}
			}, func(t target.Target, prefix string) []job {
				if env.Opts.Trickle <= 0 {
					return nil
				}
				return []job{{name: prefix + " trickle", op: "ingest", cfg: env.open(2, env.Opts.Trickle), factory: env.ingestOps(t, env.Customers.N, nil)}}
			})
		},
	}
}

// ingest: batches of events as fast as they are acknowledged, then at fractions of
// that peak.
func ingest() Scenario {
	return Scenario{
		Name: "ingest",
		Description: "POST /v1/ingest with batches of Zipf-chosen customers' events, each acknowledged only once " +
			"durable by the system's own rules: closed loop for peak events/s, then open loop at fractions of each system's peak.",
		Shared: true,
		Run: func(ctx context.Context, env *Env, out *report.Scenario) error {
			before := env.forwardedSoFar(ctx)
			err := env.peakAndLevels(ctx, out, "ingest", env.Opts.IngestConns, env.Opts.MaxIngestConns, func(t target.Target, workers int) job {
				return job{op: "ingest", cfg: env.closed(workers), factory: env.ingestOps(t, env.Customers.N, nil)}
			}, nil)
			env.noteForwarded(ctx, out, before)
			return err
		},
	}
}

// peakAndLevels runs, for every shared system, a closed-loop peak phase of main and
// then one open-loop phase per level, each with the background jobs; then it adds
// the comparisons of Burndown with the others. Each system's phases use the
// worker count between start and limit that gives it its peak (peakWorkers).
func (e *Env) peakAndLevels(ctx context.Context, out *report.Scenario, op string, start, limit int,
	main func(t target.Target, workers int) job, background func(t target.Target, prefix string) []job) error {
	for _, t := range e.Systems {
		e.logf("%s: %s (%s)", out.Name, t.Name(), t.Via())
		workers := e.peakWorkers(ctx, out, t.Name(), start, limit, func(w int) job { return main(t, w) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		jobs := func(j job, name string) []job {
			j.name = name
			js := []job{j}
			if background != nil {
				js = append(js, background(t, name)...)
			}
			return js
		}
		run := e.runBreakdown
		if op != "ingest" {
			run = func(ctx context.Context, out *report.Scenario, system, _ string, jobs []job) ([]*loadgen.Result, error) {
				return e.runJobs(ctx, out, system, jobs...)
			}
		}
		res, err := run(ctx, out, t.Name(), "peak", jobs(main(t, workers), "peak"))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || res[0].Ops == 0 {
			out.Note(t.Name() + ": peak phase failed, levels skipped: " + errText(err, res[0]))
			continue
		}
		peak := res[0].OpsPerSec
		for _, l := range e.Opts.Levels {
			j := main(t, workers)
			j.cfg.Rate = l * peak
			if _, err := run(ctx, out, t.Name(), levelName(l), jobs(j, levelName(l))); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				out.Note(t.Name() + " " + levelName(l) + ": " + err.Error())
			}
		}
	}
	e.compare(out, op)
	return nil
}
