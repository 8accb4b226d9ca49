package persist

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"burndown/engine"
)

// scaleEngine builds n customers, each on a contract with three prepaid
// commits and a little usage, the shape the state targets are quoted for.
func scaleEngine(tb testing.TB, n int) *engine.Engine {
	tb.Helper()
	e := engine.New(engine.Config{Shards: 2})
	tb.Cleanup(e.Close)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	day := int64(24 * time.Hour)
	idx := uint64(0)
	apply := func(cmds ...engine.Command) {
		idx++
		for i, r := range e.Apply([]engine.Entry{{Index: idx, Time: t0 + day, Commands: cmds}})[0] {
			if r.Err != nil {
				tb.Fatalf("command %d: %v", i, r.Err)
			}
		}
	}
	apply(&engine.CreateMetric{ID: "m", Name: "calls", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"call"}}},
		&engine.CreateProduct{ID: "calls", Name: "Calls", Type: engine.ProductUsage, BillableMetricID: "m"},
		&engine.CreateProduct{ID: "fixed", Name: "Purchase", Type: engine.ProductFixed},
		&engine.CreateRateCard{ID: "rc", Name: "rc"})
	apply(&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{{ProductID: "calls", StartingAt: t0, Entitled: true, RateType: engine.RateFlat, Price: dec("1")}}})
	for i := 0; i < n; i += 500 {
		var cmds []engine.Command
		for j := i; j < i+500 && j < n; j++ {
			id := fmt.Sprintf("cust-%07d", j)
			var commits []engine.CommitInput
			for c := 0; c < 3; c++ {
				commits = append(commits, engine.CommitInput{Type: engine.CommitPrepaid, ProductID: "fixed",
					AccessSchedule: []engine.ScheduleItem{{Amount: dec("1000"), StartingAt: t0, EndingBefore: t0 + 365*day}}})
			}
			cmds = append(cmds, &engine.CreateCustomer{ID: id, Name: id, IngestAliases: []string{"alias-" + id}},
				&engine.CreateContract{CustomerID: id, RateCardID: "rc", StartingAt: t0, Commits: commits},
				&engine.Ingest{Events: []engine.Event{{TransactionID: "t1", CustomerID: id, EventType: "call", Timestamp: t0 + day}}})
		}
		apply(cmds...)
	}
	return e
}

// BenchmarkSnapshot reports, per customer: the pause (engine.Snapshot, during
// which applies wait), encoding and writing the stream (while applies go on),
// and reading + restoring it.
func BenchmarkSnapshot(b *testing.B) {
	const n = 20000
	e := scaleEngine(b, n)
	var stream []byte
	b.Run("pause", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			snap, err := e.Snapshot(EncodeCustomer)
			if err != nil {
				b.Fatal(err)
			}
			snap.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/customer")
	})
	b.Run("write", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			snap, err := e.Snapshot(EncodeCustomer)
			if err != nil {
				b.Fatal(err)
			}
			buf.Reset()
			if err := WriteSnapshot(&buf, snap, ClusterMeta{}); err != nil {
				b.Fatal(err)
			}
			snap.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/customer")
		stream = append([]byte(nil), buf.Bytes()...)
		b.ReportMetric(float64(len(stream))/n, "bytes/customer")
	})
	b.Run("restore", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			st, _, err := ReadSnapshot(bytes.NewReader(stream))
			if err != nil {
				b.Fatal(err)
			}
			fresh := engine.New(engine.Config{Shards: 2})
			if err := fresh.Restore(st); err != nil {
				b.Fatal(err)
			}
			fresh.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/customer")
	})
}
