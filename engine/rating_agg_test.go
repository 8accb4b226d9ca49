package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// ratingSetup is a catalog of one metric, one product on it and one rate
// card, and a customer "c" on a contract to that card (no balances: spend is
// overage, so the invoice shows it whole).
type ratingSetup struct {
	metric    CreateMetric
	product   CreateProduct
	rates     []RateInput
	overrides []OverrideInput
	prio      string
	each      bool // rate every event alone (no runs)
}

func (rs ratingSetup) start(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, e: newTestEngine(Config{Shards: 3}, testSwitches{rateEachEvent: rs.each}), now: mustTime(t, "2026-01-20T00:00:00Z")}
	t.Cleanup(h.e.Close)
	start := ns(t, "2026-01-01T00:00:00Z")
	m := rs.metric
	m.ID, m.Name = "m", "metric"
	p := rs.product
	p.ID, p.Name, p.Type, p.BillableMetricID = "p", "product", ProductUsage, "m"
	h.must(&CreateCreditType{ID: "ct-gpu", Name: "GPU hours"})
	h.must(&m)
	h.must(&p)
	h.must(&CreateRateCard{ID: "rc", Name: "rc", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: "ct-gpu", FiatPerCustomCredit: dec("3.5")}}})
	rates := append([]RateInput(nil), rs.rates...)
	for i := range rates {
		rates[i].ProductID = "p"
		if rates[i].StartingAt == 0 {
			rates[i].StartingAt = start
		}
		rates[i].Entitled = true
		if rates[i].RateType == "" {
			rates[i].RateType = RateFlat
		}
	}
	h.must(&AddRates{RateCardID: "rc", Rates: rates})
	h.must(&CreateCustomer{ID: "c", Name: "c"})
	ovs := append([]OverrideInput(nil), rs.overrides...)
	for i := range ovs {
		if ovs[i].StartingAt == 0 {
			ovs[i].StartingAt = start
		}
	}
	h.must(&CreateContract{CustomerID: "c", RateCardID: "rc", StartingAt: start, Overrides: ovs, MultiplierOverridePrioritization: rs.prio})
	return h
}

// usage returns the January invoice's usage lines as "group: qty @ total"
// sorted, and the invoice total.
func usage(t *testing.T, h *harness) (string, string) {
	t.Helper()
	var lines []string
	var total string
	h.e.read(context.Background(), "c", func(c *Customer, _ *Catalog, _ Nanos) {
		for _, inv := range c.Contracts[0].Invoices {
			for _, l := range inv.Lines {
				if l.Type == LineUsage {
					lines = append(lines, fmt.Sprintf("%s%s: %s @ %s", strings.Join(l.GroupValues(), "/"), ctSuffix(l.CreditTypeID), l.Quantity, l.Total))
				}
			}
			total = inv.Total.String()
		}
	})
	sort.Strings(lines)
	return strings.Join(lines, "; "), total
}

func ctSuffix(ct string) string {
	if ct == USDCreditTypeID {
		return ""
	}
	return "[" + ct + "]"
}

type tev struct {
	tx, ts string
	props  map[string]string
	typ    string
}

func (h *harness) ingestEvents(evs []tev, perEntry bool) {
	h.t.Helper()
	in := &Ingest{}
	for _, e := range evs {
		typ := e.typ
		if typ == "" {
			typ = "call"
		}
		ts := e.ts
		if ts == "" {
			ts = "2026-01-10T00:00:00Z"
		}
		ev := Event{TransactionID: e.tx, CustomerID: "c", EventType: typ, Timestamp: ns(h.t, ts), Properties: e.props}
		if perEntry {
			h.must(&Ingest{Events: []Event{ev}})
		} else {
			in.Events = append(in.Events, ev)
		}
	}
	if !perEntry {
		h.must(in)
	}
}

func v(k, val string, more ...string) map[string]string {
	m := map[string]string{k: val}
	for i := 0; i+1 < len(more); i += 2 {
		m[more[i]] = more[i+1]
	}
	return m
}

// Each aggregation, rated incrementally, gives the period quantity priced at
// the rate, whether the events arrive in one entry or one per entry, rated
// alone or in runs.
func TestAggregations(t *testing.T) {
	call := &EventTypeFilter{InValues: []string{"call"}}
	cases := []struct {
		name   string
		metric CreateMetric
		evs    []tev
		want   string
	}{
		{"count", CreateMetric{EventTypeFilter: call, Aggregation: AggCount},
			[]tev{{tx: "a"}, {tx: "b"}, {tx: "c"}, {tx: "x", typ: "other"}}, ": 3 @ 30"},
		{"sum", CreateMetric{EventTypeFilter: call, Aggregation: AggSum, AggregationKey: "n"},
			[]tev{{tx: "a", props: v("n", "2")}, {tx: "b", props: v("n", "3.5")}, {tx: "c", props: v("n", "oops")}}, ": 5.5 @ 55"},
		{"max", CreateMetric{EventTypeFilter: call, Aggregation: AggMax, AggregationKey: "n"},
			[]tev{{tx: "a", props: v("n", "5")}, {tx: "b", props: v("n", "3")}, {tx: "c", props: v("n", "9")}, {tx: "d", props: v("n", "2")}}, ": 9 @ 90"},
		{"unique with repeats", CreateMetric{EventTypeFilter: call, Aggregation: AggUnique, AggregationKey: "user"},
			[]tev{{tx: "a", props: v("user", "ann")}, {tx: "b", props: v("user", "bob")}, {tx: "c", props: v("user", "ann")},
				{tx: "d", props: v("user", "cy")}, {tx: "e", props: v("user", "bob")}, {tx: "f"}}, ": 3 @ 30"},
		{"latest out of order", CreateMetric{EventTypeFilter: call, Aggregation: AggLatest, AggregationKey: "n"},
			[]tev{{tx: "a", ts: "2026-01-05T00:00:00Z", props: v("n", "7")}, {tx: "b", ts: "2026-01-03T00:00:00Z", props: v("n", "100")},
				{tx: "c", ts: "2026-01-08T00:00:00Z", props: v("n", "4")}, {tx: "b2", ts: "2026-01-08T00:00:00Z", props: v("n", "50")},
				{tx: "d", ts: "2026-01-08T00:00:00Z", props: v("n", "6")}, {tx: "e", ts: "2026-01-06T00:00:00Z", props: v("n", "1")}}, ": 6 @ 60"},
		{"event type not in", CreateMetric{EventTypeFilter: &EventTypeFilter{NotInValues: []string{"other"}}},
			[]tev{{tx: "a"}, {tx: "b", typ: "other"}, {tx: "c", typ: "third"}}, ": 2 @ 20"},
		{"property filters", CreateMetric{EventTypeFilter: call, Aggregation: AggCount, PropertyFilters: []PropertyFilter{
			{Name: "region", Exists: ptr(true)}, {Name: "tier", InValues: []string{"a", "b"}}, {Name: "env", NotInValues: []string{"test"}}}},
			[]tev{{tx: "1", props: v("region", "eu", "tier", "a")}, {tx: "2", props: v("tier", "a")}, {tx: "3", props: v("region", "eu", "tier", "c")},
				{tx: "4", props: v("region", "eu", "tier", "b", "env", "test")}, {tx: "5", props: v("region", "eu", "tier", "b", "env", "prod")}}, ": 2 @ 20"},
	}
	for _, tc := range cases {
		for _, mode := range []struct {
			name     string
			perEntry bool
			each     bool
		}{{"one entry", false, false}, {"entry per event", true, false}, {"each event alone", false, true}} {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				h := ratingSetup{metric: tc.metric, rates: []RateInput{{Price: dec("10")}}, each: mode.each}.start(t)
				h.ingestEvents(tc.evs, mode.perEntry)
				if got, _ := usage(t, h); got != tc.want {
					t.Fatalf("usage %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// A TIERED rate prices the cumulative period quantity: tiers crossed inside
// one event, inside one entry and across entries price the same.
func TestTieredRate(t *testing.T) {
	tiers := []Tier{{Size: ptr(dec("10")), Price: dec("1")}, {Size: ptr(dec("10")), Price: dec("0.5")}, {Price: dec("0.1")}}
	sum := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggSum, AggregationKey: "n"}
	for _, perEntry := range []bool{false, true} {
		h := ratingSetup{metric: sum, rates: []RateInput{{RateType: RateTiered, Tiers: tiers}}}.start(t)
		// 4, then 9 (crosses 10 inside the event), then 15 (crosses 20).
		h.ingestEvents([]tev{{tx: "a", props: v("n", "4")}, {tx: "b", props: v("n", "9")}, {tx: "c", props: v("n", "15")}}, perEntry)
		if got, total := usage(t, h); got != ": 28 @ 15.8" || total != "15.8" {
			t.Fatalf("perEntry=%v: usage %q total %s", perEntry, got, total)
		}
	}
	// 25 COUNT events in one entry, rated in runs or alone: 10×1 + 10×0.5 + 5×0.1.
	count := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}}
	for _, each := range []bool{false, true} {
		h := ratingSetup{metric: count, rates: []RateInput{{RateType: RateTiered, Tiers: tiers}}, each: each}.start(t)
		h.must(h.events("c", "call", "t", 0, 25, "2026-01-10T00:00:00Z"))
		if got, _ := usage(t, h); got != ": 25 @ 15.5" {
			t.Fatalf("each=%v: usage %q", each, got)
		}
	}
	// A rate that turns TIERED mid-period prices on the whole period's quantity.
	h := ratingSetup{metric: count, rates: []RateInput{{Price: dec("2")},
		{StartingAt: ns(t, "2026-01-15T00:00:00Z"), RateType: RateTiered, Tiers: tiers}}}.start(t)
	h.must(h.events("c", "call", "early", 0, 8, "2026-01-10T00:00:00Z"))
	h.must(h.events("c", "call", "late", 0, 4, "2026-01-16T00:00:00Z"))
	// 8 × 2 = 16 at FLAT; then quantity 8 → 12 on the tiers: 2×1 + 2×0.5 = 3.
	if got, _ := usage(t, h); got != ": 12 @ 19" {
		t.Fatalf("flat then tiered: %q", got)
	}
}

// Multipliers under each prioritization, and overwrites (FLAT and TIERED).
func TestOverridePrioritization(t *testing.T) {
	count := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}}
	prod := CreateProduct{Tags: []string{"api"}}
	mults := []OverrideInput{
		{ProductID: "p", Type: "MULTIPLIER", Multiplier: ptr(dec("0.5")), Priority: ptr(dec("2"))},
		{ApplicableProductTags: []string{"api"}, Type: "MULTIPLIER", Multiplier: ptr(dec("0.8")), Priority: ptr(dec("1"))},
	}
	overwrite := OverrideInput{ProductID: "p", Type: "OVERWRITE", OverwritePrice: ptr(dec("3")), Priority: ptr(dec("5"))}
	tieredOverwrite := OverrideInput{ProductID: "p", Type: "OVERWRITE", OverwriteTiers: []Tier{{Size: ptr(dec("2")), Price: dec("4")}, {Price: dec("1")}}}
	cases := []struct {
		name string
		prio string
		ovs  []OverrideInput
		want string
	}{
		{"lowest multiplier", PrioritizationLowestMultiplier, mults, ": 3 @ 15"},
		{"explicit", PrioritizationExplicit, mults, ": 3 @ 24"},
		{"legacy compounds", PrioritizationLegacy, mults, ": 3 @ 12"},
		{"overwrite wins (lowest)", PrioritizationLowestMultiplier, append(append([]OverrideInput(nil), mults...), overwrite), ": 3 @ 9"},
		{"overwrite wins (explicit)", PrioritizationExplicit, append([]OverrideInput{overwrite}, mults...), ": 3 @ 9"},
		{"tiered overwrite", PrioritizationLowestMultiplier, []OverrideInput{mults[0], tieredOverwrite}, ": 3 @ 9"},
		{"expired override", PrioritizationLowestMultiplier, []OverrideInput{{ProductID: "p", Type: "MULTIPLIER", Multiplier: ptr(dec("0.1")),
			StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-01-05T00:00:00Z")}}, ": 3 @ 30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := ratingSetup{metric: count, product: prod, rates: []RateInput{{Price: dec("10")}}, overrides: tc.ovs, prio: tc.prio}.start(t)
			h.must(h.events("c", "call", "t", 0, 3, "2026-01-10T00:00:00Z"))
			if got, _ := usage(t, h); got != tc.want {
				t.Fatalf("usage %q, want %q", got, tc.want)
			}
		})
	}
	// A multiplier on a TIERED rate scales every tier; EXPLICIT needs priorities.
	h := ratingSetup{metric: count, product: prod, rates: []RateInput{{RateType: RateTiered, Tiers: []Tier{{Size: ptr(dec("2")), Price: dec("10")}, {Price: dec("5")}}}},
		overrides: mults, prio: PrioritizationLowestMultiplier}.start(t)
	h.must(h.events("c", "call", "t", 0, 3, "2026-01-10T00:00:00Z"))
	if got, _ := usage(t, h); got != ": 3 @ 12.5" {
		t.Fatalf("multiplied tiers: %q", got)
	}
	h.must(&CreateCustomer{ID: "c-explicit"})
	r := h.apply(&CreateContract{CustomerID: "c-explicit", RateCardID: "rc", StartingAt: ns(t, "2027-01-01T00:00:00Z"), MultiplierOverridePrioritization: PrioritizationExplicit,
		Overrides: []OverrideInput{{ProductID: "p", StartingAt: ns(t, "2027-01-01T00:00:00Z"), Type: "MULTIPLIER", Multiplier: ptr(dec("0.5"))}}})[0]
	if r.Err == nil || !strings.Contains(r.Err.Error(), "overrides[0].priority") {
		t.Fatalf("EXPLICIT without priority: %v", r.Err)
	}
}

// Spend in a custom pricing unit becomes fiat at the rate card's conversion.
func TestCustomUnitConvertsToFiat(t *testing.T) {
	count := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}}
	h := ratingSetup{metric: count, rates: []RateInput{{RateType: RateTiered, CreditTypeID: "ct-gpu",
		Tiers: []Tier{{Size: ptr(dec("2")), Price: dec("2")}, {Price: dec("1")}}}}}.start(t)
	h.must(h.events("c", "call", "t", 0, 3, "2026-01-10T00:00:00Z"))
	// 2×2 + 1×1 = 5 GPU hours, × 3.5 = 17.5 cents.
	if got, total := usage(t, h); got != "[ct-gpu]: 3 @ 5" || total != "17.5" {
		t.Fatalf("usage %q total %s", got, total)
	}
}

// Quantity conversion then rounding apply to the period quantity, so the
// spend of each event is the change of the rounded total.
func TestQuantityConversionAndRounding(t *testing.T) {
	sum := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggSum, AggregationKey: "bytes"}
	cases := []struct {
		conv   *QuantityConversion
		round  *QuantityRounding
		values []string
		want   string
	}{
		{&QuantityConversion{ConversionFactor: dec("1000000000"), Operation: ConvertDivide}, &QuantityRounding{DecimalPlaces: 0, RoundingMethod: RoundUp},
			[]string{"300000000", "300000000", "500000000"}, ": 2 @ 20"},
		{&QuantityConversion{ConversionFactor: dec("1000000000"), Operation: ConvertDivide}, &QuantityRounding{DecimalPlaces: 0, RoundingMethod: RoundDown},
			[]string{"300000000", "300000000", "500000000"}, ": 1 @ 10"},
		{&QuantityConversion{ConversionFactor: dec("3"), Operation: ConvertDivide}, &QuantityRounding{DecimalPlaces: 2, RoundingMethod: RoundHalfUpMode},
			[]string{"1", "1"}, ": 0.67 @ 6.7"},
		{&QuantityConversion{ConversionFactor: dec("3"), Operation: ConvertDivide}, nil, []string{"1"}, ": 0.333333333333 @ 3.33333333333"},
		{&QuantityConversion{ConversionFactor: dec("0.5"), Operation: ConvertMultiply}, nil, []string{"3", "4"}, ": 3.5 @ 35"},
		{nil, &QuantityRounding{DecimalPlaces: 1, RoundingMethod: RoundHalfUpMode}, []string{"0.04", "0.04"}, ": 0.1 @ 1"},
	}
	for i, tc := range cases {
		h := ratingSetup{metric: sum, product: CreateProduct{QuantityConversion: tc.conv, QuantityRounding: tc.round}, rates: []RateInput{{Price: dec("10")}}}.start(t)
		var evs []tev
		for j, val := range tc.values {
			evs = append(evs, tev{tx: fmt.Sprint(j), props: v("bytes", val)})
		}
		h.ingestEvents(evs, false)
		if got, _ := usage(t, h); got != tc.want {
			t.Fatalf("case %d: usage %q, want %q", i, got, tc.want)
		}
	}
}

// Pricing groups price each combination of the pricing_group_key values by
// the rate naming them (else the generic rate); presentation groups split
// lines; a compound metric group key is what the product's keys must equal.
func TestGroupKeysAndPricingGroups(t *testing.T) {
	m := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, GroupKeys: [][]string{{"user"}, {"region", "tier"}}}
	p := CreateProduct{PricingGroupKey: []string{"region"}, PresentationGroupKey: []string{"tier"}}
	h := ratingSetup{metric: m, product: p, rates: []RateInput{{Price: dec("1")}, {Price: dec("2"), PricingGroupValues: map[string]string{"region": "eu"}}}}.start(t)
	h.ingestEvents([]tev{{tx: "1", props: v("region", "eu", "tier", "a")}, {tx: "2", props: v("region", "eu", "tier", "b")},
		{tx: "3", props: v("region", "us", "tier", "a")}, {tx: "4", props: v("region", "eu", "tier", "a")}, {tx: "5"}}, false)
	if got, total := usage(t, h); got != "/: 1 @ 1; eu/a: 2 @ 4; eu/b: 1 @ 2; us/a: 1 @ 1" || total != "8" {
		t.Fatalf("usage %q total %s", got, total)
	}
	// Keys that are not one compound group key of the metric are refused.
	r := h.apply(&CreateProduct{ID: "bad", Name: "bad", Type: ProductUsage, BillableMetricID: "m", PricingGroupKey: []string{"region"}})[0]
	if r.Err == nil || !strings.Contains(r.Err.Error(), "group_keys") {
		t.Fatalf("bad group keys: %v", r.Err)
	}
	// MAX per group: each group keeps its own maximum.
	mx := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggMax, AggregationKey: "n", GroupKeys: [][]string{{"region"}}}
	h = ratingSetup{metric: mx, product: CreateProduct{PresentationGroupKey: []string{"region"}}, rates: []RateInput{{Price: dec("1")}}}.start(t)
	h.ingestEvents([]tev{{tx: "1", props: v("region", "eu", "n", "3")}, {tx: "2", props: v("region", "us", "n", "5")}, {tx: "3", props: v("region", "eu", "n", "4")}}, true)
	if got, _ := usage(t, h); got != "eu: 4 @ 4; us: 5 @ 5" {
		t.Fatalf("max per group: %q", got)
	}
}

// A UNIQUE aggregate holds at most MaxUniqueValues values; an event that
// would add another is a counted reject (not remembered as seen), while a
// repeated value still counts as before.
func TestUniqueBound(t *testing.T) {
	u := CreateMetric{EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggUnique, AggregationKey: "user"}
	h := ratingSetup{metric: u, rates: []RateInput{{Price: dec("1")}}}.start(t)
	ts := ns(t, "2026-01-10T00:00:00Z")
	for from := 0; from < MaxUniqueValues; from += 4096 {
		in := &Ingest{}
		for i := from; i < from+4096 && i < MaxUniqueValues; i++ {
			in.Events = append(in.Events, Event{TransactionID: fmt.Sprint("t", i), CustomerID: "c", EventType: "call", Timestamp: ts, Properties: v("user", fmt.Sprint("u", i))})
		}
		h.must(in)
	}
	res := h.must(&Ingest{Events: []Event{
		{TransactionID: "over", CustomerID: "c", EventType: "call", Timestamp: ts, Properties: v("user", "new-user")},
		{TransactionID: "repeat", CustomerID: "c", EventType: "call", Timestamp: ts, Properties: v("user", "u7")},
	}})
	if res.Ingest.Accepted != 1 || res.Ingest.Rejected[RejectUniqueLimit] != 1 {
		t.Fatalf("outcome %+v", res.Ingest)
	}
	if got, _ := usage(t, h); got != fmt.Sprintf(": %d @ %d", MaxUniqueValues, MaxUniqueValues) {
		t.Fatalf("usage %q", got)
	}
}
