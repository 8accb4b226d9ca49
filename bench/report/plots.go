package report

import (
	"sort"
	"strings"

	"burndown/bench/plot"
)

// chart is one plot file of a scenario.
type chart struct {
	file string
	svg  []byte
}

// rate is the figure a phase is judged by: events/s for ingest, ops/s otherwise.
func rate(p Phase) float64 {
	if p.Op == "ingest" {
		return p.Result.UnitsPerSec
	}
	return p.Result.OpsPerSec
}

func unitOf(op string) string {
	if op == "ingest" {
		return "events/s"
	}
	return "checks/s"
}

func isLevel(p Phase) bool {
	return p.Result.Mode == "open" && strings.HasPrefix(p.Name, "open ") && !strings.Contains(p.Name, "trickle")
}

// charts builds the plots of one scenario: throughput over time, latency against
// offered load, and peak throughput per system.
func charts(s *Scenario) []chart {
	var out []chart
	// Throughput over time: the peak phases, or every non-background phase.
	var timeline []Phase
	for _, p := range s.Phases {
		if p.Name == "peak" {
			timeline = append(timeline, p)
		}
	}
	if len(timeline) == 0 {
		for _, p := range s.Phases {
			if !strings.Contains(p.Name, "trickle") && !isLevel(p) {
				timeline = append(timeline, p)
			}
		}
	}
	if len(timeline) > 0 {
		lc := plot.LineChart{Title: s.Name + ": throughput over time", XLabel: "seconds", YLabel: "per second"}
		for _, p := range timeline {
			sr := plot.Series{Name: p.System + " " + p.Op + " (" + unitOf(p.Op) + ")"}
			for _, smp := range p.Result.Timeline {
				sr.X = append(sr.X, smp.T)
				if p.Op == "ingest" {
					sr.Y = append(sr.Y, smp.UnitsPerSec)
				} else {
					sr.Y = append(sr.Y, smp.OpsPerSec)
				}
			}
			lc.Series = append(lc.Series, sr)
		}
		out = append(out, chart{s.Name + "-throughput.svg", lc.SVG()})
	}
	// Latency against offered load, per system and op.
	type key struct{ system, op string }
	levels := map[key][]Phase{}
	var keys []key
	for _, p := range s.Phases {
		if isLevel(p) && p.Result.Ops > 0 {
			k := key{p.System, p.Op}
			if _, ok := levels[k]; !ok {
				keys = append(keys, k)
			}
			levels[k] = append(levels[k], p)
		}
	}
	if len(keys) > 0 {
		lc := plot.LineChart{Title: s.Name + ": latency vs offered load (solid p99, dashed p50)",
			XLabel: "offered " + unitOf(keys[0].op), YLabel: "latency ms (log)", LogY: true}
		for ki, k := range keys {
			ps := levels[k]
			sort.Slice(ps, func(i, j int) bool { return ps[i].Result.OfferedRate < ps[j].Result.OfferedRate })
			p99 := plot.Series{Name: k.system + " p99", Color: ki + 1}
			p50 := plot.Series{Name: k.system + " p50", Dashed: true, Color: ki + 1}
			for _, p := range ps {
				x := offeredUnits(p)
				p99.X, p99.Y = append(p99.X, x), append(p99.Y, p.Result.Latency.P99)
				p50.X, p50.Y = append(p50.X, x), append(p50.Y, p.Result.Latency.P50)
			}
			lc.Series = append(lc.Series, p99, p50)
		}
		out = append(out, chart{s.Name + "-latency.svg", lc.SVG()})
	}
	// Peak per system.
	var bars []plot.Bar
	op := ""
	for _, p := range s.Phases {
		if p.Name == "peak" {
			bars = append(bars, plot.Bar{Label: p.System, Value: rate(p)})
			op = p.Op
		}
	}
	if len(bars) > 0 {
		bc := plot.BarChart{Title: s.Name + ": peak throughput, Burndown vs baselines", YLabel: unitOf(op), Bars: bars, Highlight: "burndown"}
		out = append(out, chart{s.Name + "-peak.svg", bc.SVG()})
	}
	return out
}

// offeredUnits converts an open-loop phase's offered ops/s into its plotted unit.
func offeredUnits(p Phase) float64 {
	if p.Op == "ingest" && p.Result.Ops > 0 {
		return p.Result.OfferedRate * float64(p.Result.Units) / float64(p.Result.Ops)
	}
	return p.Result.OfferedRate
}
