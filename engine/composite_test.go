package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"burndown/money"
)

// compositeSetup: calls (COUNT, tag "api") at 2, storage (SUM of n, tag
// "storage") TIERED 10 @ 1 then 0.5, gpu (COUNT) at 1 GPU hour (3.5 USD
// each), a FIXED product, and the composite under test on card "rc".
type compositeCase struct {
	name        string
	composite   CreateProduct // ID "comp", Type COMPOSITE filled in
	rate        RateInput     // the composite's rate (PERCENTAGE by default)
	notEntitled bool
	oneEntry    bool // all events in one entry (else one entry each)
	overrides   []OverrideInput
	credits     []CommitInput
	events      []tev
	// want: usage lines "product[ct]: qty @ total" sorted, and the invoice total.
	lines, total string
}

func startComposite(t *testing.T, cc compositeCase) *harness {
	t.Helper()
	h := &harness{t: t, e: New(Config{Shards: 2}), now: mustTime(t, "2026-01-20T00:00:00Z")}
	t.Cleanup(h.e.Close)
	start := ns(t, "2026-01-01T00:00:00Z")
	h.must(&CreateCreditType{ID: "ct-gpu", Name: "GPU hours"})
	h.must(&CreateMetric{ID: "m-calls", Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount})
	h.must(&CreateMetric{ID: "m-store", Name: "store", EventTypeFilter: &EventTypeFilter{InValues: []string{"upload"}}, Aggregation: AggSum, AggregationKey: "n"})
	h.must(&CreateMetric{ID: "m-gpu", Name: "gpu", EventTypeFilter: &EventTypeFilter{InValues: []string{"gpu"}}, Aggregation: AggCount})
	h.must(&CreateProduct{ID: "calls", Name: "calls", Type: ProductUsage, BillableMetricID: "m-calls", Tags: []string{"api"}})
	h.must(&CreateProduct{ID: "storage", Name: "storage", Type: ProductUsage, BillableMetricID: "m-store", Tags: []string{"storage"}})
	h.must(&CreateProduct{ID: "gpu", Name: "gpu", Type: ProductUsage, BillableMetricID: "m-gpu"})
	h.must(&CreateProduct{ID: "fixed", Name: "fixed", Type: ProductFixed})
	comp := cc.composite
	comp.ID, comp.Name, comp.Type = "comp", "platform fee", ProductComposite
	h.must(&comp)
	h.must(&CreateRateCard{ID: "rc", Name: "rc", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: "ct-gpu", FiatPerCustomCredit: dec("3.5")}}})
	rate := cc.rate
	rate.ProductID, rate.StartingAt, rate.Entitled = "comp", start, !cc.notEntitled
	if rate.RateType == "" {
		rate.RateType = RatePercentage
	}
	h.must(&AddRates{RateCardID: "rc", Rates: []RateInput{
		{ProductID: "calls", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("2")},
		{ProductID: "storage", StartingAt: start, Entitled: true, RateType: RateTiered, Tiers: []Tier{{Size: ptr(dec("10")), Price: dec("1")}, {Price: dec("0.5")}}},
		{ProductID: "gpu", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("1"), CreditTypeID: "ct-gpu"},
		rate,
	}})
	h.must(&CreateCustomer{ID: "c", Name: "c"})
	ovs := append([]OverrideInput(nil), cc.overrides...)
	for i := range ovs {
		ovs[i].StartingAt = start
	}
	credits := append([]CommitInput(nil), cc.credits...)
	for i := range credits {
		for j := range credits[i].AccessSchedule {
			credits[i].AccessSchedule[j].StartingAt, credits[i].AccessSchedule[j].EndingBefore = start, ns(t, "2026-03-01T00:00:00Z")
		}
	}
	h.must(&CreateContract{CustomerID: "c", RateCardID: "rc", StartingAt: start, Overrides: ovs, Credits: credits,
		MultiplierOverridePrioritization: PrioritizationLowestMultiplier})
	h.ingestEvents(cc.events, !cc.oneEntry)
	return h
}

// productLines renders the January invoice's usage lines with product ids.
func productLines(t *testing.T, h *harness) (string, string) {
	t.Helper()
	var lines []string
	var total string
	h.e.read(context.Background(), "c", func(c *Customer, _ *Catalog, _ Nanos) {
		inv := c.Contracts[0].Invoices[0]
		for _, l := range inv.Lines {
			if l.Type == LineUsage {
				lines = append(lines, fmt.Sprintf("%s%s: %s @ %s", l.ProductID, ctSuffix(l.CreditTypeID), l.Quantity, l.Total))
			}
		}
		total = inv.Total.String()
	})
	sort.Strings(lines)
	return strings.Join(lines, "; "), total
}

func TestCompositeRating(t *testing.T) {
	calls := func(n int) []tev {
		var out []tev
		for i := 0; i < n; i++ {
			out = append(out, tev{tx: fmt.Sprint("call-", i)})
		}
		return out
	}
	up := func(tx, n string) tev { return tev{tx: tx, typ: "upload", props: map[string]string{"n": n}} }
	cases := []compositeCase{{
		name:      "covered by id: 10% of the calls' spend",
		composite: CreateProduct{CompositeProductIDs: []string{"calls"}},
		rate:      RateInput{Price: dec("0.1")},
		events:    calls(5),
		lines:     "calls: 5 @ 10; comp: 10 @ 1", total: "11",
	}, {
		name:      "covered by tag, the covered product crossing a tier",
		composite: CreateProduct{CompositeTags: []string{"storage"}},
		rate:      RateInput{Price: dec("0.25")},
		// 4 @ 1, then 6 @ 1 + 2 @ 0.5: 11 covered, 2.75 composite.
		events: append(calls(2), up("u1", "4"), up("u2", "8")),
		lines:  "calls: 2 @ 4; comp: 11 @ 2.75; storage: 12 @ 11", total: "17.75",
	}, {
		name:      "by id and by tag together, each product counted once",
		composite: CreateProduct{CompositeProductIDs: []string{"calls", "storage"}, CompositeTags: []string{"api", "storage"}},
		rate:      RateInput{Price: dec("0.5")},
		events:    append(calls(3), up("u1", "2")),
		lines:     "calls: 3 @ 6; comp: 8 @ 4; storage: 2 @ 2", total: "12",
	}, {
		name:      "overrides on the covered product: spend after overrides",
		composite: CreateProduct{CompositeProductIDs: []string{"calls"}},
		rate:      RateInput{Price: dec("0.1")},
		overrides: []OverrideInput{{ProductID: "calls", Type: "MULTIPLIER", Multiplier: ptr(dec("0.5"))}},
		events:    calls(4),
		lines:     "calls: 4 @ 4; comp: 4 @ 0.4", total: "4.4",
	}, {
		name:      "an override on the composite scales its fraction",
		composite: CreateProduct{CompositeProductIDs: []string{"calls"}},
		rate:      RateInput{Price: dec("0.2")},
		overrides: []OverrideInput{{ProductID: "comp", Type: "MULTIPLIER", Multiplier: ptr(dec("0.5"))}},
		events:    calls(4),
		lines:     "calls: 4 @ 8; comp: 8 @ 0.8", total: "8.8",
	}, {
		name:      "composite of a custom credit type: charged in it, overage converted to fiat",
		composite: CreateProduct{CompositeProductIDs: []string{"gpu", "calls"}},
		rate:      RateInput{Price: dec("0.1")},
		events:    append([]tev{{tx: "g1", typ: "gpu"}, {tx: "g2", typ: "gpu"}, {tx: "g3", typ: "gpu"}, {tx: "g4", typ: "gpu"}}, calls(1)...),
		// USD: 2 + 0.2; GPU: (4 + 0.4) × 3.5 = 15.4.
		lines: "calls: 1 @ 2; comp: 2 @ 0.2; comp[ct-gpu]: 4 @ 0.4; gpu[ct-gpu]: 4 @ 4", total: "17.6",
	}, {
		name:      "the composite's charge burns down like usage",
		composite: CreateProduct{CompositeProductIDs: []string{"calls"}},
		rate:      RateInput{Price: dec("0.1")},
		credits:   []CommitInput{{ProductID: "fixed", ApplicableProductIDs: []string{"comp"}, AccessSchedule: []ScheduleItem{{Amount: dec("0.5")}}}},
		events:    calls(5),
		lines:     "calls: 5 @ 10; comp: 10 @ 1", total: "10.5",
	}, {
		name:      "a composite rate not entitled charges nothing",
		composite: CreateProduct{CompositeProductIDs: []string{"calls"}},
		rate:      RateInput{Price: dec("0.1")}, notEntitled: true,
		events: calls(2),
		lines:  "calls: 2 @ 4", total: "4",
	}}
	for _, cc := range cases {
		for _, one := range []bool{false, true} {
			cc.oneEntry = one
			t.Run(fmt.Sprintf("%s/one entry %v", cc.name, one), func(t *testing.T) {
				h := startComposite(t, cc)
				lines, total := productLines(t, h)
				if lines != cc.lines || total != cc.total {
					t.Fatalf("got %q total %s\nwant %q total %s", lines, total, cc.lines, cc.total)
				}
			})
		}
	}
}

// The composite's charges are deltas of fraction × covered spend: however
// many events and whatever rounding each product needs, they sum to exactly
// Mul(fraction, covered spend) of the whole period.
func TestCompositeChargesTelescope(t *testing.T) {
	cc := compositeCase{composite: CreateProduct{CompositeTags: []string{"storage", "api"}}, rate: RateInput{Price: dec("0.123456789012")}}
	for i := 0; i < 40; i++ {
		cc.events = append(cc.events, tev{tx: fmt.Sprint("u", i), typ: "upload", props: map[string]string{"n": fmt.Sprintf("0.%07d", 1234567+i*7919)}})
		if i%3 == 0 {
			cc.events = append(cc.events, tev{tx: fmt.Sprint("c", i)})
		}
	}
	h := startComposite(t, cc)
	h.e.read(context.Background(), "c", func(c *Customer, cat *Catalog, _ Nanos) {
		inv := c.Contracts[0].Invoices[0]
		covered := inv.coveredSpend(cat, cat.Products["comp"], USDCreditTypeID)
		frac, _ := inputAmount(dec("0.123456789012"))
		want := covered.Mul(frac)
		var got money.Amount
		for _, l := range inv.Lines {
			if l.Type == LineUsage && l.ProductID == "comp" {
				got = got.Add(l.Total)
				if !l.Quantity.Equal(covered) {
					t.Errorf("composite quantity %s, covered spend %s", l.Quantity, covered)
				}
			}
		}
		if !got.Equal(want) {
			t.Fatalf("composite charged %s, want fraction × covered = %s", got, want)
		}
	})
}

func TestCompositeRefusals(t *testing.T) {
	h := startComposite(t, compositeCase{composite: CreateProduct{CompositeProductIDs: []string{"calls"}}, rate: RateInput{Price: dec("0.1")}})
	start := ns(t, "2026-01-01T00:00:00Z")
	cases := []struct {
		cmd  Command
		want string
	}{
		{&CreateProduct{ID: "x1", Name: "x", Type: ProductComposite, CompositeProductIDs: []string{"nope"}}, "composite_product_ids[0]: product nope not found"},
		{&CreateProduct{ID: "x2", Name: "x", Type: ProductComposite, CompositeProductIDs: []string{"calls", "fixed"}}, "composite_product_ids[1]: product fixed is FIXED"},
		{&CreateProduct{ID: "x3", Name: "x", Type: ProductComposite, CompositeProductIDs: []string{"comp"}}, "composite_product_ids[0]: product comp is COMPOSITE"},
		{&CreateProduct{ID: "x4", Name: "x", Type: ProductFixed, CompositeTags: []string{"api"}}, "composite_tags: only a COMPOSITE"},
		{&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "calls", StartingAt: start, RateType: RatePercentage, Price: dec("0.1")}}}, "rates[0].rate_type: a PERCENTAGE rate prices only a COMPOSITE"},
		{&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "comp", StartingAt: start, RateType: RatePercentage, Price: dec("1.5")}}}, "rates[0].price: a PERCENTAGE rate's price is a fraction"},
		{&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "comp", StartingAt: start, RateType: RateFlat, Price: dec("1")}}}, "rates[0].rate_type: a COMPOSITE product takes a PERCENTAGE rate"},
	}
	for _, c := range cases {
		r := h.apply(c.cmd)[0]
		if r.Err == nil || !strings.Contains(r.Err.Error(), c.want) {
			t.Errorf("%T: got %v, want %q", c.cmd, r.Err, c.want)
		}
	}
	// A composite created before covered products existed covers nothing
	// and keeps any rate type, as it did.
	h.must(&CreateProduct{ID: "old", Name: "old", Type: ProductComposite})
	h.must(&AddRates{RateCardID: "rc", Rates: []RateInput{{ProductID: "old", StartingAt: start, RateType: RateFlat, Price: dec("1"), Entitled: true}}})
}

func TestRateCardAliases(t *testing.T) {
	h := newHarness(t, "2026-01-10T00:00:00Z")
	jan, feb, mar := ns(t, "2026-01-01T00:00:00Z"), ns(t, "2026-02-01T00:00:00Z"), ns(t, "2026-03-01T00:00:00Z")
	h.must(&CreateRateCard{ID: "rcA", Name: "A", Aliases: []RateCardAlias{{Name: "std", EndingBefore: feb}, {Name: "a"}}})
	h.must(&CreateRateCard{ID: "rcB", Name: "B", Aliases: []RateCardAlias{{Name: "std", StartingAt: feb}}})
	// Assigned last: wins from March on over rcB's open-ended alias.
	h.must(&CreateRateCard{ID: "rcC", Name: "C", Aliases: []RateCardAlias{{Name: "std", StartingAt: mar}}})
	for i, tc := range []struct {
		start Nanos
		want  string
	}{{jan, "rcA"}, {feb - 1, "rcA"}, {feb, "rcB"}, {mar - 1, "rcB"}, {mar, "rcC"}} {
		id := fmt.Sprint("cust", i)
		h.must(&CreateCustomer{ID: id, Name: id})
		h.must(&CreateContract{CustomerID: id, RateCardAlias: "std", StartingAt: tc.start})
		h.e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
			if got := c.Contracts[0].RateCardID; got != tc.want {
				t.Errorf("contract starting %d: rate card %s, want %s", tc.start, got, tc.want)
			}
		})
	}
	h.must(&CreateCustomer{ID: "x", Name: "x"})
	for _, c := range []struct {
		cmd  Command
		want string
	}{
		{&CreateContract{CustomerID: "x", RateCardAlias: "nope", StartingAt: jan}, `rate_card_alias: no rate card has the alias "nope"`},
		{&CreateContract{CustomerID: "x", RateCardAlias: "a", RateCardID: "rcA", StartingAt: jan}, "rate_card_alias: give rate_card_id or rate_card_alias"},
		{&CreateRateCard{ID: "rcD", Name: "D", Aliases: []RateCardAlias{{Name: "d", StartingAt: jan}, {Name: "d", StartingAt: feb, EndingBefore: mar}}}, "aliases[1]: overlaps aliases[0]"},
		{&CreateRateCard{ID: "rcE", Name: "E", Aliases: []RateCardAlias{{Name: ""}}}, "aliases[0].name"},
		{&CreateRateCard{ID: "rcF", Name: "F", Aliases: []RateCardAlias{{Name: "f", StartingAt: feb, EndingBefore: jan}}}, "aliases[0].ending_before"},
	} {
		r := h.apply(c.cmd)[0]
		if r.Err == nil || !strings.Contains(r.Err.Error(), c.want) || r.Err.Code != Invalid {
			t.Errorf("%T: got %v, want invalid %q", c.cmd, r.Err, c.want)
		}
	}
	// Disjoint periods of one name on one card are fine.
	h.must(&CreateRateCard{ID: "rcG", Name: "G", Aliases: []RateCardAlias{{Name: "g", EndingBefore: feb}, {Name: "g", StartingAt: feb}}})
}
