package engine

import (
	"context"
	"testing"

	"burndown/money"
)

// seatsFixture is seed 001's catalog and Scenario B's contract: Team Plan
// ANNUAL, ADVANCE, prorated, 4 seats from start; a pooled recurring credit
// of 100 AI credits per seat per month, priority 1, tag ai.
type seatsFixture struct {
	h                        *harness
	cust, contract           string
	assist, preview, summary string
	team, topup, ai          string
}

func newSeats(t *testing.T, start string, freq string, seats string) *seatsFixture {
	h := newHarness(t, start)
	f := &seatsFixture{h: h}
	f.ai = h.must(&CreateCreditType{Name: "AI credits"}).ID
	mk := func(name, ev string) string {
		m := h.must(&CreateMetric{Name: name, EventTypeFilter: &EventTypeFilter{InValues: []string{ev}}, Aggregation: AggCount, GroupKeys: [][]string{{"user_id"}}}).ID
		return h.must(&CreateProduct{Name: name, Type: ProductUsage, BillableMetricID: m, Tags: []string{"ai"}}).ID
	}
	f.assist, f.preview, f.summary = mk("AI Assistant", "assist"), mk("AI Preview", "preview"), mk("AI Summary", "summary")
	f.team = h.must(&CreateProduct{Name: "Team Plan", Type: ProductSubscription}).ID
	f.topup = h.must(&CreateProduct{Name: "Top-up pack", Type: ProductFixed}).ID
	rc := h.must(&CreateRateCard{Name: "SeatsCo", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: f.ai, FiatPerCustomCredit: dec("10")}}}).ID
	at := ns(t, "2025-01-01T00:00:00Z")
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{
		{ProductID: f.assist, StartingAt: at, Entitled: true, RateType: RateFlat, Price: dec("1"), CreditTypeID: f.ai},
		{ProductID: f.preview, StartingAt: at, Entitled: true, RateType: RateFlat, Price: dec("2"), CreditTypeID: f.ai},
		{ProductID: f.summary, StartingAt: at, Entitled: true, RateType: RateFlat, Price: dec("5"), CreditTypeID: f.ai},
		{ProductID: f.team, StartingAt: at, Entitled: true, RateType: RateSubscription, Price: dec("1000"), BillingFrequency: FrequencyMonthly, IsProrated: true},
		{ProductID: f.team, StartingAt: at, Entitled: true, RateType: RateSubscription, Price: dec("2800"), BillingFrequency: FrequencyQuarterly, IsProrated: true},
		{ProductID: f.team, StartingAt: at, Entitled: true, RateType: RateSubscription, Price: dec("10000"), BillingFrequency: FrequencyAnnual, IsProrated: true},
	}})
	f.cust = h.must(&CreateCustomer{Name: "SeatsCo customer", IngestAliases: []string{"seats"}}).ID
	q := dec(seats)
	f.contract = h.must(&CreateContract{CustomerID: f.cust, RateCardID: rc, StartingAt: ns(t, start), PrepaidOnly: true,
		Subscriptions: []SubscriptionInput{{TemporaryID: "team", ProductID: f.team, BillingFrequency: freq, CollectionSchedule: CollectAdvance,
			InitialQuantity: &q, IsProrated: true, InvoiceBehavior: BillImmediately}},
		RecurringCredits: []RecurringInput{{ProductID: f.topup, CreditTypeID: f.ai, UnitPrice: dec("100"), DurationPeriods: 1, Priority: ptr(dec("1")),
			ApplicableProductTags: []string{"ai"}, StartingAt: ns(t, start), Frequency: FrequencyMonthly,
			SubscriptionID: "team", Allocation: AllocationPooled, SeatIncreaseProrated: true}},
	}).ID
	return f
}

// read runs fn on the customer's only contract.
func (f *seatsFixture) read(fn func(k *Contract, now Nanos)) {
	f.h.t.Helper()
	f.h.e.read(context.Background(), f.cust, func(c *Customer, _ *Catalog, now Nanos) { fn(c.Contracts[0], now) })
}

// pool is the recurring credit's balance now.
func (f *seatsFixture) pool() money.Amount {
	var a money.Amount
	f.read(func(k *Contract, now Nanos) { a = k.Commit(k.Recurring()[0].CommitID).BalanceAt(now) })
	return a
}

// subLines returns the subscription line totals of the invoice containing t.
func (f *seatsFixture) subLines(t Nanos) []string {
	var out []string
	f.read(func(k *Contract, _ Nanos) {
		if inv := k.findInvoice(t); inv != nil {
			for _, l := range inv.Lines {
				if l.Type == LineSubscription {
					out = append(out, l.Quantity.String()+"x"+l.Total.String())
				}
			}
		}
	})
	return out
}

func (f *seatsFixture) setSeats(at string, q string, delta bool) *Error {
	f.h.t.Helper()
	u := QuantityUpdate{StartingAt: ns(f.h.t, at)}
	d := dec(q)
	if delta {
		u.QuantityDelta = &d
	} else {
		u.Quantity = &d
	}
	var subID string
	f.read(func(k *Contract, _ Nanos) { subID = k.Subscriptions()[0].ID })
	return f.h.apply(&EditContract{CustomerID: f.cust, ContractID: f.contract,
		UpdateSubscriptions: []SubscriptionUpdate{{SubscriptionID: subID, QuantityUpdates: []QuantityUpdate{u}}}})[0].Err
}

func (f *seatsFixture) use(eventType, prefix string, n int, ts string) {
	f.h.t.Helper()
	in := f.h.events("seats", eventType, prefix, 0, n, ts)
	for i := range in.Events {
		in.Events[i].Properties = map[string]string{"user_id": []string{"user_1234", "user_2", "user_3"}[i%3]}
	}
	f.h.must(in)
}

func wantAmount(t *testing.T, what string, got money.Amount, want string) {
	t.Helper()
	if !got.Equal(money.MustParse(want)) {
		t.Fatalf("%s: got %s, want %s", what, got, want)
	}
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: lines %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: lines %v, want %v", what, got, want)
		}
	}
}

// Scenario B of SCENARIOS.md (seed 001), steps 1, 2, 4, 5 (gate NONE) and 6.
func TestScenarioBSeats(t *testing.T) {
	f := newSeats(t, "2026-04-01T00:00:00Z", FrequencyAnnual, "4")
	h := f.h
	// Step 1: the pool holds 400; the annual charge for 4 seats is on April's invoice.
	wantAmount(t, "step 1 pool", f.pool(), "400")
	wantLines(t, "step 1 invoice", f.subLines(ns(t, "2026-04-01T00:00:00Z")), "4x40000")
	if e, _, b := h.check("seats", f.summary); e != "true" || b != "400" {
		t.Fatalf("step 1 check: %s %s", e, b)
	}

	// Step 2: a fifth seat on 2026-04-16: +50 credits, +9589.04 cents.
	h.setClock("2026-04-16T00:00:00Z")
	if err := f.setSeats("2026-04-16T00:00:00Z", "5", false); err != nil {
		t.Fatal(err)
	}
	wantAmount(t, "step 2 pool", f.pool(), "450")
	wantLines(t, "step 2 invoice", f.subLines(ns(t, "2026-04-16T00:00:00Z")), "4x40000", "1x9589.04")
	f.read(func(k *Contract, now Nanos) {
		led := k.Commit(k.Recurring()[0].CommitID).Ledger(now)
		if len(led) != 2 || led[0].Type != "CREDIT_SEGMENT_START" || !led[0].Amount.Equal(money.MustParse("400")) ||
			led[1].Type != "CREDIT_SEAT_BASED_ADJUSTMENT" || !led[1].Amount.Equal(money.MustParse("50")) {
			t.Fatalf("step 2 ledger: %+v", led)
		}
	})

	// Step 4: 90 summaries (450 credits) empty the pool: AI products are
	// balance_depleted, Team Plan is not.
	f.use("summary", "s", 90, "2026-04-17T00:00:00Z")
	wantAmount(t, "step 4 pool", f.pool(), "0")
	for _, p := range []string{f.assist, f.preview, f.summary} {
		if e, r, _ := h.check("seats", p); e != "false" || r != ReasonBalanceDepleted {
			t.Fatalf("step 4 %s: %s %s", p, e, r)
		}
	}
	if e, r, _ := h.check("seats", f.team); e != "true" {
		t.Fatalf("step 4 team plan: %s %s", e, r)
	}

	// Step 5: a top-up pack of 1000 credits, priority 10, one year.
	h.setClock("2026-04-20T00:00:00Z")
	h.must(&EditContract{CustomerID: f.cust, ContractID: f.contract, AddCredits: []CommitInput{{ID: "pack", ProductID: f.topup, CreditTypeID: f.ai,
		Priority: ptr(dec("10")), ApplicableProductTags: []string{"ai"},
		AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-04-20T00:00:00Z"), EndingBefore: ns(t, "2027-04-20T00:00:00Z")}}}}})
	if e, _, b := h.check("seats", f.preview); e != "true" || b != "1000" {
		t.Fatalf("step 5 check: %s %s", e, b)
	}
	f.use("preview", "p", 2, "2026-04-21T00:00:00Z")
	pack := func() money.Amount {
		var a money.Amount
		f.read(func(k *Contract, now Nanos) { a = k.Commit("pack").BalanceAt(now) })
		return a
	}
	wantAmount(t, "step 5 pack", pack(), "996")

	// Step 6: on 2026-05-01 April's grant expires (what is left of it) and
	// 500 credits arrive; May's usage draws the pool before the pack.
	h.setClock("2026-05-01T00:00:00Z")
	wantAmount(t, "step 6 pool", f.pool(), "500")
	wantAmount(t, "step 6 pack", pack(), "996")
	f.use("assist", "a", 10, "2026-05-02T00:00:00Z")
	wantAmount(t, "step 6 pool after usage", f.pool(), "490")
	wantAmount(t, "step 6 pack after usage", pack(), "996")
	f.read(func(k *Contract, now Nanos) {
		var types []string
		for _, e := range k.Commit(k.Recurring()[0].CommitID).Ledger(now) {
			types = append(types, e.Type)
		}
		want := []string{"CREDIT_SEGMENT_START", "CREDIT_SEAT_BASED_ADJUSTMENT", "CREDIT_AUTOMATED_INVOICE_DEDUCTION", "CREDIT_EXPIRATION",
			"CREDIT_SEGMENT_START", "CREDIT_AUTOMATED_INVOICE_DEDUCTION"}
		if len(types) != len(want) {
			t.Fatalf("step 6 ledger %v, want %v", types, want)
		}
	})
	// The annual subscription bills nothing in May.
	wantLines(t, "May invoice", f.subLines(ns(t, "2026-05-01T00:00:00Z")))
}
