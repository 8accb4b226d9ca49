package scenario

import (
	"context"
	"fmt"

	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// spread: write throughput of a 3-node cluster when clients send their
// writes to every node, not only the leader (followers forward them), for
// the targets' comparison with the ingest scenario's single node.
func spread() Scenario {
	return Scenario{
		Name: report.SpreadScenario,
		Description: "A fresh local 3-node cluster with the run's customers; POST /v1/ingest closed loop, its workers " +
			"(searched like the ingest scenario's) spread over all three nodes (followers forward writes to the leader). Its peak is compared with the " +
			"single node's peak of scenario ingest in the targets.",
		Run: runSpread,
	}
}

func runSpread(ctx context.Context, env *Env, out *report.Scenario) error {
	if env.Opts.Nodes > 1 {
		out.Note(fmt.Sprintf("skipped: with --nodes %d the ingest scenario already spreads writes over a cluster, "+
			"so there is no single-node peak to compare with", env.Opts.Nodes))
		return nil
	}
	cust := target.NewCustomers(env.Customers.Run+"sp", env.Opts.Customers)
	env.logf("spread: starting 3 nodes and setting up %d customers", cust.N)
	l, err := env.startLocal(ctx, "spread", 3, cust, burndown.SetupOptions{Price: Price, Amount: Balance})
	if err != nil {
		return err
	}
	defer l.cluster.Stop()
	limit := max(env.Opts.IngestConns, env.Opts.MaxIngestConns)
	mt, err := env.multiTarget(report.SpreadSystem, l, limit+4)
	if err != nil {
		return err
	}
	defer mt.Close()
	spreadJob := func(workers int) job {
		return job{name: "peak", op: "ingest", cfg: env.closed(workers), factory: env.ingestOps(mt, cust.N, nil)}
	}
	workers := env.peakWorkers(ctx, out, report.SpreadSystem, env.Opts.IngestConns, limit, spreadJob)
	res, err := env.runJobs(ctx, out, report.SpreadSystem, spreadJob(workers))
	if err != nil {
		return err
	}
	if res[0] == nil || res[0].Ops == 0 {
		return fmt.Errorf("spread: no write succeeded: %s", errText(nil, res[0]))
	}
	out.Note(fmt.Sprintf("%d ingest workers, one keep-alive connection each, spread round-robin over the 3 nodes", workers))
	if err := env.leaderOnlyPeak(ctx, out, l, workers); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The spread peak above stands; only the diagnostic is lost.
		out.Note(fmt.Sprintf("phase %s: %v", report.PhaseLeaderOnly, err))
	}
	return nil
}

// leaderOnlyPeak runs the same closed loop with every worker on the leader,
// so the report can tell what forwarding costs from what replication does.
// A leader that changed during the phase makes it meaningless: it is then
// an error, not a figure.
func (e *Env) leaderOnlyPeak(ctx context.Context, out *report.Scenario, l *local, workers int) error {
	li, err := l.cluster.Leader(ctx)
	if err != nil {
		return fmt.Errorf("find the leader: %w", err)
	}
	ht, err := e.httpTarget(report.SpreadSystem, "", l.cluster.Nodes[li].URL(), l.catalog, l.cust, workers+4)
	if err != nil {
		return err
	}
	defer ht.Close()
	j := job{name: report.PhaseLeaderOnly, op: "ingest", cfg: e.closed(workers), factory: e.ingestOps(ht, l.cust.N, nil)}
	res, err := e.runJobs(ctx, out, report.SpreadSystem, j)
	if err != nil {
		return err
	}
	if res[0] == nil || res[0].Ops == 0 {
		return fmt.Errorf("no write succeeded: %s", errText(nil, res[0]))
	}
	if after, err := l.cluster.Leader(ctx); err != nil || after != li {
		return fmt.Errorf("the leader changed during the phase (was %s): its figure mixes in forwarded writes", l.cluster.Nodes[li].ID)
	}
	out.Note("phase " + report.PhaseLeaderOnly + ": the same workers, all sending to the leader (nothing forwarded)")
	return nil
}
