package scenario

import (
	"math"
	"testing"
	"time"

	"burndown/bench/loadgen"
	"burndown/bench/report"
)

func TestSelect(t *testing.T) {
	all, err := Select("all")
	if err != nil || len(all) != len(All()) {
		t.Fatalf("all: %v %d", err, len(all))
	}
	two, err := Select("ingest, gateway")
	if err != nil || len(two) != 2 || two[0].Name != "ingest" || two[1].Name != "gateway" {
		t.Fatalf("ingest,gateway: %v %+v", err, two)
	}
	if _, err := Select("nope"); err == nil {
		t.Error("unknown scenario accepted")
	}
	seen := map[string]bool{}
	for _, s := range All() {
		if s.Name == "" || s.Description == "" || s.Run == nil || seen[s.Name] {
			t.Errorf("scenario %q incomplete or repeated", s.Name)
		}
		seen[s.Name] = true
	}
}

func TestParseSystems(t *testing.T) {
	if s, err := ParseSystems("all"); err != nil || len(s) != len(SystemNames()) {
		t.Errorf("all: %v %v", s, err)
	}
	if s, err := ParseSystems("floor,redis-direct"); err != nil || len(s) != 2 {
		t.Errorf("floor,redis-direct: %v %v", s, err)
	}
	if _, err := ParseSystems("mysql"); err == nil {
		t.Error("unknown system accepted")
	}
}

func TestUnavailabilityWindows(t *testing.T) {
	k := time.Unix(100, 0)
	at := func(ms int) time.Time { return k.Add(time.Duration(ms) * time.Millisecond) }
	ts := []time.Time{at(-20), at(-10), at(900), at(300), at(910), at(2000)}
	if got := gapAfter(ts, k); got != 300*time.Millisecond {
		t.Errorf("gapAfter = %v, want 300ms", got)
	}
	if got := largestGap(ts, k); got != 1090*time.Millisecond {
		t.Errorf("largestGap = %v, want 1090ms (910 → 2000)", got)
	}
	if got := gapAfter(nil, k); got != 0 {
		t.Errorf("gapAfter(nil) = %v", got)
	}
}

func TestNearest(t *testing.T) {
	if v, ok := nearest([]float64{0.25, 0.75, 0.9}, 0.5); !ok || v != 0.25 {
		t.Errorf("nearest = %v %v", v, ok)
	}
	if _, ok := nearest(nil, 0.5); ok {
		t.Error("nearest of nothing")
	}
}

// The nginx scenario's figures are differences of the two routes at the
// same rate, and the peak ratio appears once however many rates are added.
func TestAddedByAuthorize(t *testing.T) {
	out := &report.Scenario{Name: "nginx"}
	res := func(ops, p50, p99 float64) *loadgen.Result {
		return &loadgen.Result{Ops: 1, OpsPerSec: ops, Latency: loadgen.Latency{P50: p50, P99: p99}}
	}
	out.Add("nginx", "peak", "check", res(20000, 1, 5))
	out.Add("nginx+burndown", "peak", "check", res(15000, 2, 6))
	out.Add("nginx", "10000/s", "check", res(10000, 0.3, 2))
	out.Add("nginx+burndown", "10000/s", "check", res(10000, 0.9, 2.5))
	out.Add("nginx", "7500/s", "check", res(7500, 0.25, 1.5))
	out.Add("nginx+burndown", "7500/s", "check", res(7500, 0.5, 1.75))
	addedByAuthorize(out, "10000/s")
	addedByAuthorize(out, "7500/s")
	want := map[string]float64{
		"peak throughput with the auth subrequest / without": 0.75,
		"p50 added by the auth subrequest at 10000/s":        0.6,
		"p99 added by the auth subrequest at 10000/s":        0.5,
		"p50 added by the auth subrequest at 7500/s":         0.25,
		"p99 added by the auth subrequest at 7500/s":         0.25,
	}
	if len(out.Figures) != len(want) {
		t.Fatalf("%d figures, want %d: %+v", len(out.Figures), len(want), out.Figures)
	}
	for _, f := range out.Figures {
		if w, ok := want[f.Name]; !ok || math.Abs(f.Value-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", f.Name, f.Value, w)
		}
	}
}
