package engine

import (
	"context"
	"testing"

	"burndown/money"
)

// Scenario A of SCENARIOS.md (seed 000): prepaid credits, cut-off at zero,
// expiry. Payment gates (steps 2-3, 6-7) come with the payments issue; here
// the 2000-cent commit is on the contract from the start.
func TestScenarioAPrepaidCutoff(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	metric := h.must(&CreateMetric{Name: "api_calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"api_call"}}, Aggregation: AggCount}).ID
	api := h.must(&CreateProduct{Name: "API calls", Type: ProductUsage, BillableMetricID: metric}).ID
	purchase := h.must(&CreateProduct{Name: "Credit purchase", Type: ProductFixed}).ID
	rc := h.must(&CreateRateCard{Name: "Prepaid"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: api, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	cust := h.must(&CreateCustomer{Name: "Example Inc", IngestAliases: []string{"example-inc"},
		BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_123"}}}}).ID

	// Step 1: a prepaid-only contract without balance is not entitled.
	empty := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-01-01T00:00:01Z"), PrepaidOnly: true})
	_ = empty
	if e, r, b := h.check("example-inc", api); e != "false" || r != ReasonBalanceDepleted || b != "0" {
		t.Fatalf("step 1: got %s %s %s, want false balance_depleted 0", e, r, b)
	}

	// The contract with its 2000-cent prepaid commit (what steps 2-3 produce once paid).
	h.setClock("2026-01-01T00:00:01Z")
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:01Z"), PrepaidOnly: true,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase, AccessSchedule: []ScheduleItem{{
			Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	if e, r, b := h.check("example-inc", api); e != "true" || r != ReasonOK || b != "2000" {
		t.Fatalf("after commit: got %s %s %s", e, r, b)
	}

	// Step 4: 1500 events as 15 requests of 100; resending changes nothing.
	h.setClock("2026-01-02T00:00:00Z")
	var batches []*Ingest
	for i := 0; i < 15; i++ {
		batches = append(batches, h.events("example-inc", "api_call", "a", i*100, 100, "2026-01-02T00:00:00Z"))
	}
	for _, b := range batches {
		if r := h.must(b); r.Ingest.Accepted != 100 {
			t.Fatalf("accepted %d, want 100", r.Ingest.Accepted)
		}
	}
	if got := h.balance(cust); !got.Equal(money.MustParse("500")) {
		t.Fatalf("step 4: balance %s, want 500", got)
	}
	for _, b := range batches {
		r := h.must(b)
		if r.Ingest.Accepted != 0 || r.Ingest.Duplicates != 100 {
			t.Fatalf("resend: accepted %d duplicates %d", r.Ingest.Accepted, r.Ingest.Duplicates)
		}
	}
	if got := h.balance(cust); !got.Equal(money.MustParse("500")) {
		t.Fatalf("step 4 resend: balance %s, want 500", got)
	}

	// Step 5: 600 more: balance 0, 100 cents overage, balance_depleted.
	for i := 0; i < 6; i++ {
		h.must(h.events("example-inc", "api_call", "b", i*100, 100, "2026-01-02T00:00:00Z"))
	}
	if got := h.balance(cust); !got.IsZero() {
		t.Fatalf("step 5: balance %s, want 0", got)
	}
	if e, r, _ := h.check("example-inc", api); e != "false" || r != ReasonBalanceDepleted {
		t.Fatalf("step 5: got %s %s, want false balance_depleted", e, r)
	}
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		k := c.ContractAt(now)
		inv, _ := k.invoiceFor(ns(t, "2026-01-02T00:00:00Z"))
		if !inv.Total.Equal(money.MustParse("100")) {
			t.Errorf("step 5: invoice total %s, want 100", inv.Total)
		}
		var usage, applied string
		for _, l := range inv.Lines {
			switch l.Type {
			case LineUsage:
				usage = l.Total.String()
			case LineAppliedCommit:
				applied = l.Total.String()
			}
		}
		if usage != "2100" || applied != "-2000" {
			t.Errorf("step 5: usage line %s applied %s, want 2100 and -2000", usage, applied)
		}
	})
}

// Scenario A step 8: at the commit's end what remains expires.
func TestScenarioAExpiry(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	metric := h.must(&CreateMetric{Name: "api_calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"api_call"}}, Aggregation: AggCount}).ID
	api := h.must(&CreateProduct{Name: "API calls", Type: ProductUsage, BillableMetricID: metric}).ID
	rc := h.must(&CreateRateCard{Name: "Prepaid"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: api, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	cust := h.must(&CreateCustomer{Name: "Example Inc", IngestAliases: []string{"example-inc"}}).ID
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: api, AccessSchedule: []ScheduleItem{{
			Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	h.setClock("2026-06-01T00:00:00Z")
	if r := h.must(h.events("example-inc", "api_call", "x", 0, 100, "2026-06-01T00:00:00Z")); r.Ingest.Accepted != 100 {
		t.Fatalf("accepted %d", r.Ingest.Accepted)
	}
	if r := h.must(h.events("example-inc", "api_call", "future", 0, 1, "2026-06-02T00:00:01Z")); r.Ingest.Rejected[RejectFuture] != 1 {
		t.Fatalf("an event more than 24h ahead must be a counted reject: %+v", r.Ingest)
	}
	if due := h.e.NextDue(); due != ns(t, "2026-07-02T00:00:00Z") {
		t.Fatalf("next due %d, want the June period close after its 24 h grace", due)
	}
	h.setClock("2026-12-31T23:59:59Z")
	if e, _, b := h.check("example-inc", api); e != "true" || b != "1900" {
		t.Fatalf("before expiry: %s %s", e, b)
	}
	h.setClock("2027-01-01T00:00:00Z")
	if e, r, b := h.check("example-inc", api); e != "false" || r != ReasonBalanceDepleted || b != "0" {
		t.Fatalf("after expiry: %s %s %s, want false balance_depleted 0", e, r, b)
	}
	var ledger []LedgerEntry
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		ledger = c.Contracts[0].Balances[0].Ledger(now)
	})
	last := ledger[len(ledger)-1]
	if last.Type != "PREPAID_COMMIT_EXPIRATION" || !last.Amount.Equal(money.MustParse("-1900")) || last.Timestamp != ns(t, "2027-01-01T00:00:00Z") {
		t.Fatalf("last ledger entry %+v, want PREPAID_COMMIT_EXPIRATION -1900 at 2027-01-01", last)
	}
	if len(ledger) != 3 || ledger[1].Type != "PREPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION" || !ledger[1].Amount.Equal(money.MustParse("-100")) {
		t.Fatalf("ledger %+v", ledger)
	}
}
