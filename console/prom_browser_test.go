package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"burndown/browsertest"
	"burndown/console"
)

// serve serves the console's files as transport does (its headers
// included), so the page's scripts run under its Content-Security-Policy.
func serve(t *testing.T) string {
	t.Helper()
	files, err := console.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := files.Lookup(strings.TrimPrefix(r.URL.Path, "/ui/"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		console.SetHeaders(w.Header().Set)
		w.Header().Set("Content-Type", a.ContentType)
		w.Write(a.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/ui/"
}

// The console's Prometheus arithmetic (prom.js) in the browser: parsing
// with escaped labels, counter growth between two scrapes (a reset counts
// from zero), histogram buckets summed across codes, and quantiles as
// Prometheus's histogram_quantile computes them.
func TestPromArithmetic(t *testing.T) {
	b := browsertest.Start(t)
	b.Navigate(serve(t))
	b.WaitVisible("#token", 10*time.Second) // the page asks for a token first
	const script = `import("./prom.js").then((p) => {
  const a = p.parse([
    '# HELP x', 'h_bucket{route="/a",code="200",le="0.001"} 1', 'h_bucket{route="/a",code="200",le="0.01"} 2',
    'h_bucket{route="/a",code="200",le="+Inf"} 2', 'c{reason="say \\"hi\\""} 5', 'r 100',
  ].join("\n"));
  const b = p.parse([
    'h_bucket{route="/a",code="200",le="0.001"} 41', 'h_bucket{route="/a",code="200",le="0.01"} 80',
    'h_bucket{route="/a",code="200",le="+Inf"} 82',
    'h_bucket{route="/a",code="500",le="0.001"} 10', 'h_bucket{route="/a",code="500",le="0.01"} 20',
    'h_bucket{route="/a",code="500",le="+Inf"} 20',
    'c{reason="say \\"hi\\""} 9', 'r 3', 'g{peer="n2"} 4', 'g{peer="n3"} 6',
  ].join("\n"));
  const bk = p.bucketDeltas(a, b, "h", ["route"]).get("/a").buckets;
  const c = [...p.deltas(a, b, "c", ["reason"]).values()][0];
  const r = [...p.deltas(a, b, "r", []).values()][0];
  return {
    buckets: bk.map((x) => [String(x.le), x.count]),
    p50: p.quantile(0.5, bk), p99: p.quantile(0.99, bk), empty: String(p.quantile(0.5, [{le: 1, count: 0}])),
    reason: c.labels.reason, cdelta: c.delta, rdelta: r.delta,
    gauge: p.gauge(b, "g"), n3: p.gauge(b, "g", {peer: "n3"}), absent: p.deltas(a, b, "nope", []) === null,
  };
})`
	type result struct {
		Buckets [][2]any `json:"buckets"`
		P50     float64  `json:"p50"`
		P99     float64  `json:"p99"`
		Empty   string   `json:"empty"`
		Reason  string   `json:"reason"`
		CDelta  float64  `json:"cdelta"`
		RDelta  float64  `json:"rdelta"`
		Gauge   float64  `json:"gauge"`
		N3      float64  `json:"n3"`
		Absent  bool     `json:"absent"`
	}
	got, err := chromedp.Run(b.Context(), chromedp.Evaluate[result](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	// Growth, both codes summed: 50 at or below 1 ms, 48 more at or below
	// 10 ms, 2 above: 100 in all.
	want := [][2]any{{"0.001", 50.0}, {"0.01", 98.0}, {"Infinity", 100.0}}
	for i := range want {
		if i >= len(got.Buckets) || got.Buckets[i] != want[i] {
			t.Fatalf("buckets %v, want %v", got.Buckets, want)
		}
	}
	// p50: rank 50 of 100 ends the first bucket; p99: rank 99 falls in +Inf,
	// which answers the last finite bound.
	if got.P50 != 0.001 || got.P99 != 0.01 || got.Empty != "NaN" {
		t.Errorf("p50 %v, p99 %v, empty %s; want 0.001, 0.01, NaN", got.P50, got.P99, got.Empty)
	}
	if got.Reason != `say "hi"` || got.CDelta != 4 || got.RDelta != 3 {
		t.Errorf("reason %q delta %v, reset counter delta %v; want say \"hi\", 4, 3", got.Reason, got.CDelta, got.RDelta)
	}
	if got.Gauge != 10 || got.N3 != 6 || !got.Absent {
		t.Errorf("gauge sum %v, n3 %v, absent %v", got.Gauge, got.N3, got.Absent)
	}
	for _, p := range b.Problems() {
		t.Errorf("the page reported: %s", p)
	}
}
