package scenario

import (
	"strings"
	"testing"

	"burndown/bench/burndown"
)

// A phase's row is the p99 and mean of each stage's histogram delta and the
// runtime's counters per acknowledged event.
func TestBreakdownRow(t *testing.T) {
	lines := []string{
		`burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.005"} 90`,
		`burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.01"} 100`,
		`burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="+Inf"} 100`,
		`burndown_http_request_duration_seconds_sum{route="/v1/ingest",code="200"} 0.4`,
		`burndown_http_request_duration_seconds_count{route="/v1/ingest",code="200"} 100`,
		`burndown_http_request_duration_seconds_bucket{route="/v1/entitlements/check",code="200",le="0.001"} 7`,
		`burndown_http_request_duration_seconds_bucket{route="/v1/entitlements/check",code="200",le="+Inf"} 7`,
		`burndown_http_request_duration_seconds_sum{route="/v1/entitlements/check",code="200"} 0.0035`,
		`burndown_http_request_duration_seconds_count{route="/v1/entitlements/check",code="200"} 7`,
		`go_sched_latencies_seconds_bucket{le="1e-05"} 50`,
		`go_sched_latencies_seconds_bucket{le="0.01"} 100`,
		`go_sched_latencies_seconds_bucket{le="+Inf"} 100`,
		`process_cpu_seconds_total 3.25`,
		`go_gc_cpu_seconds_total 0.5`,
		`burndown_propose_duration_seconds_bucket{le="0.0025"} 80`,
		`burndown_propose_duration_seconds_bucket{le="0.005"} 100`,
		`burndown_propose_duration_seconds_bucket{le="+Inf"} 100`,
		`burndown_propose_duration_seconds_sum 0.2`,
		`burndown_propose_duration_seconds_count 100`,
		`burndown_propose_wait_seconds_bucket{le="0.001"} 100`,
		`burndown_propose_wait_seconds_bucket{le="+Inf"} 100`,
		`burndown_propose_wait_seconds_sum 0.05`,
		`burndown_propose_wait_seconds_count 100`,
		`go_gc_pauses_seconds_bucket{le="0.0001"} 3`,
		`go_gc_pauses_seconds_bucket{le="0.001"} 4`,
		`go_gc_duration_seconds_sum 0.0012`,
		`go_memstats_mallocs_total 25000`,
		`go_memstats_alloc_bytes_total 2000000`,
	}
	d := burndown.ParseScrape([]byte(strings.Join(lines, "\n")))
	row := breakdownRow("peak", d, 10000)
	want := []string{"peak", "10000", "9.500 / 4.000", "4.875 / 2.000", "0.990 / 0.500", "—", "—", "0.990 / 0.500", "9.800", "4", "0.964 / 1.200", "3.25 (0.50)", "2.5", "200.0"}
	if len(row) != len(breakdownColumns) {
		t.Fatalf("%d cells for %d columns", len(row), len(breakdownColumns))
	}
	for i := range want {
		if row[i] != want[i] {
			t.Errorf("%s: %q, want %q", breakdownColumns[i], row[i], want[i])
		}
	}
}
