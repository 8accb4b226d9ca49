package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"burndown/money"
)

// Statement periods follow the schedule's frequency from its anchor,
// clipped to the contract's term.
func TestStatementSchedules(t *testing.T) {
	cases := []struct {
		name       string
		start, end string
		sched      *StatementScheduleInput
		at         string
		from, to   string
	}{
		{"default monthly", "2026-01-10T00:00:00Z", "", nil, "2026-03-05T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"first month clipped", "2026-01-10T00:00:00Z", "", nil, "2026-01-20T00:00:00Z", "2026-01-10T00:00:00Z", "2026-02-01T00:00:00Z"},
		{"quarterly first of month", "2026-02-15T00:00:00Z", "", &StatementScheduleInput{Frequency: FrequencyQuarterly},
			"2026-03-20T00:00:00Z", "2026-02-15T00:00:00Z", "2026-05-01T00:00:00Z"},
		{"quarterly second period", "2026-02-15T00:00:00Z", "", &StatementScheduleInput{Frequency: FrequencyQuarterly},
			"2026-07-31T23:00:00Z", "2026-05-01T00:00:00Z", "2026-08-01T00:00:00Z"},
		{"contract start anchor, month end", "2026-01-31T00:00:00Z", "", &StatementScheduleInput{Frequency: FrequencyMonthly, Day: DayContractStart},
			"2026-03-01T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"annual contract start, clipped at end", "2026-04-15T12:00:00Z", "2027-01-01T00:00:00Z", &StatementScheduleInput{Frequency: FrequencyAnnual, Day: DayContractStart},
			"2026-12-31T00:00:00Z", "2026-04-15T12:00:00Z", "2027-01-01T00:00:00Z"},
		{"custom anchor", "2024-09-15T00:00:00Z", "", &StatementScheduleInput{Frequency: FrequencyMonthly, Day: DayCustomDate, BillingAnchorDate: ns(t, "2024-09-10T00:00:00Z")},
			"2024-09-20T00:00:00Z", "2024-09-15T00:00:00Z", "2024-10-10T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &Contract{StartingAt: ns(t, c.start)}
			if c.end != "" {
				k.EndingBefore = ns(t, c.end)
			}
			freq, day, anchor, err := statementAnchor(c.sched, k.StartingAt)
			if err != nil {
				t.Fatal(err)
			}
			k.Terms, k.StatementAnchor = ContractTermsOf("", freq, day), anchor
			s, e := k.periodBounds(ns(t, c.at))
			if s != ns(t, c.from) || e != ns(t, c.to) {
				t.Errorf("period of %s: %s..%s, want %s..%s", c.at, fmtTime(s), fmtTime(e), c.from, c.to)
			}
		})
	}
}

// paygo sets up a one-product rate card (price 10) and a customer "acme".
func paygo(t *testing.T, start string) (h *harness, rc, product, fixed, cust string) {
	h = newHarness(t, start)
	m := h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount}).ID
	product = h.must(&CreateProduct{Name: "Calls", Type: ProductUsage, BillableMetricID: m}).ID
	fixed = h.must(&CreateProduct{Name: "Platform", Type: ProductFixed}).ID
	rc = h.must(&CreateRateCard{Name: "RC"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: product, StartingAt: ns(t, "2020-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("10")}}})
	cust = h.must(&CreateCustomer{Name: "Acme", IngestAliases: []string{"acme"}}).ID
	return
}

func (h *harness) invoices(cust string) []Invoice {
	h.t.Helper()
	var out []Invoice
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) {
		for _, k := range c.Contracts {
			for _, inv := range k.Invoices {
				out = append(out, *inv)
			}
		}
	})
	return out
}

// A late event inside the grace period rates into the draft; once the tick
// at period end + grace has finalized it, a late event is a counted reject
// and the invoice does not change. The grace is the contract's, stored when
// it was created.
func TestInvoiceGracePeriod(t *testing.T) {
	for _, c := range []struct {
		name  string
		grace *int64
		late  string // clock when the late event arrives
		rated bool
	}{
		{"inside default grace", nil, "2026-02-01T20:00:00Z", true},
		{"after default grace", nil, "2026-02-02T00:00:00Z", false},
		{"explicit 2h grace, inside", ptr(int64(2 * time.Hour)), "2026-02-01T01:59:59Z", true},
		{"explicit 2h grace, after", ptr(int64(2 * time.Hour)), "2026-02-01T02:00:00Z", false},
		{"no grace (contracts before grace periods)", ptr(int64(0)), "2026-02-01T00:00:00Z", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, rc, _, _, cust := paygo(t, "2026-01-01T00:00:00Z")
			h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), InvoiceGracePeriod: c.grace})
			h.setClock("2026-01-20T00:00:00Z")
			h.must(h.events("acme", "call", "a", 0, 3, "2026-01-20T00:00:00Z"))
			h.setClock(c.late)
			r := h.must(h.events("acme", "call", "late", 0, 1, "2026-01-31T23:00:00Z"))
			inv := h.invoices(cust)[0]
			if c.rated {
				if r.Ingest.Accepted != 1 || inv.Status != InvoiceDraft || !inv.Total.Equal(money.MustParse("40")) {
					t.Fatalf("late event %+v, invoice %s %s; want rated into the draft (40)", r.Ingest, inv.Status, inv.Total)
				}
				return
			}
			if r.Ingest.Rejected[RejectFinalized] != 1 || inv.Status != InvoiceFinalized || !inv.Total.Equal(money.MustParse("30")) {
				t.Fatalf("late event %+v, invoice %s %s; want a period_finalized reject and FINALIZED 30", r.Ingest, inv.Status, inv.Total)
			}
		})
	}
}

// An event for a closed period that never had an invoice is a counted
// reject too: no draft is created for a period past its grace.
func TestClosedPeriodWithoutInvoice(t *testing.T) {
	h, rc, _, _, cust := paygo(t, "2026-01-01T00:00:00Z")
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.setClock("2026-02-10T00:00:00Z")
	r := h.must(h.events("acme", "call", "a", 0, 1, "2026-01-20T00:00:00Z"))
	if r.Ingest.Rejected[RejectFinalized] != 1 || len(h.invoices(cust)) != 0 {
		t.Fatalf("%+v, %d invoices", r.Ingest, len(h.invoices(cust)))
	}
}

// Recurring scheduled charges: DIVIDED splits exactly (12 places, the
// remainder on the last item), DIVIDED_ROUNDED to 2 places, EACH repeats.
func TestScheduledChargeDistributions(t *testing.T) {
	for _, c := range []struct {
		dist, amount string
		want         []string
	}{
		{DistributionDivided, "100", []string{"33.333333333333", "33.333333333333", "33.333333333334"}},
		{DistributionDividedRounded, "100", []string{"33.33", "33.33", "33.34"}},
		{DistributionDividedRounded, "200", []string{"66.67", "66.67", "66.66"}},
		{DistributionEach, "100", []string{"100", "100", "100"}},
	} {
		t.Run(c.dist+" "+c.amount, func(t *testing.T) {
			h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
			amount := dec(c.amount)
			h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
				ScheduledCharges: []ScheduledChargeInput{{ProductID: fixed, Recurring: &RecurringScheduleInput{
					StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z"), Frequency: FrequencyMonthly,
					AmountDistribution: c.dist, Amount: &amount}}}})
			invs := h.invoices(cust)
			if len(invs) != 3 {
				t.Fatalf("%d invoices, want one per month", len(invs))
			}
			var sum money.Amount
			for i, inv := range invs {
				if inv.Total.String() != c.want[i] || inv.Lines[0].Type != LineScheduled {
					t.Errorf("month %d: total %s, want %s", i+1, inv.Total, c.want[i])
				}
				sum = sum.Add(inv.Total)
			}
			if c.dist != DistributionEach && !sum.Equal(money.MustParse(c.amount)) {
				t.Errorf("items add up to %s, want %s", sum, c.amount)
			}
		})
	}
	// unit_price × quantity, and an item outside the term is refused.
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	price, qty := dec("2.5"), dec("4")
	r := h.apply(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-02-01T00:00:00Z"),
		ScheduledCharges: []ScheduledChargeInput{{ProductID: fixed, Items: []ChargeItemInput{
			{Timestamp: ns(t, "2026-01-05T00:00:00Z"), UnitPrice: &price, Quantity: &qty},
			{Timestamp: ns(t, "2026-02-05T00:00:00Z"), UnitPrice: &price, Quantity: &qty}}}}})[0]
	if r.Err == nil || r.Err.Code != Invalid {
		t.Fatalf("item outside the term: %+v", r.Err)
	}
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-02-01T00:00:00Z"),
		ScheduledCharges: []ScheduledChargeInput{{ProductID: fixed, Items: []ChargeItemInput{{Timestamp: ns(t, "2026-01-05T00:00:00Z"), UnitPrice: &price, Quantity: &qty}}}}})
	if inv := h.invoices(cust)[0]; !inv.Total.Equal(money.MustParse("10")) || !inv.Lines[0].UnitPrice().Equal(money.MustParse("2.5")) {
		t.Fatalf("invoice %s line %+v", inv.Total, inv.Lines[0])
	}
}

func customerJSON(h *harness, cust string) string {
	var b []byte
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) { b, _ = json.Marshal(c) })
	return string(b)
}

// An edit applies all its sub-operations or none: one failing leaves the
// customer exactly as it was.
func TestEditContractAtomic(t *testing.T) {
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	k := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")}).ID
	h.must(h.events("acme", "call", "a", 0, 2, "2026-01-02T00:00:00Z"))
	amount := dec("500")
	credit := CommitInput{ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("100"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-06-01T00:00:00Z")}}}
	charge := ScheduledChargeInput{ProductID: fixed, Items: []ChargeItemInput{{Timestamp: ns(t, "2026-01-15T00:00:00Z"), Amount: &amount}}}
	before := customerJSON(h, cust)
	for name, edit := range map[string]*EditContract{
		"unknown commit to archive": {AddCredits: []CommitInput{credit}, AddScheduledCharges: []ScheduledChargeInput{charge}, ArchiveCommits: []string{"nope"}},
		"bad charge after good ops": {AddCredits: []CommitInput{credit}, UpdateContractEndDate: &EndDateUpdate{EndingBefore: ns(t, "2026-03-01T00:00:00Z")},
			AddScheduledCharges: []ScheduledChargeInput{charge, {ProductID: "nope", Items: charge.Items}}},
		"end before rated usage": {AddScheduledCharges: []ScheduledChargeInput{charge}, UpdateContractEndDate: &EndDateUpdate{EndingBefore: ns(t, "2026-01-02T00:00:00Z")}},
	} {
		edit.CustomerID, edit.ContractID = cust, k
		if r := h.apply(edit)[0]; r.Err == nil || r.ID != "" {
			t.Fatalf("%s: %+v, want refused", name, r)
		}
		if after := customerJSON(h, cust); after != before {
			t.Fatalf("%s: a refused edit changed the customer:\n%s\n%s", name, before, after)
		}
	}
	r := h.must(&EditContract{CustomerID: cust, ContractID: k, AddCredits: []CommitInput{credit}, AddScheduledCharges: []ScheduledChargeInput{charge}})
	if r.ID == "" {
		t.Fatal("no edit id")
	}
	inv := h.invoices(cust)[0]
	if !inv.Total.Equal(money.MustParse("520")) {
		t.Fatalf("January after the edit: %s, want 20 of usage + 500 charge", inv.Total)
	}
	if b := h.balance(cust); !b.Equal(money.MustParse("100")) {
		t.Fatalf("balance %s, want the added credit's 100", b)
	}
	// Archiving the charge takes it off the draft.
	var chargeID string
	h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, now Nanos) { chargeID = c.Contracts[0].ScheduledCharges()[0].ID })
	h.must(&EditContract{CustomerID: cust, ContractID: k, ArchiveScheduledCharges: []string{chargeID}})
	if inv := h.invoices(cust)[0]; !inv.Total.Equal(money.MustParse("20")) {
		t.Fatalf("after archiving: %s, want 20", inv.Total)
	}
}

// updateEndDate: shortening drops later drafts and charge items; ending
// before a finalized invoice needs the allow flag; usage after the end
// does not rate on the contract.
func TestUpdateEndDate(t *testing.T) {
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	amount := dec("100")
	k := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		ScheduledCharges: []ScheduledChargeInput{{ProductID: fixed, Recurring: &RecurringScheduleInput{StartingAt: ns(t, "2026-01-01T00:00:00Z"),
			EndingBefore: ns(t, "2026-07-01T00:00:00Z"), Frequency: FrequencyMonthly, AmountDistribution: DistributionEach, Amount: &amount}}},
		OverlapsRefused: true}).ID // one contract at a time, as create_contract versions 2 to 4
	h.setClock("2026-02-10T00:00:00Z") // January finalized
	refused := h.apply(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: ns(t, "2026-01-15T00:00:00Z")})[0]
	if refused.Err == nil || refused.Err.Code != Invalid {
		t.Fatalf("ending before a finalized invoice: %+v", refused.Err)
	}
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: ns(t, "2026-03-15T00:00:00Z")})
	invs := h.invoices(cust)
	if len(invs) != 3 || invs[2].End != ns(t, "2026-03-15T00:00:00Z") || !invs[2].Total.Equal(money.MustParse("100")) {
		t.Fatalf("invoices after shortening: %+v", invs)
	}
	r := h.must(h.events("acme", "call", "after", 0, 1, "2026-03-16T00:00:00Z"))
	h.setClock("2026-03-16T00:00:00Z")
	r = h.must(h.events("acme", "call", "after2", 0, 1, "2026-03-16T00:00:00Z"))
	if r.Ingest.Rejected[RejectNoContract] != 1 {
		t.Fatalf("usage after the end: %+v", r.Ingest)
	}
	// Ending it in January with the flag keeps the finalized invoices as
	// they are: a finalized invoice never changes.
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: ns(t, "2026-01-15T00:00:00Z"), AllowEndingBeforeFinalizedInvoice: true})
	if invs := h.invoices(cust); len(invs) != 3 || invs[0].Status != InvoiceFinalized || invs[0].End != ns(t, "2026-02-01T00:00:00Z") {
		t.Fatalf("invoices: %+v", invs)
	}
	// Extending again does not overlap; a second contract after it may start.
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: ns(t, "2026-04-01T00:00:00Z")})
	// (Commands of create_contract versions 2 to 4, which refused overlaps:
	// OverlapsRefused.)
	if r := h.apply(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-03-20T00:00:00Z"), OverlapsRefused: true})[0]; r.Err == nil {
		t.Fatal("overlapping contract accepted")
	}
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-04-01T00:00:00Z"), OverlapsRefused: true})
	if r := h.apply(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: 0})[0]; r.Err == nil {
		t.Fatal("an end date that overlaps the next contract was accepted")
	}
}
