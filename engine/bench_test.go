package engine

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// benchEngine builds an engine with n customers, each on a prepaid contract
// with one 10^9-cent commit on a 1-cent-per-call product.
func benchEngine(tb testing.TB, n, shards int) (*Engine, *harness) {
	t, ok := tb.(*testing.T)
	if !ok {
		t = &testing.T{}
	}
	h := &harness{t: t, e: New(Config{Shards: shards}), now: mustTime(tb, "2026-01-02T00:00:00Z")}
	tb.Cleanup(h.e.Close)
	start := ns(tb, "2026-01-01T00:00:00Z")
	apply := func(cmds ...Command) {
		h.index++
		for i, r := range h.e.Apply([]Entry{{Index: h.index, Time: h.now.UnixNano(), Commands: cmds}})[0] {
			if r.Err != nil {
				tb.Fatalf("setup command %d: %v", i, r.Err)
			}
		}
	}
	apply(&CreateMetric{ID: "m", Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}})
	apply(&CreateProduct{ID: "calls", Name: "Calls", Type: ProductUsage, BillableMetricID: "m"}, &CreateProduct{ID: "fixed", Name: "Purchase", Type: ProductFixed}, &CreateRateCard{ID: "rc", Name: "rc"})
	apply(&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "calls", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	for i := 0; i < n; i += 1000 {
		var cmds []Command
		for j := i; j < i+1000 && j < n; j++ {
			id := fmt.Sprintf("cust-%07d", j)
			cmds = append(cmds, &CreateCustomer{ID: id, Name: id, IngestAliases: []string{"alias-" + id}},
				&CreateContract{CustomerID: id, RateCardID: "rc", StartingAt: start, PrepaidOnly: true,
					Commits: []CommitInput{{Type: CommitPrepaid, ProductID: "fixed", AccessSchedule: []ScheduleItem{{Amount: dec("1000000000"), StartingAt: start, EndingBefore: ns(tb, "2027-01-01T00:00:00Z")}}}}})
		}
		apply(cmds...)
	}
	return h.e, h
}

// The entitlement check must not allocate: it runs on every gateway request.
func TestCheckDoesNotAllocate(t *testing.T) {
	e, _ := benchEngine(t, 100, 2)
	cust, prod := []byte("alias-cust-0000042"), []byte("calls")
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(1000, func() {
		if body, st := e.AppendCheck(buf[:0], cust, prod, nil, nil); st != CheckFound || len(body) == 0 {
			t.Fatal("check failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("Check allocates %.1f times per call, want 0", allocs)
	}
}

func BenchmarkCheck(b *testing.B) {
	e, _ := benchEngine(b, 10000, 2)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("alias-cust-%07d", i*7%10000))
	}
	prod := []byte("calls")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		buf := make([]byte, 0, 256)
		for pb.Next() {
			e.AppendCheck(buf[:0], keys[i&1023], prod, nil, nil)
			i++
		}
	})
}

// BenchmarkApplyIngest measures apply of one log entry holding ten ingest
// requests of 100 events; ns/op divided by 1000 is the cost per event.
// "spread" draws each event's customer uniformly from 10k customers; "hot"
// from 100, as a Zipf-skewed workload concentrates on a few. "each" rates
// every event on its own, "runs" rates runs of identical events once.
func BenchmarkApplyIngest(b *testing.B) {
	for _, active := range []int{10000, 100} {
		for _, each := range []bool{true, false} {
			mode := "runs"
			if each {
				mode = "each"
			}
			name := fmt.Sprintf("customers=%d/%s", active, mode)
			b.Run(name, func(b *testing.B) {
				e, h := benchEngine(b, 10000, 2)
				e.rateEachEvent = each
				ts := h.now.UnixNano()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					cmds := make([]Command, 10)
					for r := range cmds {
						in := &Ingest{Events: make([]Event, 100)}
						for j := range in.Events {
							n := i*1000 + r*100 + j
							in.Events[j] = Event{TransactionID: fmt.Sprintf("tx-%d", n), CustomerID: fmt.Sprintf("alias-cust-%07d", (n*7919)%active), EventType: "call", Timestamp: ts - int64(n%1000)*int64(time.Millisecond)}
						}
						cmds[r] = in
					}
					b.StartTimer()
					h.index++
					e.Apply([]Entry{{Index: h.index, Time: ts, Commands: cmds}})
				}
				b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkApplyIngestMetrics is BenchmarkApplyIngest's spread workload
// (10k customers, one entry of ten 100-event requests) with 1, 3 or 10
// metrics matching every event, each priced by its own product. With one
// metric it is the COUNT-on-FLAT workload of BenchmarkApplyIngest (events
// rated in runs); with more, the metrics cycle through COUNT, SUM, MAX,
// UNIQUE and LATEST, every event carries the properties they read, and each
// event is rated once per product.
func BenchmarkApplyIngestMetrics(b *testing.B) {
	for _, metrics := range []int{1, 3, 10} {
		b.Run(fmt.Sprintf("metrics=%d", metrics), func(b *testing.B) {
			e, h := benchEngine(b, 10000, 2)
			start := ns(b, "2026-01-01T00:00:00Z")
			aggs := []string{AggCount, AggSum, AggMax, AggUnique, AggLatest}
			var rates []RateInput
			for i := 1; i < metrics; i++ {
				id := fmt.Sprintf("m%d", i)
				m := &CreateMetric{ID: id, Name: id, EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: aggs[i%len(aggs)]}
				switch m.Aggregation {
				case AggSum, AggMax, AggLatest:
					m.AggregationKey = "n"
				case AggUnique:
					m.AggregationKey = "user"
				}
				h.index++
				e.Apply([]Entry{{Index: h.index, Time: h.now.UnixNano(), Commands: []Command{m,
					&CreateProduct{ID: "p-" + id, Name: id, Type: ProductUsage, BillableMetricID: id}}}})
				rates = append(rates, RateInput{ProductID: "p-" + id, StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("0.01")})
			}
			if len(rates) > 0 {
				h.index++
				e.Apply([]Entry{{Index: h.index, Time: h.now.UnixNano(), Commands: []Command{&AddRates{RateCardID: "rc", Rates: rates}}}})
			}
			ts := h.now.UnixNano()
			var ms runtime.MemStats
			var mallocs uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cmds := make([]Command, 10)
				for r := range cmds {
					in := &Ingest{Events: make([]Event, 100)}
					for j := range in.Events {
						n := i*1000 + r*100 + j
						in.Events[j] = Event{TransactionID: fmt.Sprintf("tx-%d", n), CustomerID: fmt.Sprintf("alias-cust-%07d", (n*7919)%10000), EventType: "call", Timestamp: ts - int64(n%1000)*int64(time.Millisecond)}
						if metrics > 1 {
							in.Events[j].Properties = map[string]string{"n": fmt.Sprint(n % 97), "user": fmt.Sprint("u", n%13)}
						}
					}
					cmds[r] = in
				}
				runtime.ReadMemStats(&ms)
				before := ms.Mallocs
				b.StartTimer()
				h.index++
				e.Apply([]Entry{{Index: h.index, Time: ts, Commands: cmds}})
				b.StopTimer()
				runtime.ReadMemStats(&ms)
				mallocs += ms.Mallocs - before
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(mallocs)/float64(b.N*1000), "allocs/event")
		})
	}
}
