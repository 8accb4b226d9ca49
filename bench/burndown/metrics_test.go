package burndown

import (
	"math"
	"testing"
)

const scrapeBefore = `# HELP x
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.001"} 10
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.01"} 10
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="+Inf"} 10
burndown_http_request_duration_seconds_sum{route="/v1/ingest",code="200"} 0.005
burndown_http_request_duration_seconds_count{route="/v1/ingest",code="200"} 10
go_memstats_mallocs_total 1000
`

const scrapeAfter = `burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.001"} 60
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="0.01"} 108
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="200",le="+Inf"} 110
burndown_http_request_duration_seconds_sum{route="/v1/ingest",code="200"} 0.405
burndown_http_request_duration_seconds_count{route="/v1/ingest",code="200"} 110
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="429",le="0.001"} 10
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="429",le="0.01"} 10
burndown_http_request_duration_seconds_bucket{route="/v1/ingest",code="429",le="+Inf"} 10
burndown_http_request_duration_seconds_sum{route="/v1/ingest",code="429"} 0.001
burndown_http_request_duration_seconds_count{route="/v1/ingest",code="429"} 10
burndown_http_request_duration_seconds_bucket{route="/v1/entitlements/check",code="200",le="+Inf"} 99
go_memstats_mallocs_total 5000
`

// The histogram of a phase is the difference of two scrapes, over every
// status code of the route and no other route.
func TestScrapeDeltaHistogram(t *testing.T) {
	d := ParseScrape([]byte(scrapeAfter)).Sub(ParseScrape([]byte(scrapeBefore)))
	if d["go_memstats_mallocs_total"] != 4000 {
		t.Fatalf("mallocs delta %v", d["go_memstats_mallocs_total"])
	}
	h := d.Histogram("burndown_http_request_duration_seconds", `route="/v1/ingest"`)
	if h.Count != 110 || math.Abs(h.Sum-0.401) > 1e-9 {
		t.Fatalf("count %v sum %v", h.Count, h.Sum)
	}
	// 60 of 110 at or under 1 ms, 108 under 10 ms: the median is in the
	// first bucket, the p99 (rank 108.9) past the last finite bound.
	if q := h.Quantile(0.5); math.Abs(q-0.001*55/60) > 1e-9 {
		t.Errorf("p50 %v", q)
	}
	if q := h.Quantile(0.9); math.Abs(q-(0.001+0.009*(99-60)/48)) > 1e-9 {
		t.Errorf("p90 %v", q)
	}
	if q := h.Quantile(0.99); q != 0.01 {
		t.Errorf("p99 in the +Inf bucket answers the largest finite bound, got %v", q)
	}
	if q := (Histogram{}).Quantile(0.99); !math.IsNaN(q) {
		t.Errorf("empty histogram: %v", q)
	}
}
