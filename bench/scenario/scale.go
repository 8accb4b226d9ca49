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
		Description: "For each of --scale-steps customer counts: a fresh single node, N customers with one contract each " +
			"(the onboarding rate), then 2 alerts each; RSS and Go heap (after a forced GC) per customer, the same light " +
			"check/ingest load without and then during POST /v1/cluster/snapshot (round trip and the pause itself), " +
			"and time from SIGKILL + restart to a correct answer.",
		Run: runScale,
	}
}

// heapMetric is read from the node's /metrics right after a forced GC: the
// heap's spans in use, the figure held to the target (it counts the free
// slots in spans that still hold a live object). liveHeapMetric, read
// beside it, is the bytes of the live objects alone.
const (
	heapMetric     = "go_memstats_heap_inuse_bytes"
	liveHeapMetric = "go_memstats_heap_alloc_bytes"
)

// snapshotLoad is the light open-loop load that runs with and without a
// snapshot: checks/s and ingest requests/s.
const (
	snapshotChecks  = 2000
	snapshotIngests = 100
	// quietFor is how long the same load runs without a snapshot: its p99
	// is the denominator of the snapshot target, so it must not hang on a
	// few requests (3 s at 2000 checks/s made it the 60th slowest check,
	// which one hiccup of this machine set).
	quietFor = 10 * time.Second
	// snapshotPhaseMax bounds the phase during a snapshot, which ends when
	// the snapshot does: a paced writer takes about 27 s at 1M customers on
	// 2 cores, and the load must cover all of it.
	snapshotPhaseMax = 2 * time.Minute
)

func runScale(ctx context.Context, env *Env, out *report.Scenario) error {
	tbl := report.Table{Title: "state size", Columns: []string{"customers", "setup /s", "alerts /s", "RSS empty MiB", "RSS loaded MiB",
		"bytes/customer", "heap/customer after GC", "live heap/customer", "forced GC ms", "snapshot ms", "snapshot pause ms", "snapshots on disk MiB",
		"check max ms during snapshot", "ingest max ms during snapshot", "restart to ready ms"}}
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
	out.Note(fmt.Sprintf("setup /s is customers created with their contract per second by --scale-conns concurrent clients "+
		"(the onboarding figure); then each customer gets %d alerts (alerts /s). Heap/customer is %s after a forced GC "+
		"(GET /debug/pprof/heap?gc=1, admin token) once loaded, minus the same read on the empty node, over N; live heap/customer "+
		"is %s read the same way (the live objects alone). Forced GC ms is that GC's round trip: the mark work each of the "+
		"server's GC cycles repeats (at least every two minutes), which is what GC takes from the latencies at that size.",
		burndown.AlertsPerCustomer, heapMetric, liveHeapMetric))
	return nil
}

// heapRead is the node's heap right after a forced GC.
type heapRead struct {
	inuse, live float64       // heapMetric and liveHeapMetric
	gc          time.Duration // the forced GC's round trip: a full mark of the live heap
}

// liveHeap forces a GC on the node and reads its heap; ok is false when the
// node does not expose it.
func liveHeap(ctx context.Context, c *burndown.Client) (heapRead, bool) {
	start := time.Now()
	if err := c.ForceGC(ctx); err != nil {
		return heapRead{}, false
	}
	h := heapRead{gc: time.Since(start)}
	var ok1, ok2 bool
	h.inuse, ok1 = c.Metric(ctx, heapMetric)
	h.live, ok2 = c.Metric(ctx, liveHeapMetric)
	return h, ok1 && ok2
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
	heap0, heapOK := liveHeap(ctx, node.Client)
	start := time.Now()
	so := burndown.SetupOptions{Commits: e.Opts.ScaleCommits, Conns: e.Opts.ScaleConns}
	so.Progress = func(d int) { e.logf("  setup: %d/%d (%.0f/s)", d, n, float64(d)/time.Since(start).Seconds()) }
	// One connection per setup client: each request waits for its commit, so
	// the clients must not queue for connections.
	setup := burndown.NewClient(node.URL(), e.Token, e.Opts.ScaleConns)
	cat, ids, err := burndown.Setup(ctx, setup, cust, so)
	if err != nil {
		return nil, err
	}
	setupRate := float64(n) / time.Since(start).Seconds()
	label := fmt.Sprintf("%d", n)
	out.Figure(report.FigOnboarding+" @"+label, setupRate, "/s", fmt.Sprintf("customers created with a %d-commit contract, %d concurrent clients",
		e.Opts.ScaleCommits, e.Opts.ScaleConns))
	as := time.Now()
	aProgress := func(d int) { e.logf("  alerts: %d/%d customers (%.0f/s)", d, n, float64(d)/time.Since(as).Seconds()) }
	if err := burndown.AddAlerts(ctx, setup, cat, ids, e.Opts.ScaleConns, aProgress); err != nil {
		return nil, err
	}
	alertRate := float64(n*burndown.AlertsPerCustomer) / time.Since(as).Seconds()
	time.Sleep(2 * time.Second) // let the runtime settle after the burst
	rss1, err := launch.RSS(node.Proc.Pid())
	if err != nil {
		return nil, err
	}
	perCust := float64(rss1-rss0) / float64(n)
	out.Figure("RSS per customer @"+label, perCust, "bytes", fmt.Sprintf("%d commits per contract, %d alerts", e.Opts.ScaleCommits, burndown.AlertsPerCustomer))
	heapCell, liveCell, gcCell := "—", "—", "—"
	if heap1, ok := liveHeap(ctx, node.Client); ok && heapOK {
		perHeap := (heap1.inuse - heap0.inuse) / float64(n)
		perLive := (heap1.live - heap0.live) / float64(n)
		heapCell, liveCell = fmt.Sprintf("%.0f", perHeap), fmt.Sprintf("%.0f", perLive)
		gcCell = fmt.Sprintf("%.0f", heap1.gc.Seconds()*1000)
		out.Figure(report.FigHeapAfterGC+" @"+label, perHeap, "bytes", heapMetric+" after a forced GC, loaded minus empty")
		out.Figure("live heap per customer after forced GC @"+label, perLive, "bytes",
			liveHeapMetric+" after the same GC: the live objects alone, without the free slots of spans in use")
		out.Figure("forced GC @"+label, heap1.gc.Seconds()*1000, "ms",
			"round trip of GET /debug/pprof/heap?gc=1 once loaded: a full mark of the live heap, which every GC cycle repeats")
	}

	if err := e.webhookLatency(ctx, out, node.Client, cat, cust, ids, label); err != nil {
		out.Note(fmt.Sprintf("alert → webhook @%s: %v", label, err))
	}

	ht, err := e.httpTarget("burndown", "", node.URL(), cat, cust, 8)
	if err != nil {
		return nil, err
	}
	defer ht.Close()
	snap := e.snapshotUnderLoad(ctx, out, node.Client, ht, label, n)
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
	return []string{label, fmt.Sprintf("%.0f", setupRate), fmt.Sprintf("%.0f", alertRate), mib(rss0), mib(rss1), fmt.Sprintf("%.0f", perCust), heapCell, liveCell, gcCell,
		fmt.Sprintf("%.0f", snap.ms), fmt.Sprintf("%.2f", snap.pauseMS), mib(snapBytes), fmt.Sprintf("%.2f", snap.maxLat["check"]),
		fmt.Sprintf("%.2f", snap.maxLat["ingest"]), fmt.Sprintf("%.0f", restartMS)}, nil
}

// snapshotOutcome is what snapshotUnderLoad measured.
type snapshotOutcome struct {
	ms, pauseMS float64 // round trip and the state machine's pause; -1 unknown
	maxLat      map[string]float64
}

// snapshotUnderLoad runs a light open-loop check and ingest load first
// without a snapshot (phase "no snapshot @N"), then again while a snapshot
// is taken ("during snapshot @N"), and reads the snapshot's pause from
// burndown_snapshot_pause_seconds.
func (e *Env) snapshotUnderLoad(ctx context.Context, out *report.Scenario, c *burndown.Client, ht *target.HTTP, label string, n int) snapshotOutcome {
	o := snapshotOutcome{ms: -1, pauseMS: -1, maxLat: map[string]float64{}}
	counts := snapshotCounts(ctx, c)
	e.quietSnapshots(ctx, out, counts, label, "the phase without a snapshot")
	before, _, _ := counts()
	e.lightLoad(ctx, out, ht, report.PhaseNoSnapshot+" @"+label, n, quietFor, nil)
	if after, _, ok := counts(); ok && after > before {
		out.Note(fmt.Sprintf("@%s: raft began an automatic snapshot during the phase without one: that phase includes it", label))
	}
	e.quietSnapshots(ctx, out, counts, label, "the bench's snapshot")
	pause0, ok0 := c.Metric(ctx, "burndown_snapshot_pause_seconds_sum")
	o.maxLat = e.lightLoad(ctx, out, ht, report.PhaseDuringSnap+" @"+label, n, snapshotPhaseMax, func() {
		time.Sleep(time.Second)
		ss := time.Now()
		if err := c.Snapshot(ctx); err != nil {
			out.Note(fmt.Sprintf("snapshot @%s failed: %v", label, err))
		} else {
			o.ms = time.Since(ss).Seconds() * 1000
		}
		time.Sleep(time.Second)
	})
	if pause1, ok1 := c.Metric(ctx, "burndown_snapshot_pause_seconds_sum"); ok0 && ok1 && o.ms >= 0 {
		o.pauseMS = (pause1 - pause0) * 1000
		out.Figure(report.FigSnapshotPause+" @"+label, o.pauseMS, "ms", "burndown_snapshot_pause_seconds: the state machine paused for the copy-on-write capture")
	}
	out.Figure("snapshot time @"+label, o.ms, "ms", "POST /v1/cluster/snapshot round trip")
	return o
}

// quietSnapshots waits for a snapshot raft is writing on its own (it takes
// one every few minutes once enough entries are new, and a large state
// takes long to write) and notes how long it waited before what.
func (e *Env) quietSnapshots(ctx context.Context, out *report.Scenario, counts func() (float64, float64, bool), label, what string) {
	waited, err := waitSnapshotsWritten(ctx, counts, 200*time.Millisecond, 5*time.Minute)
	switch {
	case err != nil:
		out.Note(fmt.Sprintf("@%s: before %s: %v", label, what, err))
	case waited >= time.Second:
		out.Note(fmt.Sprintf("@%s: waited %.1f s for an automatic raft snapshot to be written before %s", label, waited.Seconds(), what))
	}
}

// lightLoad runs snapshotChecks checks/s and snapshotIngests ingest
// requests/s as phase name for up to d, cut short when during (if set)
// returns; it returns each op's max latency.
func (e *Env) lightLoad(ctx context.Context, out *report.Scenario, ht *target.HTTP, name string, n int, d time.Duration, during func()) map[string]float64 {
	loadCtx, stop := context.WithCancel(ctx)
	defer stop()
	type lr struct {
		r  *loadgen.Result
		op string
	}
	results := make(chan lr, 2)
	for _, op := range []string{"check", "ingest"} {
		cfg := loadgen.Config{Workers: 4, Rate: snapshotChecks, Duration: d, Label: "scale " + name + " " + op}
		f := e.checkOps(ht, n)
		if op == "ingest" {
			cfg.Rate = snapshotIngests
			f = e.ingestOps(ht, n, nil)
		}
		go func(op string) {
			r, _ := loadgen.Run(loadCtx, cfg, f)
			results <- lr{r, op}
		}(op)
	}
	if during != nil {
		during()
		stop()
	}
	maxLat := map[string]float64{}
	for range 2 {
		r := <-results
		if r.r != nil {
			out.Add("burndown", name, r.op, r.r)
			maxLat[r.op] = r.r.Latency.Max
		}
	}
	return maxLat
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
