package cluster

import (
	"fmt"
	"testing"

	"github.com/hashicorp/raft"

	"burndown/engine"
	"burndown/money"
	"burndown/persist"
	"burndown/persist/golden"
)

// invoice.finalized follows the replicated data format: an invoice
// finalized before the entry that moves the format to v0.5.0's queues
// nothing (as the release that wrote it did), one finalized after queues
// one notification, however raft cuts the entries into batches.
func TestInvoiceFinalizedFollowsTheDataFormat(t *testing.T) {
	c, err := newCodec()
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) engine.Nanos { return golden.TS(s) }
	ingest := func(tx, ts string) *engine.Ingest {
		return &engine.Ingest{Events: []engine.Event{{TransactionID: tx, CustomerID: "c", EventType: "unit", Timestamp: at(ts)}}}
	}
	steps := []struct {
		at   string
		cmds []engine.Command
	}{
		{"2026-01-06T00:00:00Z", []engine.Command{
			&engine.CreateMetric{ID: "m", Name: "units", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"unit"}}, Aggregation: engine.AggCount},
			&engine.CreateProduct{ID: "p", Name: "Units", Type: engine.ProductUsage, BillableMetricID: "m"},
			&engine.CreateRateCard{ID: "rc", Name: "PayGo"},
			&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{{ProductID: "p", StartingAt: at("2026-01-01T00:00:00Z"), Entitled: true,
				RateType: engine.RateFlat, Price: money.FromInt(100)}}},
			&engine.CreateCustomer{ID: "c", Name: "C", IngestAliases: []string{"c"}},
			&engine.CreateContract{ID: "k", CustomerID: "c", RateCardID: "rc", StartingAt: at("2026-01-01T00:00:00Z")},
		}},
		{"2026-01-06T00:00:00Z", []engine.Command{ingest("a", "2026-01-06T00:00:00Z")}},
		{"2026-02-03T00:00:00Z", []engine.Command{&engine.Tick{}}}, // January finalized: format 0
		{"2026-02-03T00:00:00Z", []engine.Command{&dataFormatCmd{Format: persist.DataFormatCompactAmounts}}},
		{"2026-02-10T00:00:00Z", []engine.Command{ingest("b", "2026-02-10T00:00:00Z")}},
		{"2026-03-03T00:00:00Z", []engine.Command{&engine.Tick{}}}, // February finalized
	}
	var logs []*raft.Log
	for i, s := range steps {
		data, err := c.EncodeEntry(at(s.at), s.cmds)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, &raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data})
	}
	for _, splits := range [][]int{{6}, {1, 1, 1, 1, 1, 1}, {3, 3}, {2, 4}, {5, 1}} {
		e := engine.New(engine.Config{Shards: 2})
		f := newFSM(e, c)
		done := 0
		for _, k := range splits {
			for i, r := range f.ApplyBatch(logs[done : done+k]) {
				for _, res := range r.([]engine.Result) {
					if res.Err != nil {
						t.Fatalf("%v: entry %d: %s", splits, done+i+1, res.Err.Message)
					}
				}
			}
			done += k
		}
		var got []string
		for _, rec := range f.outbox.view().Records {
			if rec.Type == engine.NoteInvoiceFinalized {
				got = append(got, fmt.Sprintf("entry %d", rec.Index))
			}
		}
		e.Close()
		if fmt.Sprint(got) != "[entry 6]" {
			t.Fatalf("batches %v: invoice.finalized from %v, want [entry 6]", splits, got)
		}
	}
}
