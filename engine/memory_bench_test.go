package engine

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memCustomers is how many customers the memory benchmarks create: 100k,
// or BURNDOWN_MEM_CUSTOMERS (e.g. 1000000 for the 1M figure).
func memCustomers(b *testing.B) int {
	v := os.Getenv("BURNDOWN_MEM_CUSTOMERS")
	if v == "" {
		return 100000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("BURNDOWN_MEM_CUSTOMERS=%q: want a positive number", v)
	}
	return n
}

// memLayer is how much of the full customer the memory benchmarks build:
// each layer adds one structure to the one before.
type memLayer int

const (
	layerCustomer memLayer = iota // customer, one ingest alias (directory entries, handle, view)
	layerContract                 // + a contract without commits
	layerCommits                  // + three prepaid commits
	layerAlerts                   // + a spend and a low-balance alert
	layerEvent                    // + one event (dedup entry, draft invoice, deductions)
	// layerUsageAlert adds a usage alert (usage_threshold_reached on a
	// billable metric), the kind the bench's scale scenario gives each
	// customer beside a low-balance one; BenchmarkMemoryPerCustomer stops
	// at layerEvent, as its figures always have.
	layerUsageAlert
)

var memLayerNames = []string{"customer+alias", "+contract", "+3commits", "+2alerts", "+event", "+usage alert"}

// BenchmarkMemoryPerCustomer reports the live Go heap per customer, after
// a forced GC, and the heap's spans in use (inuse-bytes/customer), for customers holding one ingest alias, one contract with
// three prepaid commits and two alerts (a spend threshold and a low
// commit balance), with one event ingested (its dedup entry and draft
// invoice). BURNDOWN_MEM_PROFILE=path writes an inuse heap profile while
// the engine is still alive (go test's -memprofile is written after it is
// gone).
func BenchmarkMemoryPerCustomer(b *testing.B) {
	n := memCustomers(b)
	for i := 0; i < b.N; i++ {
		m := memPerCustomer(b, n, layerEvent, os.Getenv("BURNDOWN_MEM_PROFILE"))
		b.ReportMetric(m.live, "bytes/customer")
		b.ReportMetric(m.inUse, "inuse-bytes/customer")
		b.ReportMetric(float64(m.gc.Microseconds())/1000, "gc-ms")
	}
}

// BenchmarkMemoryLayers builds the customers of BenchmarkMemoryPerCustomer
// one layer at a time (each sub-benchmark adds one structure to the one
// before); the difference between two layers is what that structure costs
// per customer.
func BenchmarkMemoryLayers(b *testing.B) {
	n := memCustomers(b)
	for l, name := range memLayerNames {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := memPerCustomer(b, n, memLayer(l), "")
				b.ReportMetric(m.live, "bytes/customer")
				b.ReportMetric(m.inUse, "inuse-bytes/customer")
			}
		})
	}
}

// memRead is what memPerCustomer measured.
type memRead struct {
	// live is the growth of the live heap (HeapAlloc) per customer.
	live float64
	// inUse is the growth of the heap's spans in use (HeapInuse) per
	// customer: live plus the free slots of spans that hold a live object,
	// which garbage allocated beside the customers leaves (the bench's
	// scale scenario holds this figure to the target).
	inUse float64
	// gc is how long one more full GC takes with the customers live.
	gc time.Duration
}

// memPerCustomer creates n customers up to layer and returns the heap
// growth per customer after a forced GC, and how long one more full GC
// takes with them live: the mark work every GC cycle of a server holding
// them repeats (at least every two minutes, the runtime's forced GC),
// which is what the GC takes from request latency then.
func memPerCustomer(b *testing.B, n int, layer memLayer, profile string) memRead {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e := New(Config{Shards: 2})
	defer e.Close()
	start := ns(b, "2026-01-01T00:00:00Z")
	end := ns(b, "2027-01-01T00:00:00Z")
	now := ns(b, "2026-01-02T00:00:00Z")
	idx := uint64(0)
	apply := func(cmds ...Command) {
		idx++
		for j, r := range e.Apply([]Entry{{Index: idx, Time: now, Commands: cmds}})[0] {
			if r.Err != nil {
				b.Fatalf("command %d of entry %d: %v", j, idx, r.Err)
			}
		}
	}
	apply(&CreateMetric{ID: "m", Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}})
	apply(&CreateProduct{ID: "calls", Name: "Calls", Type: ProductUsage, BillableMetricID: "m"}, &CreateProduct{ID: "fixed", Name: "Purchase", Type: ProductFixed}, &CreateRateCard{ID: "rc", Name: "rc"})
	apply(&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "calls", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	for j := 0; j < n; j += 500 {
		var cmds []Command
		for k := j; k < j+500 && k < n; k++ {
			cmds = append(cmds, memCustomerCommands(fmt.Sprintf("cust-%07d", k), layer, start, end, now)...)
		}
		apply(cmds...)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	gcStart := time.Now()
	runtime.GC()
	gc := time.Since(gcStart)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	runtime.KeepAlive(e)
	return memRead{
		live:  float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n),
		inUse: float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(n),
		gc:    gc,
	}
}

// memCustomerCommands are the commands that create one customer up to
// layer. Every string is its own copy (s), as in a command decoded from
// the log: what the engine keeps of a command's strings costs what it
// costs in a server.
func memCustomerCommands(id string, layer memLayer, start, end, now Nanos) []Command {
	s := strings.Clone
	cmds := []Command{&CreateCustomer{ID: s(id), Name: s(id), IngestAliases: []string{"alias-" + id}}}
	if layer >= layerContract {
		k := &CreateContract{CustomerID: s(id), RateCardID: s("rc"), StartingAt: start}
		if layer >= layerCommits {
			for c := 0; c < 3; c++ {
				k.Commits = append(k.Commits, CommitInput{Type: s(CommitPrepaid), ProductID: s("fixed"),
					AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: start, EndingBefore: end}}})
			}
		}
		cmds = append(cmds, k)
	}
	if layer >= layerAlerts {
		cmds = append(cmds,
			&CreateAlert{CustomerID: s(id), Name: s("spend"), Type: s(AlertSpend), Threshold: dec("500")},
			&CreateAlert{CustomerID: s(id), Name: s("low balance"), Type: s(AlertLowCommit), Threshold: dec("100")})
	}
	if layer >= layerEvent {
		cmds = append(cmds, &Ingest{Events: []Event{{TransactionID: s("t"), CustomerID: "alias-" + id, EventType: s("call"), Timestamp: now}}})
	}
	if layer >= layerUsageAlert {
		cmds = append(cmds, &CreateAlert{CustomerID: s(id), Name: s("usage"), Type: s(AlertUsage), BillableMetricID: s("m"), Threshold: dec("1000000000")})
	}
	return cmds
}
