package scenario

import (
	"context"
	"fmt"
	"math"
	"time"

	"burndown/bench/burndown"
	"burndown/bench/loadgen"
	"burndown/bench/report"
)

// BreakdownTable is the title of the table of where the time of a phase
// that writes went (the ingest scenario's phases, mixed), read from the
// server's own histograms.
const BreakdownTable = "p99 breakdown (server /metrics, from the end of the warm-up to the end of the phase)"

// breakdownColumns are the table's columns: p99 and mean of each stage a
// write passes and of the check handler (a proposal's whole time is per
// proposal, as the HTTP route's is per request, so the two p99s compare:
// roughly, the gap is the handler's own time; it is recorded on the leader
// only and includes the node's own few commands; the stages after it are
// per entry or batch), how long the server's goroutines
// waited for a CPU, then the garbage collector's share.
var breakdownColumns = []string{"phase", "events", "HTTP /v1/ingest p99 / mean ms",
	"proposal, queue to result p99 / mean ms", "propose wait p99 / mean ms",
	"raft commit p99 / mean ms", "apply (per batch) p99 / mean ms", "HTTP check p99 / mean ms",
	"goroutine waits for a CPU p99 ms", "GC pauses", "GC pause p99 / total ms",
	"server CPU s (GC's)", "allocs / event", "bytes / event"}

// scrapeBurndown reads /metrics of every Burndown node the run drives and adds
// them up; nil when there is none to read.
func (e *Env) scrapeBurndown(ctx context.Context) burndown.Scrape {
	var sum burndown.Scrape
	for _, c := range e.burndownClients() {
		s, err := c.Scrape(ctx)
		if err != nil {
			e.logf("  metrics: %v", err)
			return nil
		}
		if sum == nil {
			sum = burndown.Scrape{}
		}
		for k, v := range s {
			sum[k] += v
		}
	}
	return sum
}

// burndownClients are the clients of the shared local cluster's nodes, or of
// the --target server.
func (e *Env) burndownClients() []*burndown.Client {
	if e.shared != nil {
		var cs []*burndown.Client
		for _, n := range e.shared.cluster.Nodes {
			cs = append(cs, n.Client)
		}
		return cs
	}
	if e.targetClient != nil {
		return []*burndown.Client{e.targetClient}
	}
	return nil
}

// pendingScrape is a scrape taken once a phase's warm-up is over.
type pendingScrape struct {
	done chan struct{}
	s    burndown.Scrape
}

// scrapeAfterWarmup scrapes the Burndown nodes after warmup, in the
// background, so the delta covers the recorded part of a phase.
func (e *Env) scrapeAfterWarmup(ctx context.Context, warmup time.Duration) *pendingScrape {
	p := &pendingScrape{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		select {
		case <-time.After(warmup):
			p.s = e.scrapeBurndown(ctx)
		case <-ctx.Done():
		}
	}()
	return p
}

// addBreakdown adds one row for phase to out's breakdown table: the delta of
// each latency histogram between before and now, and GC and allocation
// figures per acknowledged event.
func (e *Env) addBreakdown(ctx context.Context, out *report.Scenario, phase string, before *pendingScrape, events float64) {
	<-before.done
	after := e.scrapeBurndown(ctx)
	if before.s == nil || after == nil {
		return
	}
	row := breakdownRow(phase, after.Sub(before.s), events)
	for i := range out.Tables {
		if out.Tables[i].Title == BreakdownTable {
			out.Tables[i].Rows = append(out.Tables[i].Rows, row)
			return
		}
	}
	out.Tables = append(out.Tables, report.Table{Title: BreakdownTable, Columns: breakdownColumns, Rows: [][]string{row}})
}

// breakdownRow renders one phase's deltas.
func breakdownRow(phase string, d burndown.Scrape, events float64) []string {
	stage := func(name string, filters ...string) string {
		h := d.Histogram(name, filters...)
		if h.Count <= 0 {
			return "—"
		}
		return fmt.Sprintf("%s / %s", ms(h.Quantile(0.99)), ms(h.Mean()))
	}
	p99Only := func(name string) string {
		if h := d.Histogram(name); h.Count > 0 {
			return ms(h.Quantile(0.99))
		}
		return "—"
	}
	gc := d.Histogram("go_gc_pauses_seconds")
	perEvent := func(series string) string {
		if events <= 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", d[series]/events)
	}
	pauses := "—"
	if gc.Count > 0 {
		pauses = fmt.Sprintf("%s / %s", ms(gc.Quantile(0.99)), ms(d["go_gc_duration_seconds_sum"]))
	}
	return []string{phase, fmt.Sprintf("%.0f", events),
		stage("burndown_http_request_duration_seconds", `route="/v1/ingest"`),
		stage("burndown_propose_duration_seconds"),
		stage("burndown_propose_wait_seconds"),
		stage("burndown_raft_commit_duration_seconds"),
		stage("burndown_apply_duration_seconds"),
		stage("burndown_http_request_duration_seconds", `route="/v1/entitlements/check"`),
		p99Only("go_sched_latencies_seconds"), // the runtime's histograms have no sum
		fmt.Sprintf("%.0f", gc.Count),
		pauses,
		fmt.Sprintf("%.2f (%.2f)", d["process_cpu_seconds_total"], d["go_gc_cpu_seconds_total"]),
		perEvent("go_memstats_mallocs_total"),
		perEvent("go_memstats_alloc_bytes_total"),
	}
}

// ms renders seconds as milliseconds.
func ms(s float64) string {
	if math.IsNaN(s) {
		return "—"
	}
	return fmt.Sprintf("%.3f", s*1000)
}

// runBreakdown runs jobs like runJobs; against Burndown it also adds the
// phase's row of the breakdown table, per event of the jobs that ingest.
func (e *Env) runBreakdown(ctx context.Context, out *report.Scenario, system, phase string, jobs []job) ([]*loadgen.Result, error) {
	if system != e.Burndown || len(jobs) == 0 {
		return e.runJobs(ctx, out, system, jobs...)
	}
	e.settleBefore(ctx, out, system, jobs)
	before := e.scrapeAfterWarmup(ctx, jobs[0].cfg.Warmup)
	res, err := e.runSettled(ctx, out, system, jobs...)
	events := 0.0
	for i, j := range jobs {
		if j.op == "ingest" && i < len(res) && res[i] != nil {
			events += float64(res[i].Units)
		}
	}
	e.addBreakdown(ctx, out, phase, before, events)
	return res, err
}
