package scenario

import (
	"fmt"

	"burndown/bench/loadgen"
	"burndown/bench/report"
)

// compare adds Burndown-versus-baseline ratios for op: peak throughput (ops/s for
// checks, events/s for ingest) and p99 latency at the level nearest 50% of peak.
func (e *Env) compare(out *report.Scenario, op string) {
	if e.Burndown == "" {
		return
	}
	bd := out.Find(e.Burndown, "peak", op)
	if bd == nil || bd.Result.Ops == 0 {
		return
	}
	level := ""
	if l, ok := nearest(e.Opts.Levels, 0.5); ok {
		level = levelName(l)
	}
	rate := func(r *loadgen.Result) float64 {
		if op == "ingest" {
			return r.UnitsPerSec
		}
		return r.OpsPerSec
	}
	unit := map[string]string{"check": "checks/s", "ingest": "events/s"}[op]
	for _, t := range e.Systems {
		if t.Name() == e.Burndown {
			continue
		}
		other := out.Find(t.Name(), "peak", op)
		if other == nil || other.Result.Ops == 0 {
			continue
		}
		out.Comparisons = append(out.Comparisons, report.Comparison{
			What: "peak " + op + " throughput", Unit: unit, Burndown: rate(bd.Result),
			Baseline: t.Name(), Other: rate(other.Result), Ratio: rate(bd.Result) / rate(other.Result),
		})
		if level == "" {
			continue
		}
		a, b := out.Find(e.Burndown, level, op), out.Find(t.Name(), level, op)
		if a != nil && b != nil && a.Result.Ops > 0 && b.Result.Ops > 0 && b.Result.Latency.P99 > 0 {
			out.Comparisons = append(out.Comparisons, report.Comparison{
				What: fmt.Sprintf("%s p99 at %s of own peak", op, level[5:]), Unit: "ms",
				Burndown: a.Result.Latency.P99, Baseline: t.Name(), Other: b.Result.Latency.P99,
				Ratio: a.Result.Latency.P99 / b.Result.Latency.P99,
			})
		}
	}
}

// nearest returns the element of xs closest to x.
func nearest(xs []float64, x float64) (float64, bool) {
	best, ok := 0.0, false
	for _, v := range xs {
		if !ok || abs(v-x) < abs(best-x) {
			best, ok = v, true
		}
	}
	return best, ok
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// errText describes why a phase produced nothing.
func errText(err error, r *loadgen.Result) string {
	if err != nil {
		return err.Error()
	}
	if r != nil && len(r.ErrorKinds) > 0 {
		for k, v := range r.ErrorKinds {
			return fmt.Sprintf("%d errors, e.g. %s", v, k)
		}
	}
	return "no operation succeeded"
}
