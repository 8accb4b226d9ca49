package engine

import (
	"context"
	"testing"
)

// Scenario D step 1 (seed 004): an override `entitled: false` for the tag
// premium hides the premium products on the Basic contract.
func TestScenarioDOverrideEntitlement(t *testing.T) {
	h := newHarness(t, "2024-10-01T00:00:00Z")
	start := ns(t, "2024-10-01T00:00:00Z")
	products := map[string]string{}
	prices := []struct {
		name, price string
		tags        []string
	}{
		{"Email generation", "10", nil},
		{"Spreadsheet updates", "15", nil},
		{"Automated reminders", "20", []string{"premium"}},
		{"Slack integration", "10", []string{"premium"}},
	}
	rc := h.must(&CreateRateCard{Name: "PayGo"}).ID
	for _, p := range prices {
		m := h.must(&CreateMetric{Name: p.name, EventTypeFilter: &EventTypeFilter{InValues: []string{p.name}}, Aggregation: AggCount}).ID
		id := h.must(&CreateProduct{Name: p.name, Type: ProductUsage, BillableMetricID: m, Tags: p.tags}).ID
		products[p.name] = id
		h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: id, StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec(p.price)}}})
	}
	h.must(&CreateProduct{Name: "AI model", Type: ProductFixed})
	cust := h.must(&CreateCustomer{Name: "Team", IngestAliases: []string{"team@customer.com"}}).ID
	no := false
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: start, Name: "Basic",
		Overrides: []OverrideInput{{StartingAt: start, ApplicableProductTags: []string{"premium"}, Entitled: &no}}})

	want := map[string][2]string{
		"Email generation":    {"true", ReasonOK},
		"Spreadsheet updates": {"true", ReasonOK},
		"Automated reminders": {"false", ReasonNotEntitled},
		"Slack integration":   {"false", ReasonNotEntitled},
	}
	for name, w := range want {
		e, r, _ := h.check("team@customer.com", products[name])
		if e != w[0] || r != w[1] {
			t.Errorf("%s: got %s %s, want %s %s", name, e, r, w[0], w[1])
		}
	}

	// October usage is billed on the draft invoice: 100 emails and 50 row updates.
	h.setClock("2024-10-15T00:00:00Z")
	h.must(h.events("team@customer.com", "Email generation", "e", 0, 100, "2024-10-15T00:00:00Z"))
	h.must(h.events("team@customer.com", "Spreadsheet updates", "s", 0, 50, "2024-10-15T00:00:00Z"))
	// Usage of a product the customer is not entitled to is not billed.
	h.must(h.events("team@customer.com", "Slack integration", "k", 0, 5, "2024-10-15T00:00:00Z"))
	h.e.Read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		inv := c.Contracts[0].Invoices[0]
		if !inv.Total.Equal(MustAmount("1750")) {
			t.Errorf("October draft total %s, want 1750", inv.Total)
		}
	})
	// On 2024-11-01 October is finalized; a late October event is a counted reject.
	h.setClock("2024-11-01T00:00:00Z")
	r := h.must(h.events("team@customer.com", "Email generation", "late", 0, 1, "2024-10-31T23:00:00Z"))
	if r.Ingest.Rejected[RejectFinalized] != 1 {
		t.Fatalf("late event outcome %+v, want one period_finalized reject", r.Ingest)
	}
	h.e.Read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		inv := c.Contracts[0].Invoices[0]
		if inv.Status != InvoiceFinalized || !inv.Total.Equal(MustAmount("1750")) {
			t.Errorf("October invoice %s total %s, want FINALIZED 1750", inv.Status, inv.Total)
		}
		if c.Rejects[RejectFinalized] != 1 {
			t.Errorf("customer reject count %v", c.Rejects)
		}
	})
}
