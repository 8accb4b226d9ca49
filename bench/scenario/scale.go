package scenario

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"burndown/bench/burndown"
	"burndown/bench/launch"
	"burndown/bench/loadgen"
	"burndown/bench/report"
	"burndown/bench/target"
)

// scale: state size. For each step, a fresh single node gets N customers (one
// contract each with --scale-commits prepaid commits); it reports resident memory
// per customer, the time of a snapshot and the check latency while it is taken,
// and the time to come back after a kill -9 (restore from snapshot + log).
func scale() Scenario {
	return Scenario{
		Name: "scale",
		Description: "For each of --scale-steps customer counts: a fresh single node, N customers with one contract each; " +
			"RSS per customer, POST /v1/cluster/snapshot time and check/ingest latency while it runs, " +
			"and time from SIGKILL + restart to a correct answer.",
		Run: runScale,
	}
}

// heapMetric is read from the node's /metrics when it exports it.
const heapMetric = "go_memstats_heap_inuse_bytes"

func runScale(ctx context.Context, env *Env, out *report.Scenario) error {
	tbl := report.Table{Title: "state size", Columns: []string{"customers", "setup /s", "RSS empty MiB", "RSS loaded MiB",
		"bytes/customer", "snapshot ms", "snapshots on disk MiB", "check max ms during snapshot", "ingest max ms during snapshot", "restart to ready ms"}}
	for _, n := range env.Opts.ScaleSteps {
		row, err := env.scaleStep(ctx, out, n)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			out.Note(fmt.Sprintf("%d customers: %v", n, err))
			break
		}
		tbl.Rows = append(tbl.Rows, row)
	}
	out.Tables = append(out.Tables, tbl)
	out.Note("RSS is the server process's resident set (Go heap including garbage not yet collected, Raft log cache, " +
		"runtime), read from /proc after setup; bytes/customer = (loaded − empty) / N, an upper bound on the state itself.")
	return nil
}

func (e *Env) scaleStep(ctx context.Context, out *report.Scenario, n int) ([]string, error) {
	e.logf("scale: %d customers", n)
	cust := target.NewCustomers(fmt.Sprintf("%ss%d", e.Customers.Run, n), n)
	bin, err := e.Binary(ctx)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(e.TmpDir, fmt.Sprintf("scale-%d", n))
	c, err := burndown.StartCluster(ctx, bin, dir, e.Token, 1)
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	node := c.Nodes[0]
	time.Sleep(500 * time.Millisecond)
	rss0, err := launch.RSS(node.Proc.Pid())
	if err != nil {
		return nil, err
	}
	heap0, heapOK := node.Client.Metric(ctx, heapMetric)
	start := time.Now()
	so := burndown.SetupOptions{Commits: e.Opts.ScaleCommits, Conns: e.Opts.ScaleConns}
	so.Progress = func(d int) { e.logf("  setup: %d/%d (%.0f/s)", d, n, float64(d)/time.Since(start).Seconds()) }
	cat, _, err := burndown.Setup(ctx, node.Client, cust, so)
	if err != nil {
		return nil, err
	}
	setupRate := float64(n) / time.Since(start).Seconds()
	time.Sleep(2 * time.Second) // let the runtime settle after the burst
	rss1, err := launch.RSS(node.Proc.Pid())
	if err != nil {
		return nil, err
	}
	perCust := float64(rss1-rss0) / float64(n)
	label := fmt.Sprintf("%d", n)
	out.Figure("RSS per customer @"+label, perCust, "bytes", fmt.Sprintf("%d commits per contract", e.Opts.ScaleCommits))
	if heap1, ok := node.Client.Metric(ctx, heapMetric); ok && heapOK {
		out.Figure("Go heap in use per customer @"+label, (heap1-heap0)/float64(n), "bytes", heapMetric+" from /metrics, before and after setup")
	}

	// Snapshot while a light open-loop check and ingest load runs.
	ht, err := e.httpTarget("burndown", "", node.URL(), cat, cust, 8)
	if err != nil {
		return nil, err
	}
	defer ht.Close()
	snapMS := -1.0
	loadCtx, stopLoad := context.WithCancel(ctx)
	type lr struct {
		r  *loadgen.Result
		op string
	}
	results := make(chan lr, 2)
	loadFor := 3*time.Second + 30*time.Second // cut short once the snapshot is done
	for _, op := range []string{"check", "ingest"} {
		cfg := loadgen.Config{Workers: 4, Rate: 2000, Duration: loadFor, Label: "scale " + label + " " + op}
		f := e.checkOps(ht, n)
		if op == "ingest" {
			cfg.Rate = 100
			f = e.ingestOps(ht, n, nil)
		}
		go func(op string) {
			r, _ := loadgen.Run(loadCtx, cfg, f)
			results <- lr{r, op}
		}(op)
	}
	time.Sleep(time.Second)
	ss := time.Now()
	if err := node.Client.Snapshot(ctx); err != nil {
		out.Note(fmt.Sprintf("snapshot @%s failed: %v", label, err))
	} else {
		snapMS = time.Since(ss).Seconds() * 1000
	}
	time.Sleep(time.Second)
	stopLoad()
	maxLat := map[string]float64{}
	for i := 0; i < 2; i++ {
		r := <-results
		if r.r != nil {
			out.Add("burndown", "during snapshot @"+label, r.op, r.r)
			maxLat[r.op] = r.r.Latency.Max
		}
	}
	out.Figure("snapshot time @"+label, snapMS, "ms", "POST /v1/cluster/snapshot round trip")
	snapBytes := dirSize(filepath.Join(node.DataDir), "snap")

	// Kill -9 and restart: restore from the snapshot plus the log tail.
	node.Proc.Kill()
	rs := time.Now()
	restartMS := -1.0
	if err := c.Start(ctx, 0); err != nil {
		out.Note(fmt.Sprintf("restart @%s failed: %v", label, err))
	} else if err := waitCheck(ctx, node.Client, cust.Key(n-1), cat.ProductID, 120*time.Second); err != nil {
		out.Note(fmt.Sprintf("after restart @%s: %v", label, err))
	} else {
		restartMS = time.Since(rs).Seconds() * 1000
	}
	out.Figure("restart to correct answer @"+label, restartMS, "ms", "SIGKILL, same command line, until the last customer's check answers entitled")
	return []string{label, fmt.Sprintf("%.0f", setupRate), mib(rss0), mib(rss1), fmt.Sprintf("%.0f", perCust),
		fmt.Sprintf("%.0f", snapMS), mib(snapBytes), fmt.Sprintf("%.2f", maxLat["check"]), fmt.Sprintf("%.2f", maxLat["ingest"]),
		fmt.Sprintf("%.0f", restartMS)}, nil
}

// waitCheck polls a check until it answers entitled.
func waitCheck(ctx context.Context, c *burndown.Client, customer, product string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		e, err := c.Check(ctx, customer, product)
		if err == nil && e.Entitled {
			return nil
		}
		last = fmt.Errorf("check: %+v %v", e, err)
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no correct answer within %v: %w", timeout, last)
}

// dirSize sums the sizes of files under dir whose path contains part.
func dirSize(dir, part string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, part) {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func mib(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
