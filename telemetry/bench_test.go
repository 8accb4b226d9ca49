package telemetry

import (
	"testing"
	"time"
)

// What recording costs the check's hot path, per request: its route's
// counter and histogram, the check histogram, and the one clock read a
// served request adds (its start is fasthttp's ctx.Time()).
//
//	go test ./telemetry -run '^$' -bench .

func BenchmarkRouteObserveDuration(b *testing.B) {
	r := New("v", "go").Route("/v1/entitlements/check")
	for b.Loop() {
		r.ObserveDuration(200, time.Microsecond)
	}
}

func BenchmarkCheckDone(b *testing.B) {
	m := New("v", "go")
	for b.Loop() {
		m.CheckDone(time.Microsecond)
	}
}

func BenchmarkClockRead(b *testing.B) {
	start := time.Now()
	var d time.Duration
	for b.Loop() {
		d += time.Since(start)
	}
	_ = d
}
