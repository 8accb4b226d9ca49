package report

import (
	"bytes"
	"strings"
	"testing"

	"burndown/bench/loadgen"
)

// phase is a result with the given events/s and p99.
func phase(units, p99 float64) *loadgen.Result {
	return &loadgen.Result{Ops: 100, OpsPerSec: units, UnitsPerSec: units, Latency: loadgen.Latency{Count: 100, P99: p99}}
}

// fullRun is a synthetic run of every scenario the targets read.
func fullRun() *Report {
	gw := &Scenario{Name: "gateway"}
	gw.Comparisons = []Comparison{
		{What: "peak check throughput", Baseline: "redis-http", Ratio: 2},
		{What: "peak check throughput", Unit: "checks/s", Burndown: 45000, Baseline: "floor", Other: 50000, Ratio: 0.9},
	}
	in := &Scenario{Name: "ingest"}
	in.Add("burndown", "peak", "ingest", phase(200000, 40))
	in.Comparisons = []Comparison{
		{What: "peak ingest throughput", Unit: "events/s", Burndown: 200000, Baseline: "floor", Other: 400000, Ratio: 0.5},
		{What: "ingest p99 at 50% of own peak", Unit: "ms", Burndown: 30, Baseline: "floor", Other: 6, Ratio: 5},
	}
	mx := &Scenario{Name: "mixed"}
	mx.Add("burndown", "mixed", "check", phase(20000, 9))
	mx.Add("floor", "mixed", "check", phase(20000, 6))
	mx.Add("burndown", "mixed", "ingest", phase(20000, 30))
	sp := &Scenario{Name: SpreadScenario}
	sp.Add(SpreadSystem, "peak", "ingest", phase(80000, 50))
	sp.Add(SpreadSystem, PhaseLeaderOnly, "ingest", phase(100000, 40))
	sc := &Scenario{Name: "scale"}
	for _, n := range []string{"10000", "100000"} {
		sc.Add("burndown", PhaseNoSnapshot+" @"+n, "check", phase(2000, 2))
		sc.Add("burndown", PhaseDuringSnap+" @"+n, "check", phase(2000, 3))
		sc.Add("burndown", PhaseNoSnapshot+" @"+n, "ingest", phase(100, 5))
	}
	sc.Add("burndown", PhaseDuringSnap+" @100000", "ingest", phase(100, 60))
	sc.Add("burndown", PhaseDuringSnap+" @10000", "ingest", phase(100, 10))
	sc.Figure(FigHeapAfterGC+" @10000", 1500, "bytes", "")
	sc.Figure(FigHeapAfterGC+" @100000", 3000, "bytes", "")
	sc.Figure(FigOnboarding+" @100000", 25000, "/s", "")
	sc.Figure(FigSnapshotPause+" @100000", 12, "ms", "")
	sc.Figure(FigWebhookP99+" @100000", 2.5, "ms", "")
	return &Report{Scenarios: []*Scenario{gw, in, mx, sp, sc}}
}

func TestTargetsRowsAndVerdicts(t *testing.T) {
	rows := Targets(fullRun())
	want := []struct {
		prefix   string
		measured float64
		status   string
	}{
		{"Go heap per customer", 3000, "missed by 1.46×"}, // the largest step, not the 10k one
		{"single-node ingest peak", 0.5, "met (1.25× headroom)"},
		{"ingest p99 at half", 5, "missed by 2.50×"},
		{"3 nodes", 0.4, "missed by 1.50×"},
		{"mixed: check p99", 1.5, "met (1.33× headroom)"},
		{"mixed: ingest p99", 30, "missed by 1.20×"},
		{"check peak", 0.9, "missed by 1.06×"}, // the floor's comparison, not redis'
		{"during a snapshot: check", 1.5, "met (1.33× headroom)"},
		{"during a snapshot: ingest", 60, "missed by 1.20×"},
		{"snapshot pause", 12, "reported"},
		{"onboarding", 25000, "met (1.25× headroom)"},
		{"alert crossing", 2.5, "met (2.00× headroom)"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if !strings.HasPrefix(r.Figure, w.prefix) {
			t.Errorf("row %d is %q, want %q…", i, r.Figure, w.prefix)
		}
		if r.Missing != "" || r.Measured != w.measured || r.Status() != w.status {
			t.Errorf("%s: measured %v status %q (missing %q), want %v %q", r.Figure, r.Measured, r.Status(), r.Missing, w.measured, w.status)
		}
	}
	if !strings.Contains(rows[3].Detail, "every write sent to the leader 100000 events/s (0.500× single node)") {
		t.Errorf("3-node detail %q does not give the leader-only peak", rows[3].Detail)
	}
	if rows[7].Detail != "at 100000 customers: 3.00 ms during, 2.00 ms without" {
		t.Errorf("snapshot detail %q", rows[7].Detail)
	}
}

func TestTargetsSayWhatDidNotRun(t *testing.T) {
	r := fullRun()
	r.Scenarios = r.Scenarios[:2] // gateway and ingest only
	rows := Targets(r)
	for _, row := range rows {
		measuredHere := strings.HasPrefix(row.Figure, "single-node") || strings.HasPrefix(row.Figure, "ingest p99") ||
			strings.HasPrefix(row.Figure, "check peak")
		if measuredHere == (row.Missing != "") {
			t.Errorf("%s: missing %q", row.Figure, row.Missing)
		}
		if row.Missing != "" && (row.Met() || !strings.HasPrefix(row.Status(), "not measured: ")) {
			t.Errorf("%s: a missing figure shows %q", row.Figure, row.Status())
		}
	}
}

func TestTargetsBoundaries(t *testing.T) {
	for _, c := range []struct {
		op            string
		measured, lim float64
		met           bool
	}{
		{">=", 0.4, 0.4, true}, {">=", 0.39, 0.4, false},
		{"<=", 2, 2, true}, {"<=", 2.01, 2, false},
		{"<", 5, 5, false}, {"<", 4.99, 5, true},
	} {
		r := TargetRow{Op: c.op, Measured: c.measured, Limit: c.lim}
		if r.Met() != c.met {
			t.Errorf("%v %s %v: met %v", c.measured, c.op, c.lim, r.Met())
		}
	}
}

func TestMarkdownShowsTargets(t *testing.T) {
	r := fullRun()
	r.Targets = Targets(r)
	md := Markdown(r)
	for _, s := range []string{"## Targets (issue 19)", "| onboarding, customers with a contract per second | 25000 /s | ≥ 20000 /s | met (1.25× headroom) |",
		"| single-node ingest peak ÷ floor | 0.500× | ≥ 0.400× | met"} {
		if !bytes.Contains(md, []byte(s)) {
			t.Errorf("report.md lacks %q:\n%s", s, md)
		}
	}
}
