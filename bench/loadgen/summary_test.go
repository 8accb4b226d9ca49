package loadgen

import (
	"math"
	"testing"
)

func TestSummarizePercentiles(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v <= 10000; v++ { // 1 µs .. 10 ms, uniform
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	l := Summarize(h)
	if l.Count != 10000 {
		t.Fatalf("count %d", l.Count)
	}
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > want*0.01 {
			t.Errorf("%s = %.4f ms, want ~%.4f ms", name, got, want)
		}
	}
	near("p50", l.P50, 5)
	near("p90", l.P90, 9)
	near("p99", l.P99, 9.9)
	near("p999", l.P999, 9.99)
	near("max", l.Max, 10)
	near("mean", l.Mean, 5.0005)
	if !(l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("percentiles not monotonic: %+v", l)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	if l := Summarize(NewHistogram()); l != (Latency{}) {
		t.Errorf("empty histogram gave %+v", l)
	}
	if l := Summarize(nil); l != (Latency{}) {
		t.Errorf("nil histogram gave %+v", l)
	}
}
