package engine

import "testing"

// A rate added after the contract, now or for later, changes entitlement
// when it takes effect, without any usage to trigger a rebuild.
func TestRateCardChangesReachEntitlement(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	start := ns(t, "2026-01-01T00:00:00Z")
	m := h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}}).ID
	calls := h.must(&CreateProduct{Name: "Calls", Type: ProductUsage, BillableMetricID: m}).ID
	later := h.must(&CreateProduct{Name: "Beta", Type: ProductUsage, BillableMetricID: m}).ID
	rc := h.must(&CreateRateCard{Name: "rc"}).ID
	h.must(&CreateCustomer{ID: "c", Name: "c"})
	h.must(&CreateContract{CustomerID: "c", RateCardID: rc, StartingAt: start})
	if e, r, _ := h.check("c", calls); e != "false" || r != ReasonNotEntitled {
		t.Fatalf("before any rate: %s %s", e, r)
	}
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{
		{ProductID: calls, StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("1")},
		{ProductID: later, StartingAt: ns(t, "2026-02-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")},
	}})
	if e, r, _ := h.check("c", calls); e != "true" || r != ReasonOK {
		t.Fatalf("after the rate was added: %s %s", e, r)
	}
	if e, _, _ := h.check("c", later); e != "false" {
		t.Fatal("a rate starting next month already entitles")
	}
	if due := h.e.NextDue(); due != ns(t, "2026-02-01T00:00:00Z") {
		t.Fatalf("next due %d, want the rate's start", due)
	}
	h.setClock("2026-02-01T00:00:00Z")
	if e, r, _ := h.check("c", later); e != "true" || r != ReasonOK {
		t.Fatalf("once the rate starts: %s %s", e, r)
	}
}
