package report

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burndown/bench/loadgen"
)

func sampleReport() *Report {
	res := func(mode string, rate, ops float64, p99 float64) *loadgen.Result {
		return &loadgen.Result{Mode: mode, OfferedRate: rate, Workers: 4, Seconds: 2, Ops: int64(ops * 2), Units: int64(ops * 2),
			OpsPerSec: ops, UnitsPerSec: ops, Latency: loadgen.Latency{Count: int64(ops * 2), P50: p99 / 4, P99: p99, Max: p99 * 2},
			Timeline: []loadgen.Sample{{T: 1, Ops: int64(ops), OpsPerSec: ops}, {T: 2, Ops: int64(ops), OpsPerSec: ops}}}
	}
	s := &Scenario{Name: "gateway", Description: "checks | and more"}
	s.Add("burndown", "peak", "check", res("closed", 0, 100000, 1.2))
	s.Add("burndown", "open 50%", "check", res("open", 50000, 50000, 0.4))
	s.Add("floor", "peak", "check", res("closed", 0, 110000, 1.0))
	s.Add("floor", "open 50%", "check", res("open", 55000, 55000, 0.3))
	s.Add("floor", "peak trickle", "ingest", res("open", 20, 20, 3))
	s.Comparisons = append(s.Comparisons, Comparison{What: "peak check throughput", Unit: "checks/s", Burndown: 100000, Baseline: "floor", Other: 110000, Ratio: 100000.0 / 110000})
	s.Figure("ingest unavailable", 850, "ms", "")
	s.Tables = append(s.Tables, Table{Title: "state", Columns: []string{"customers", "bytes"}, Rows: [][]string{{"10000", "900"}}})
	s.Note("a note")
	return &Report{
		Meta:      Meta{Command: "burndown bench --scenario gateway", Cores: 2, GoVersion: "go1.26"},
		Systems:   []System{{Name: "burndown", Via: "HTTP"}, {Name: "floor", Via: "HTTP to a map"}},
		Skipped:   []Skip{{What: "redis", Reason: "not installed"}},
		Scenarios: []*Scenario{s},
	}
}

func TestWriteProducesJSONMarkdownAndPlots(t *testing.T) {
	dir := t.TempDir()
	r := sampleReport()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	sc := back.Scenarios[0]
	if len(sc.Phases) != 5 || sc.Phases[0].Result.OpsPerSec != 100000 || sc.Phases[1].Result.Latency.P99 != 0.4 {
		t.Errorf("phases not round-tripped: %+v", sc.Phases)
	}
	if len(sc.Comparisons) != 1 || len(sc.Figures) != 1 || sc.Figures[0].Value != 850 || len(sc.Tables) != 1 {
		t.Errorf("figures not round-tripped: %+v", sc)
	}
	if back.Meta.Command != r.Meta.Command || back.Skipped[0].What != "redis" {
		t.Errorf("meta not round-tripped: %+v", back.Meta)
	}
	if len(sc.Plots) != 3 {
		t.Fatalf("plots %v, want throughput, latency and peak", sc.Plots)
	}
	for _, p := range sc.Plots {
		f, err := os.Open(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(f)
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		f.Close()
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"burndown bench --scenario gateway", "## Scenario `gateway`", "0.91×", "ingest unavailable",
		"redis", "not installed", "gateway-latency.svg", `checks | and more`, "| 10000 | 900 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

func TestFindPhase(t *testing.T) {
	s := sampleReport().Scenarios[0]
	if p := s.Find("floor", "open 50%", "check"); p == nil || p.Result.OfferedRate != 55000 {
		t.Errorf("Find gave %+v", p)
	}
	if s.Find("floor", "open 50%", "ingest") != nil {
		t.Error("Find matched the wrong op")
	}
}
