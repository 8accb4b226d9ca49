package engine

import (
	"context"
	"testing"
)

// Each case adds two balances that differ in one burn-down key only and
// checks which one the first draw comes from.
func TestBurnDownOrder(t *testing.T) {
	start := "2026-01-01T00:00:00Z"
	type bal struct {
		name     string
		credit   bool
		priority string
		paid     bool
		products []string
		start    string
		end      string
	}
	cases := []struct {
		desc  string
		a, b  bal
		first string
	}{
		{"lower priority first", bal{name: "a", priority: "5"}, bal{name: "b", priority: "1"}, "b"},
		{"free before paid", bal{name: "a", paid: true}, bal{name: "b", credit: true}, "b"},
		{"fewer applicable products", bal{name: "a"}, bal{name: "b", products: []string{"calls"}}, "b"},
		{"earlier end", bal{name: "a", end: "2026-12-01T00:00:00Z"}, bal{name: "b", end: "2026-06-01T00:00:00Z"}, "b"},
		{"earlier start", bal{name: "a", start: "2026-01-01T00:00:00Z"}, bal{name: "b", start: "2025-12-01T00:00:00Z"}, "b"},
		{"older first", bal{name: "a"}, bal{name: "b"}, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, "2026-01-02T00:00:00Z")
			m := h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}}).ID
			h.must(&CreateProduct{ID: "calls", Name: "Calls", Type: ProductUsage, BillableMetricID: m})
			h.must(&CreateProduct{ID: "other", Name: "Other", Type: ProductFixed})
			rc := h.must(&CreateRateCard{Name: "rc"}).ID
			h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: "calls", StartingAt: ns(t, start), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
			h.must(&CreateCustomer{ID: "c", Name: "c"})
			k := &CreateContract{CustomerID: "c", RateCardID: rc, StartingAt: ns(t, start)}
			for _, b := range []bal{tc.a, tc.b} {
				in := CommitInput{ID: b.name, Type: CommitPrepaid, ProductID: "other", ApplicableProductIDs: b.products}
				s, e := start, "2027-01-01T00:00:00Z"
				if b.start != "" {
					s = b.start
				}
				if b.end != "" {
					e = b.end
				}
				in.AccessSchedule = []ScheduleItem{{Amount: dec("10"), StartingAt: ns(t, s), EndingBefore: ns(t, e)}}
				if b.priority != "" {
					pr := dec(b.priority)
					in.Priority = &pr
				}
				if b.paid {
					in.InvoiceSchedule = []InvoiceItem{{Timestamp: ns(t, start), Amount: dec("10")}}
				}
				if b.credit {
					k.Credits = append(k.Credits, in)
				} else {
					k.Commits = append(k.Commits, in)
				}
			}
			h.must(k)
			h.must(h.events("c", "call", "x", 0, 3, "2026-01-02T00:00:00Z"))
			h.e.read(context.Background(), "c", func(c *Customer, cat *Catalog, now Nanos) {
				for _, cm := range c.Contracts[0].Balances {
					want := "10"
					if cm.ID == tc.first {
						want = "7"
					}
					if got := cm.BalanceAt(now).String(); got != want {
						t.Errorf("%s balance %s, want %s", cm.ID, got, want)
					}
				}
			})
		})
	}
}
