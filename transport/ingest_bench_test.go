package transport

import (
	"testing"
	"time"

	"burndown/engine"
)

// BenchmarkDecodeIngestSummed is the ingest edge's work on a request of 100
// events whose "tokens" property a SUM metric adds up: decode, check every
// summed number, check timestamps. Each number is parsed once, by the
// parser the engine rates with; allocs/op is the request's allocations.
func BenchmarkDecodeIngestSummed(b *testing.B) {
	node := newFakeNode(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	defer node.eng.Close()
	node.eng.Apply([]engine.Entry{{Index: 1, Time: node.now.UnixNano(), Commands: []engine.Command{
		&engine.CreateMetric{ID: "m", Name: "tokens", Aggregation: engine.AggSum, AggregationKey: "tokens",
			EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"api_call"}}},
	}}})
	srv, err := New(Config{Node: node, Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	body := ingestBody(100, `,"properties":{"region":"eu","tokens":"42.5"}`)
	if _, err := srv.decodeEvents(body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := srv.decodeEvents(body); err != nil {
			b.Fatal(err)
		}
	}
}
