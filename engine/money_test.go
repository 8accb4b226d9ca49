package engine

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"burndown/money"
)

// moneyCatalog sets up a SUM metric on "bytes" priced per unit, a COUNT
// metric, a fixed product for commits and a rate card with a custom credit
// type conversion; it returns the rate card id.
func moneyCatalog(h *harness, price string) string {
	h.t.Helper()
	start := ns(h.t, "2026-01-01T00:00:00Z")
	h.must(&CreateCreditType{ID: "ct-tok", Name: "tokens"})
	h.must(&CreateMetric{ID: "m-sum", Name: "bytes", EventTypeFilter: &EventTypeFilter{InValues: []string{"upload"}}, Aggregation: AggSum, AggregationKey: "bytes"})
	h.must(&CreateProduct{ID: "p-sum", Name: "Uploads", Type: ProductUsage, BillableMetricID: "m-sum"})
	h.must(&CreateProduct{ID: "fixed", Name: "Purchase", Type: ProductFixed})
	h.must(&CreateRateCard{ID: "rc", Name: "rc", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: "ct-tok", FiatPerCustomCredit: dec("0.5")}}})
	h.must(&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "p-sum", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec(price)}}})
	return "rc"
}

// An amount of a command out of the input bound refuses the command with an
// Invalid error naming the field; nothing is half applied. (More than 12
// fractional digits cannot reach the engine: money.Amount cannot hold them,
// and the log's decoder refuses them.)
func TestCommandAmountsOutOfBoundsAreRefused(t *testing.T) {
	start := ns(t, "2026-01-01T00:00:00Z")
	end := ns(t, "2027-01-01T00:00:00Z")
	tooBig := dec("1e18")                           // 19 integer digits
	tooBigFraction := dec("-1000000000000000000.5") // 19 integer digits and a fraction
	commit := func(amounts ...money.Amount) CommitInput {
		in := CommitInput{Type: CommitPrepaid, ProductID: "fixed"}
		for _, a := range amounts {
			in.AccessSchedule = append(in.AccessSchedule, ScheduleItem{Amount: a, StartingAt: start, EndingBefore: end})
		}
		return in
	}
	withPriority := commit(dec("1"))
	withPriority.Priority = &tooBigFraction
	for _, tc := range []struct {
		name  string
		cmd   func(customer string) Command
		field string
	}{
		{"segment amount", func(c string) Command {
			return &CreateContract{CustomerID: c, RateCardID: "rc", StartingAt: start, Commits: []CommitInput{commit(dec("1"), tooBigFraction)}}
		}, "commits[0].access_schedule.schedule_items[1].amount: more than 18 integer digits"},
		{"credit amount", func(c string) Command {
			return &CreateContract{CustomerID: c, RateCardID: "rc", StartingAt: start, Credits: []CommitInput{commit(dec("5")), commit(tooBig)}}
		}, "credits[1].access_schedule.schedule_items[0].amount: more than 18 integer digits"},
		{"priority", func(c string) Command {
			return &CreateContract{CustomerID: c, RateCardID: "rc", StartingAt: start, Commits: []CommitInput{withPriority}}
		}, "commits[0].priority: more than 18 integer digits"},
		{"multiplier", func(c string) Command {
			return &CreateContract{CustomerID: c, RateCardID: "rc", StartingAt: start,
				Overrides: []OverrideInput{{StartingAt: start, ProductID: "p-sum", Type: "MULTIPLIER", Multiplier: &tooBigFraction}}}
		}, "overrides[0].multiplier: more than 18 integer digits"},
		{"overwrite price", func(c string) Command {
			return &CreateContract{CustomerID: c, RateCardID: "rc", StartingAt: start,
				Overrides: []OverrideInput{{StartingAt: start, ProductID: "p-sum", Type: "MULTIPLIER", Multiplier: ptr(dec("2"))},
					{StartingAt: start, ProductID: "p-sum", Type: "OVERWRITE", OverwritePrice: &tooBig}}}
		}, "overrides[1].overwrite_rate.price: more than 18 integer digits"},
		{"rate price", func(string) Command {
			return &AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "p-sum", StartingAt: start, RateType: RateFlat, Price: dec("1")},
				{ProductID: "p-sum", StartingAt: start, RateType: RateFlat, Price: tooBigFraction}}}
		}, "rates[1].price: more than 18 integer digits"},
		{"conversion rate", func(string) Command {
			return &CreateRateCard{Name: "rc2", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: "ct-tok", FiatPerCustomCredit: tooBig}}}
		}, "credit_type_conversions[0].fiat_per_custom_credit: more than 18 integer digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "2026-01-02T00:00:00Z")
			moneyCatalog(h, "1")
			cust := h.must(&CreateCustomer{ID: "c", Name: "c"}).ID
			r := h.apply(tc.cmd(cust))[0]
			if r.Err == nil || r.Err.Code != Invalid || r.Err.Message != tc.field {
				t.Fatalf("got %v, want Invalid %q", r.Err, tc.field)
			}
			ok, _ := h.e.read(context.Background(), cust, func(c *Customer, cat *Catalog, _ Nanos) {
				if len(c.Contracts) != 0 {
					t.Error("a refused contract was added")
				}
				if rates := cat.RateCards["rc"].Rates["p-sum"]; len(rates) != 1 {
					t.Errorf("rate card has %d rates after a refused AddRates, want 1", len(rates))
				}
			})
			if !ok {
				t.Fatal("customer not found")
			}
		})
	}
}

// A SUM property counts when ParseAmount accepts it; anything else (13
// fractional digits, 19 integer digits, syntax decimal accepted but the
// strict parser refuses) does not count, as an unparsable value never did.
func TestSumPropertyBounds(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  string // invoice quantity after the event; "0" when it does not count
	}{
		{"2.5", "2.5"},
		{"0.000000000001", "0.000000000001"},
		{"1.0000000000000", "1"}, // trailing zeros are not digits
		{"0.0000000000001", "0"}, // 13 fractional digits
		{"1000000000000000000", "0"},
		{"1e3", "1000"},
		{"+5", "0"},
		{" 5", "0"},
		{"0x10", "0"},
		{"NaN", "0"},
		{"abc", "0"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			h := newHarness(t, "2026-01-02T00:00:00Z")
			rc := moneyCatalog(h, "1")
			cust := h.must(&CreateCustomer{ID: "c", Name: "c", IngestAliases: []string{"alias-c"}}).ID
			h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
			r := h.must(&Ingest{Events: []Event{{TransactionID: "t1", CustomerID: "alias-c", EventType: "upload", Timestamp: h.now.UnixNano(),
				Properties: map[string]string{"bytes": tc.value}}}})
			if r.Ingest.Accepted != 1 {
				t.Fatalf("outcome %+v", r.Ingest)
			}
			qty := "0"
			h.e.read(context.Background(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
				for _, inv := range c.Contracts[0].Invoices {
					for _, l := range inv.Lines {
						if l.Type == LineUsage {
							qty = l.Quantity.String()
						}
					}
				}
			})
			if qty != tc.want {
				t.Fatalf("quantity %s, want %s", qty, tc.want)
			}
		})
	}
}

// Runs of events are rated as one only when that cannot round differently
// from rating each event: a SUM quantity whose product with the price needs
// more than 12 fractional digits is rated alone, and both ways agree.
func TestAggregationNeverRoundsDifferently(t *testing.T) {
	var states [2][]byte
	for i, each := range []bool{true, false} {
		e := newTestEngine(Config{Shards: 1}, testSwitches{rateEachEvent: each})
		h := &harness{t: t, e: e, now: mustTime(t, "2026-01-02T00:00:00Z")}
		rc := moneyCatalog(h, "0.0000007")
		cust := h.must(&CreateCustomer{ID: "c", Name: "c", IngestAliases: []string{"alias-c"}}).ID
		h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
			Commits: []CommitInput{{Type: CommitPrepaid, ProductID: "fixed", AccessSchedule: []ScheduleItem{{Amount: dec("0.001"),
				StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
		var evs []Event
		for j, v := range []string{"0.0000005", "0.0000005", "3", "0.0000015", "7", "2", "0.00001", "0.0000005"} {
			evs = append(evs, Event{TransactionID: fmt.Sprint("t", j), CustomerID: "alias-c", EventType: "upload", Timestamp: h.now.UnixNano() - int64(j),
				Properties: map[string]string{"bytes": v}})
		}
		if r := h.must(&Ingest{Events: evs}); r.Ingest.Accepted != len(evs) {
			t.Fatalf("outcome %+v", r.Ingest)
		}
		states[i] = snapshotBytes(t, e)
		e.Close()
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Fatalf("aggregated rating diverged from per-event rating:\n%s\n%s", states[0], states[1])
	}
}

// inputAmount keeps the decimal conversion's contract: out of the input
// bound it returns zero with the error, so callers that ignore the error
// (sums checked elsewhere) compute what earlier releases computed and old
// logs replay to the state they reached.
func TestInputAmountIsZeroOutOfBounds(t *testing.T) {
	if a, err := inputAmount(dec("1800000000000000000")); err == nil || !a.IsZero() {
		t.Fatalf("1.8e18: %s, %v; want zero and an error", a, err)
	}
	if a, err := inputAmount(dec("999999999999999999.5")); err != nil || a.String() != "999999999999999999.5" {
		t.Fatalf("within the bound: %s, %v", a, err)
	}
}
