package engine

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkDedupMemory measures what one remembered transaction id costs in
// the dedup index (live heap per key at 2M keys over one day) and what a day
// of 100M events costs at that rate (DedupBytesPerKey was set from it, and
// stays: see its comment).
//
//	go test ./engine -run '^$' -bench DedupMemory -benchtime 1x
func BenchmarkDedupMemory(b *testing.B) {
	const keys = 2_000_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d := newDedupIndex()
		for k := 0; k < keys; k++ {
			d.insert(0, "customer-"+fmt.Sprint(k%1000), fmt.Sprint("tx-", k))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey := float64(after.HeapAlloc-before.HeapAlloc) / keys
		b.ReportMetric(perKey, "bytes/id")
		b.ReportMetric(perKey*100e6/1e9, "GB/100M-events-day")
		runtime.KeepAlive(d)
	}
}

// BenchmarkDedupInsert is the cost of one insert of a new key.
func BenchmarkDedupInsert(b *testing.B) {
	d := newDedupIndex()
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = fmt.Sprint("tx-", i)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.insert(int64(i/4096)*nanosPerDay, "customer-1", ids[i%4096])
	}
}
