package persist

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"burndown/engine"
)

// encodeAt encodes cmds as one entry, each command at the given version, as
// a build that wrote that version did (the msgpack body is the same layout).
func encodeAt(t *testing.T, at engine.Nanos, version uint8, cmds ...engine.Command) []byte {
	t.Helper()
	out := AppendEntryHeader(nil, at, len(cmds))
	for _, c := range cmds {
		body, err := Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = AppendCommand(out, Encoded{Kind: c.Kind(), Version: version, Body: body})
	}
	return out
}

// foundationHistory applies, through the codec, a catalog and contracts in
// the given command version: a MAX metric, a TIERED rate (flat price 2,
// tiers 10 then 1), two overlapping contracts, and two events.
func foundationHistory(t *testing.T, version uint8) (*engine.Engine, []engine.Result) {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString
	size := d("1")
	t0 := engine.Nanos(1767225600000000000) // 2026-01-01
	e := engine.New(engine.Config{Shards: 2})
	t.Cleanup(e.Close)
	entries := [][]engine.Command{
		{&engine.CreateMetric{ID: "m-max", Name: "peak", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"g"}}, Aggregation: engine.AggMax, AggregationKey: "n"},
			&engine.CreateMetric{ID: "m-count", Name: "calls", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"c"}}, Aggregation: engine.AggCount}},
		{&engine.CreateProduct{ID: "p-max", Name: "peak", Type: engine.ProductUsage, BillableMetricID: "m-max"},
			&engine.CreateProduct{ID: "p-count", Name: "calls", Type: engine.ProductUsage, BillableMetricID: "m-count"},
			&engine.CreateRateCard{ID: "rc", Name: "rc"}},
		{&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{
			{ProductID: "p-max", StartingAt: t0, Entitled: true, RateType: engine.RateFlat, Price: d("3")},
			{ProductID: "p-count", StartingAt: t0, Entitled: true, RateType: engine.RateTiered, Price: d("2"), Tiers: []engine.Tier{{Size: &size, Price: d("10")}, {Price: d("1")}}}}}},
		{&engine.CreateCustomer{ID: "cu", IngestAliases: []string{"cu"}},
			&engine.CreateContract{ID: "k1", CustomerID: "cu", RateCardID: "rc", StartingAt: t0},
			&engine.CreateContract{ID: "k2", CustomerID: "cu", RateCardID: "rc", StartingAt: t0 + 86400e9}},
		{&engine.Ingest{Events: []engine.Event{
			{TransactionID: "1", CustomerID: "cu", EventType: "g", Timestamp: t0 + 2*86400e9, Properties: map[string]string{"n": "5"}},
			{TransactionID: "2", CustomerID: "cu", EventType: "c", Timestamp: t0 + 2*86400e9},
			{TransactionID: "3", CustomerID: "cu", EventType: "c", Timestamp: t0 + 2*86400e9}}}},
	}
	var results []engine.Result
	for i, cmds := range entries {
		v := version
		if _, ok := cmds[0].(*engine.Ingest); ok || version > 1 {
			v = 0 // written by this build's codec
		}
		var b []byte
		if v == 0 {
			if b, err = c.EncodeEntry(t0+3*86400e9, cmds); err != nil {
				t.Fatal(err)
			}
		} else {
			b = encodeAt(t, t0+3*86400e9, v, cmds...)
		}
		at, decoded, err := c.DecodeEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, e.Apply([]engine.Entry{{Index: uint64(i + 1), Time: at, Commands: decoded}})[0]...)
	}
	return e, results
}

// usageLines describes the customer's usage lines as "product: quantity @ total".
func usageLines(t *testing.T, e *engine.Engine) string {
	t.Helper()
	var lines []string
	e.Read(t.Context(), "cu", func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
		for _, k := range c.Contracts {
			for _, inv := range k.Invoices {
				for _, l := range inv.Lines {
					if l.Type == engine.LineUsage {
						lines = append(lines, l.ProductID+": "+l.Quantity.String()+" @ "+l.Total.String())
					}
				}
			}
		}
	})
	return strings.Join(lines, "; ")
}

// Entries written by the foundation (version 1) keep the meaning they had:
// its MAX metric never rates, its TIERED rate prices flat and its contracts
// may overlap. The same history written today rates MAX, prices by tiers
// and refuses the overlapping contract.
func TestFoundationMeaningIsKept(t *testing.T) {
	old, oldRes := foundationHistory(t, 1)
	for i, r := range oldRes {
		if r.Err != nil {
			t.Fatalf("foundation command %d refused: %v", i, r.Err)
		}
	}
	if got := usageLines(t, old); got != "p-count: 2 @ 4" {
		t.Fatalf("foundation history bills %q, want the TIERED rate flat at 2 and no MAX usage", got)
	}
	now, nowRes := foundationHistory(t, 2)
	overlap := nowRes[len(nowRes)-2]
	if overlap.Err == nil || !strings.Contains(overlap.Err.Message, "overlaps contract k1") {
		t.Fatalf("today's overlapping contract: %v", overlap.Err)
	}
	if got := usageLines(t, now); got != "p-max: 5 @ 15; p-count: 2 @ 11" {
		t.Fatalf("today's history bills %q, want MAX 5 × 3 and tiers 10 + 1", got)
	}
}

// A catalog read from a snapshot written before catalog section version 2
// gets the foundation's meaning too.
func TestFoundationCatalogIsMarked(t *testing.T) {
	cat := engine.NewCatalog()
	cat.Metrics["m"] = &engine.Metric{CreateMetric: engine.CreateMetric{ID: "m", Aggregation: engine.AggUnique}}
	cat.MetricOrder = append(cat.MetricOrder, "m")
	engine.MarkFoundationCatalog(cat)
	if !cat.Metrics["m"].Unrated {
		t.Fatal("a UNIQUE metric of an old catalog would now be rated")
	}
}
