package burndown

import "testing"

func TestParseMetric(t *testing.T) {
	body := []byte(`# HELP go_memstats_heap_inuse_bytes x
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes_total 5
go_memstats_heap_inuse_bytes 1.5e+07
burndown_customers{node="n1"} 42
`)
	if v, ok := parseMetric(body, "go_memstats_heap_inuse_bytes"); !ok || v != 1.5e7 {
		t.Errorf("heap: %v %v", v, ok)
	}
	if v, ok := parseMetric(body, "burndown_customers"); !ok || v != 42 {
		t.Errorf("labelled: %v %v", v, ok)
	}
	if _, ok := parseMetric(body, "missing"); ok {
		t.Error("found a missing metric")
	}
}
