package engine

import (
	"context"
	"testing"

	"burndown/money"
)

// Scenario D (seed 004). Step 1: an override `entitled: false` for the tag
// premium hides the premium products on the Basic contract. Step 2: the
// October invoice in arrears, finalized after its grace period; a late
// event is a counted reject. Step 3: the upgrade to Best with updateEndDate
// and a monthly scheduled charge; usage routed by its timestamp.
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
	products["AI model"] = h.must(&CreateProduct{Name: "AI model", Type: ProductFixed}).ID
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
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		inv := c.Contracts[0].Invoices[0]
		if !inv.Total.Equal(money.MustParse("1750")) {
			t.Errorf("October draft total %s, want 1750", inv.Total)
		}
	})
	// October closes on 2024-11-01; its draft takes late events for the 24 h
	// grace period, and the tick at 2024-11-02 finalizes it.
	h.setClock("2024-11-01T00:00:00Z")
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		if inv := c.Contracts[0].Invoices[0]; inv.Status != InvoiceDraft {
			t.Errorf("October invoice %s inside its grace period, want DRAFT", inv.Status)
		}
	})
	h.setClock("2024-11-02T00:00:00Z")
	r := h.must(h.events("team@customer.com", "Email generation", "late", 0, 1, "2024-10-31T23:00:00Z"))
	if r.Ingest.Rejected[RejectFinalized] != 1 {
		t.Fatalf("late event outcome %+v, want one period_finalized reject", r.Ingest)
	}
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		inv := c.Contracts[0].Invoices[0]
		if inv.Status != InvoiceFinalized || !inv.Total.Equal(money.MustParse("1750")) || inv.FinalizedAt != ns(t, "2024-11-02T00:00:00Z") {
			t.Errorf("October invoice %s total %s finalized %d, want FINALIZED 1750 at 2024-11-02", inv.Status, inv.Total, inv.FinalizedAt)
		}
		if c.Rejects()[RejectFinalized] != 1 {
			t.Errorf("customer reject count %v", c.Rejects())
		}
	})

	// Step 3: the upgrade. The Basic contract ends on 2025-02-01 and the Best
	// contract (no premium override) starts there, for six months, with a
	// monthly scheduled charge of 1000 for the AI model.
	h.setClock("2025-01-15T00:00:00Z")
	basic := h.contractID(cust, 0)
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: basic, EndingBefore: ns(t, "2025-02-01T00:00:00Z")})
	// A contract overlapping Basic is refused when written by a build that
	// refused overlaps (create_contract versions 2 to 4).
	if r := h.apply(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2025-01-20T00:00:00Z"), Name: "Early", OverlapsRefused: true})[0]; r.Err == nil || r.Err.Code != Invalid {
		t.Fatalf("overlapping contract: %+v, want Invalid", r.Err)
	}
	thousand := dec("1000")
	best := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, Name: "Best",
		StartingAt: ns(t, "2025-02-01T00:00:00Z"), EndingBefore: ns(t, "2025-08-01T00:00:00Z"),
		ScheduledCharges: []ScheduledChargeInput{{ProductID: products["AI model"], Recurring: &RecurringScheduleInput{
			StartingAt: ns(t, "2025-02-01T00:00:00Z"), EndingBefore: ns(t, "2025-08-01T00:00:00Z"),
			Frequency: FrequencyMonthly, AmountDistribution: DistributionEach, Amount: &thousand}}}}).ID

	// 2025-01-31 bills on Basic, where reminders are not entitled.
	h.setClock("2025-01-31T12:00:00Z")
	if e, r, _ := h.check("team@customer.com", products["Automated reminders"]); e != "false" || r != ReasonNotEntitled {
		t.Errorf("reminders on Basic: %s %s", e, r)
	}
	h.must(h.events("team@customer.com", "Email generation", "jan", 0, 10, "2025-01-31T12:00:00Z"))
	h.must(h.events("team@customer.com", "Automated reminders", "janr", 0, 3, "2025-01-31T12:00:00Z"))
	// 2025-02-01 bills on Best, where they are.
	h.setClock("2025-02-01T00:00:00Z")
	if e, r, _ := h.check("team@customer.com", products["Automated reminders"]); e != "true" || r != ReasonOK {
		t.Errorf("reminders on Best: %s %s", e, r)
	}
	h.must(h.events("team@customer.com", "Email generation", "feb", 0, 10, "2025-02-01T00:00:00Z"))
	h.must(h.events("team@customer.com", "Automated reminders", "febr", 0, 5, "2025-02-01T00:00:00Z"))

	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		b, k := c.Contract(basic), c.Contract(best)
		jan := b.findInvoice(ns(t, "2025-01-31T12:00:00Z"))
		if jan == nil || !jan.Total.Equal(money.MustParse("100")) || jan.End != ns(t, "2025-02-01T00:00:00Z") {
			t.Fatalf("Basic January invoice %+v, want 100 ending 2025-02-01", jan)
		}
		if b.findInvoice(ns(t, "2025-02-01T00:00:00Z")) != nil {
			t.Error("Basic has an invoice after its end")
		}
		feb := k.findInvoice(ns(t, "2025-02-01T00:00:00Z"))
		if feb == nil || !feb.Total.Equal(money.MustParse("1200")) {
			t.Fatalf("Best February invoice %+v, want 1000 + 200 of usage", feb)
		}
		var charge, usage money.Amount
		for _, l := range feb.Lines {
			switch l.Type {
			case LineScheduled:
				charge = charge.Add(l.Total)
			case LineUsage:
				usage = usage.Add(l.Total)
			}
		}
		if !charge.Equal(money.MustParse("1000")) || !usage.Equal(money.MustParse("200")) {
			t.Errorf("February lines: charge %s usage %s, want 1000 and 200", charge, usage)
		}
		if n := len(k.ScheduledCharges()[0].Items); n != 6 {
			t.Errorf("%d charge items, want 6 (February to July)", n)
		}
	})
}

// contractID returns the id of the customer's i-th contract.
func (h *harness) contractID(cust string, i int) string {
	h.t.Helper()
	var id string
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) { id = c.Contracts[i].ID })
	return id
}
