package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Figure names the scenarios record and Targets reads. A scale figure is
// named prefix + "@" + its customer count; Targets takes the largest step.
const (
	FigHeapAfterGC   = "Go heap per customer after forced GC"
	FigOnboarding    = "onboarding (customer + contract)"
	FigSnapshotPause = "snapshot pause"
	FigWebhookP99    = "alert crossing → webhook p99"
	PhaseNoSnapshot  = "no snapshot"
	PhaseDuringSnap  = "during snapshot"
	SpreadScenario   = "spread"
	SpreadSystem     = "burndown-3node"
	// PhaseLeaderOnly is the spread scenario's second peak, every write sent
	// to the leader: the 3-node cost without forwarding.
	PhaseLeaderOnly    = "peak leader only"
	floorSystem        = "floor"
	burndownSystem     = "burndown"
	halfPeakComparison = "ingest p99 at 50% of own peak"
)

// TargetRow is one figure of issue 19's table against its target: what was
// measured in this run, the bound, and whether it holds.
type TargetRow struct {
	Figure string `json:"figure"`
	// Measured is the figure as it compares with Limit (a ratio, a rate, a
	// latency); Detail shows the numbers it came from.
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit"`
	// Op is how Measured must compare with Limit: ">=", "<=" or "<"; ""
	// for a figure reported without a bound.
	Op     string  `json:"op,omitempty"`
	Limit  float64 `json:"limit,omitempty"`
	Detail string  `json:"detail"`
	// Missing says why the figure could not be computed from this run (the
	// scenario or system that provides it did not run); empty otherwise.
	Missing string `json:"missing,omitempty"`
}

// Met reports whether the row's bound holds (false when missing or unbounded).
func (t TargetRow) Met() bool {
	if t.Missing != "" {
		return false
	}
	switch t.Op {
	case ">=":
		return t.Measured >= t.Limit
	case "<=":
		return t.Measured <= t.Limit
	case "<":
		return t.Measured < t.Limit
	}
	return false
}

// Status says met or missed and by how much, as a factor: how many times
// the figure must grow (for a lower bound) or shrink (for an upper bound)
// to meet its target, or the headroom when met.
func (t TargetRow) Status() string {
	switch {
	case t.Missing != "":
		return "not measured: " + t.Missing
	case t.Op == "":
		return "reported"
	case t.Measured <= 0 || t.Limit <= 0:
		if t.Met() {
			return "met"
		}
		return "missed"
	}
	factor := t.Limit / t.Measured // lower bound: the growth needed
	if t.Op != ">=" {
		factor = t.Measured / t.Limit
	}
	if t.Met() {
		return fmt.Sprintf("met (%.2f× headroom)", 1/factor)
	}
	return fmt.Sprintf("missed by %.2f×", factor)
}

// Target renders the bound, e.g. "≥ 0.40".
func (t TargetRow) Target() string {
	if t.Op == "" {
		return "—"
	}
	sym := map[string]string{">=": "≥", "<=": "≤", "<": "<"}[t.Op]
	return sym + " " + num(t.Limit) + unitSuffix(t.Unit)
}

func unitSuffix(u string) string {
	if u == "" || u == "×" {
		return u
	}
	return " " + u
}

// Targets computes issue 19's table from a run: each row reads the phases,
// comparisons and figures its scenario recorded; a row whose scenario did not
// run says so.
func Targets(r *Report) []TargetRow {
	return []TargetRow{
		heapRow(r),
		ratioRow(r, "ingest", "single-node ingest peak ÷ floor", "peak ingest throughput", ">=", 0.4),
		ratioRow(r, "ingest", "ingest p99 at half of own peak ÷ floor's", halfPeakComparison, "<=", 2),
		spreadRow(r),
		mixedCheckRow(r),
		p99Row(r, "mixed", "mixed: ingest p99", burndownSystem, "mixed", "ingest", "<", 25),
		ratioRow(r, "gateway", "check peak with a trickle writer ÷ floor", "peak check throughput", ">=", 0.95),
		snapshotCheckRow(r),
		p99Row(r, "scale", "during a snapshot: ingest p99", burndownSystem, "", "ingest", "<", 50),
		scaleFigureRow(r, FigSnapshotPause, "snapshot pause (burndown_snapshot_pause_seconds)", "", 0),
		scaleFigureRow(r, FigOnboarding, "onboarding, customers with a contract per second", ">=", 20000),
		scaleFigureRow(r, FigWebhookP99, "alert crossing → webhook p99", "<", 5),
	}
}

// scenario returns the named scenario of r, nil if it did not run.
func (r *Report) scenario(name string) *Scenario {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func missing(figure, why string) TargetRow { return TargetRow{Figure: figure, Missing: why} }

// ratioRow reads a Burndown-versus-floor comparison of scenario scen.
func ratioRow(r *Report, scen, figure, what, op string, limit float64) TargetRow {
	s := r.scenario(scen)
	if s == nil {
		return missing(figure, "scenario "+scen+" did not run")
	}
	for _, c := range s.Comparisons {
		if c.What == what && c.Baseline == floorSystem {
			return TargetRow{Figure: figure, Measured: c.Ratio, Unit: "×", Op: op, Limit: limit,
				Detail: fmt.Sprintf("Burndown %s %s, floor %s %s", num(c.Burndown), c.Unit, num(c.Other), c.Unit)}
		}
	}
	return missing(figure, "no "+what+" of burndown and floor in scenario "+scen)
}

// phaseP99 returns the p99 of a phase, ok false when absent or empty.
func phaseP99(s *Scenario, system, name, op string) (float64, bool) {
	p := s.Find(system, name, op)
	if p == nil || p.Result == nil || p.Result.Ops == 0 {
		return 0, false
	}
	return p.Result.Latency.P99, true
}

// p99Row bounds the p99 of one phase; an empty name takes the phase of the
// largest scale step.
func p99Row(r *Report, scen, figure, system, name, op, cmp string, limit float64) TargetRow {
	s := r.scenario(scen)
	if s == nil {
		return missing(figure, "scenario "+scen+" did not run")
	}
	detail := ""
	if name == "" {
		step, ok := largestStep(s)
		if !ok {
			return missing(figure, "no scale step finished")
		}
		name = PhaseDuringSnap + " @" + step
		detail = "at " + step + " customers"
	}
	v, ok := phaseP99(s, system, name, op)
	if !ok {
		return missing(figure, "no "+name+" "+op+" phase")
	}
	return TargetRow{Figure: figure, Measured: v, Unit: "ms", Op: cmp, Limit: limit, Detail: detail}
}

// mixedCheckRow is the check p99 of the mixed blend against the floor's.
func mixedCheckRow(r *Report) TargetRow {
	const figure = "mixed: check p99 ÷ floor's"
	s := r.scenario("mixed")
	if s == nil {
		return missing(figure, "scenario mixed did not run")
	}
	bd, ok1 := phaseP99(s, burndownSystem, "mixed", "check")
	fl, ok2 := phaseP99(s, floorSystem, "mixed", "check")
	if !ok1 || !ok2 || fl <= 0 {
		return missing(figure, "mixed checks of burndown and floor both needed")
	}
	return TargetRow{Figure: figure, Measured: bd / fl, Unit: "×", Op: "<=", Limit: 2,
		Detail: fmt.Sprintf("Burndown %.2f ms, floor %.2f ms", bd, fl)}
}

// spreadRow is the 3-node peak with writes spread over all nodes against the
// single node's peak of the ingest scenario.
func spreadRow(r *Report) TargetRow {
	const figure = "3 nodes, writes spread ÷ single node"
	sp, in := r.scenario(SpreadScenario), r.scenario("ingest")
	if sp == nil || in == nil {
		return missing(figure, "scenarios spread and ingest both needed")
	}
	three, one := sp.Find(SpreadSystem, "peak", "ingest"), in.Find(burndownSystem, "peak", "ingest")
	if three == nil || one == nil || one.Result.UnitsPerSec <= 0 {
		return missing(figure, "no ingest peak of the 3-node cluster or of the single node")
	}
	detail := fmt.Sprintf("3 nodes %s events/s, 1 node %s events/s", num(three.Result.UnitsPerSec), num(one.Result.UnitsPerSec))
	if lo := sp.Find(SpreadSystem, PhaseLeaderOnly, "ingest"); lo != nil {
		detail += fmt.Sprintf("; 3 nodes with every write sent to the leader %s events/s (%.3f× single node)",
			num(lo.Result.UnitsPerSec), lo.Result.UnitsPerSec/one.Result.UnitsPerSec)
	}
	return TargetRow{Figure: figure, Measured: three.Result.UnitsPerSec / one.Result.UnitsPerSec, Unit: "×", Op: ">=", Limit: 0.6, Detail: detail}
}

// snapshotCheckRow is the check p99 during a snapshot against the same load
// without one, at the largest scale step.
func snapshotCheckRow(r *Report) TargetRow {
	const figure = "during a snapshot: check p99 ÷ without"
	s := r.scenario("scale")
	if s == nil {
		return missing(figure, "scenario scale did not run")
	}
	step, ok := largestStep(s)
	if !ok {
		return missing(figure, "no scale step finished")
	}
	during, ok1 := phaseP99(s, burndownSystem, PhaseDuringSnap+" @"+step, "check")
	without, ok2 := phaseP99(s, burndownSystem, PhaseNoSnapshot+" @"+step, "check")
	if !ok1 || !ok2 || without <= 0 {
		return missing(figure, "check phases with and without a snapshot both needed")
	}
	return TargetRow{Figure: figure, Measured: during / without, Unit: "×", Op: "<=", Limit: 2,
		Detail: fmt.Sprintf("at %s customers: %.2f ms during, %.2f ms without", step, during, without)}
}

// heapRow is the Go heap per customer after a forced GC at the largest step
// (the issue sets its bound at 1M customers).
func heapRow(r *Report) TargetRow {
	return scaleFigureRow(r, FigHeapAfterGC, "Go heap per customer after a forced GC, 2 alerts each (target at 1M)", "<", 2048)
}

// scaleFigureRow bounds a scale figure at the largest step that has it.
func scaleFigureRow(r *Report, prefix, figure, op string, limit float64) TargetRow {
	for _, s := range r.Scenarios {
		f, step, ok := largestFigure(s, prefix)
		if ok {
			return TargetRow{Figure: figure, Measured: f.Value, Unit: f.Unit, Op: op, Limit: limit,
				Detail: fmt.Sprintf("at %d customers (scenario %s)", step, s.Name)}
		}
	}
	return missing(figure, "no "+prefix+" figure (scenario scale did not run or did not finish a step)")
}

// largestFigure returns the figure prefix+" @N" with the largest N.
func largestFigure(s *Scenario, prefix string) (Figure, int, bool) {
	var best Figure
	bestN, found := -1, false
	for _, f := range s.Figures {
		n, ok := stepOf(f.Name, prefix)
		if ok && n > bestN {
			best, bestN, found = f, n, true
		}
	}
	return best, bestN, found
}

// stepOf parses "prefix @N".
func stepOf(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix+" @")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// largestStep returns the largest customer count with a snapshot phase.
func largestStep(s *Scenario) (string, bool) {
	var steps []int
	for _, p := range s.Phases {
		if n, ok := stepOf(p.Name, PhaseDuringSnap); ok {
			steps = append(steps, n)
		}
	}
	if len(steps) == 0 {
		return "", false
	}
	sort.Ints(steps)
	return strconv.Itoa(steps[len(steps)-1]), true
}
