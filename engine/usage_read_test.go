package engine

import (
	"testing"

	"burndown/money"
)

// usageReadCatalog has a SUM metric and a UNIQUE metric, one product each.
func usageReadCatalog() *Catalog {
	cat := &Catalog{Metrics: map[string]*Metric{}, Products: map[string]*Product{}}
	for _, m := range []struct{ id, agg string }{{"sum", AggSum}, {"uniq", AggUnique}} {
		cat.Metrics[m.id] = &Metric{CreateMetric: CreateMetric{ID: m.id, Name: m.id, Aggregation: m.agg}}
		cat.MetricOrder = append(cat.MetricOrder, m.id)
		p := "p-" + m.id
		cat.Products[p] = &Product{CreateProduct: CreateProduct{ID: p, Type: ProductUsage, BillableMetricID: m.id}}
		cat.ProductOrder = append(cat.ProductOrder, p)
	}
	cat.index()
	return cat
}

func hashes(vals ...byte) []byte {
	var out []byte
	for _, v := range vals {
		h := make([]byte, 16)
		h[0] = v
		out = append(out, h...)
	}
	return out
}

// A UNIQUE metric's value over several periods is the number of distinct
// values across them, not the sum of each period's count.
func TestMetricUsageUniqueUnionsPeriods(t *testing.T) {
	cat := usageReadCatalog()
	k := &Contract{ID: "k", Invoices: []*Invoice{
		{ContractID: "k", Start: 0, End: 10, LastUsageAt: 5, Status: InvoiceFinalized,
			Extra: &InvoiceExtra{Aggs: []*UsageAgg{{ProductID: "p-uniq", Quantity: money.FromInt(2), Uniques: hashes(1, 2)}}}},
		{ContractID: "k", Start: 10, End: 20, LastUsageAt: 15, Status: InvoiceDraft,
			Extra: &InvoiceExtra{Aggs: []*UsageAgg{{ProductID: "p-uniq", Quantity: money.FromInt(2), Uniques: hashes(2, 3)}}}},
	}}
	c := &Customer{Contracts: []*Contract{k}}
	a := c.metricUsage(cat, UsageQuery{MetricID: "uniq", StartingOn: 0, EndingBefore: 20}, 16)
	if a.Gap != nil || !a.Value.Known || a.Value.Amount.String() != "3" {
		t.Fatalf("unique over two periods: %+v", a)
	}
}

// Statement periods of two contracts that overlap in time and both hold
// usage of the metric: both may have rated the same events, so no number.
func TestMetricUsageOverlappingContractsIsAGap(t *testing.T) {
	cat := usageReadCatalog()
	line := func(q int64) []*InvoiceLine {
		return []*InvoiceLine{{Type: LineUsage, ProductID: "p-sum", Quantity: money.FromInt(q)}}
	}
	a := &Contract{ID: "a", Invoices: []*Invoice{{ContractID: "a", Start: 0, End: 10, LastUsageAt: 4, Status: InvoiceDraft, Lines: line(3)}}}
	b := &Contract{ID: "b", Invoices: []*Invoice{{ContractID: "b", Start: 5, End: 10, LastUsageAt: 6, Status: InvoiceDraft, Lines: line(4)}}}
	c := &Customer{Contracts: []*Contract{a, b}}
	got := c.metricUsage(cat, UsageQuery{MetricID: "sum", StartingOn: 0, EndingBefore: 10}, 8)
	if got.Gap == nil || got.Gap.Reason != GapContracts || got.Gap.Start != 5 || got.Gap.End != 10 {
		t.Fatalf("overlap: %+v", got)
	}
	// Without the overlap (b's period moved on), the two add up.
	b.Invoices[0].Start, b.Invoices[0].End, b.Invoices[0].LastUsageAt = 10, 20, 12
	got = c.metricUsage(cat, UsageQuery{MetricID: "sum", StartingOn: 0, EndingBefore: 20}, 13)
	if got.Gap != nil || got.Value.Amount.String() != "7" {
		t.Fatalf("disjoint: %+v", got)
	}
}

// windowHolds counts a period wholly, not at all, or is a gap, never a
// part.
func TestWindowHolds(t *testing.T) {
	inv := &Invoice{Start: 10, End: 20, LastUsageAt: 14}
	for _, c := range []struct {
		from, before Nanos
		in           bool
		gap          string
	}{
		{10, 20, true, ""}, {0, 30, true, ""}, {10, 15, true, ""}, // whole, or all usage before the end
		{20, 30, false, ""}, {0, 10, false, ""}, {15, 30, false, ""}, // no overlap, or all usage before the start
		{12, 30, false, GapStart}, {10, 14, false, GapEnd}, {11, 13, false, GapStart},
	} {
		in, gap := windowHolds(inv, c.from, c.before)
		reason := ""
		if gap != nil {
			reason = gap.Reason
		}
		if in != c.in || reason != c.gap {
			t.Errorf("[%d, %d): in %v gap %q, want %v %q", c.from, c.before, in, reason, c.in, c.gap)
		}
	}
	// An older statement without LastUsageAt may hold usage anywhere in it.
	if _, gap := windowHolds(&Invoice{Start: 10, End: 20}, 10, 15); gap == nil || gap.Reason != GapEnd {
		t.Errorf("unknown last usage: %+v", gap)
	}
}

// Usage recorded for a product without the group key cannot be split by
// it: a gap, even when another product of the metric has the key.
func TestMetricUsageGroupKeyOfTheProductWithUsage(t *testing.T) {
	cat := usageReadCatalog()
	cat.Products["p-keyed"] = &Product{CreateProduct: CreateProduct{ID: "p-keyed", Type: ProductUsage, BillableMetricID: "sum", PresentationGroupKey: []string{"region"}}}
	cat.ProductOrder = append(cat.ProductOrder, "p-keyed")
	cat.index()
	k := &Contract{ID: "k", Invoices: []*Invoice{{ContractID: "k", Start: 0, End: 10, LastUsageAt: 3, Status: InvoiceDraft,
		Lines: []*InvoiceLine{{Type: LineUsage, ProductID: "p-sum", Quantity: money.FromInt(2)}}}}}
	c := &Customer{Contracts: []*Contract{k}}
	if !cat.MetricGroupKey("sum", "region") {
		t.Fatal("region is a key of p-keyed")
	}
	got := c.metricUsage(cat, UsageQuery{MetricID: "sum", StartingOn: 0, EndingBefore: 10, GroupKey: "region"}, 5)
	if got.Gap == nil || got.Gap.Reason != GapGroupKey || got.Gap.ProductIDs[0] != "p-sum" {
		t.Fatalf("group key of another product: %+v", got)
	}
	k.Invoices[0].Lines = append(k.Invoices[0].Lines[:0], &InvoiceLine{Type: LineUsage, ProductID: "p-keyed", Quantity: money.FromInt(5), Group: NewLineGroup([]string{"eu"})})
	got = c.metricUsage(cat, UsageQuery{MetricID: "sum", StartingOn: 0, EndingBefore: 10, GroupKey: "region"}, 5)
	if got.Gap != nil || got.Value.Amount.String() != "5" || len(got.Groups) != 1 || got.Groups[0].Value != "eu" || got.Groups[0].Usage.Amount.String() != "5" {
		t.Fatalf("keyed product: %+v", got)
	}
}
