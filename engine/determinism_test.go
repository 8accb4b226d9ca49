package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// jsonEncoder is a deterministic CustomerEncoder for tests (encoding/json
// sorts map keys); the real one lives in persist.
func jsonEncoder(dst []byte, c *Customer) ([]byte, error) {
	b, err := json.Marshal(c)
	return append(dst, b...), err
}

func snapshotBytes(t *testing.T, e *Engine) []byte {
	t.Helper()
	s, err := e.Snapshot(jsonEncoder)
	if err != nil {
		t.Fatal(err)
	}
	// Customers are spread over shards; gather them in id order so engines
	// with different shard counts compare equal.
	all, dedup := collectSnapshot(t, s)
	return snapshotBytesFrom(t, s, all, dedup)
}

// snapshotBytesFrom renders what a snapshot wrote in a shard-independent order.
func snapshotBytesFrom(t *testing.T, s *Snapshot, all [][]byte, dedup []DedupBucket) []byte {
	t.Helper()
	sortBytes(all)
	keys := map[int64][][]byte{}
	for _, b := range dedup {
		for off := 0; off < len(b.Keys); off += b.KeySize() {
			keys[b.Day] = append(keys[b.Day], b.Keys[off:off+b.KeySize()])
		}
	}
	for _, v := range keys {
		sortBytes(v)
	}
	out, err := json.Marshal(struct {
		Index     uint64
		Now       Nanos
		Catalog   *Catalog
		Order     []string
		Customers [][]byte
		Dedup     map[int64][][]byte
	}{s.Index, s.Now, s.Catalog, s.CustomerOrder, all, keys})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// collectSnapshot writes every shard of s and releases it.
func collectSnapshot(t *testing.T, s *Snapshot) ([][]byte, []DedupBucket) {
	t.Helper()
	defer s.Release()
	var all [][]byte
	var dedup []DedupBucket
	for i := 0; i < s.ShardCount(); i++ {
		if err := s.WriteShard(i, func(b []byte) error { all = append(all, append([]byte(nil), b...)); return nil }); err != nil {
			t.Fatal(err)
		}
		dedup = append(dedup, s.ShardDedup(i)...)
	}
	return all, dedup
}

func sortBytes(b [][]byte) {
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && bytes.Compare(b[j-1], b[j]) > 0; j-- {
			b[j-1], b[j] = b[j], b[j-1]
		}
	}
}

// randomLog builds a log of catalog setup, customers, contracts, ingests and
// time moves from a seed.
func randomLog(t *testing.T, seed int64) []Entry {
	rng := rand.New(rand.NewSource(seed))
	start := ns(t, "2026-01-01T00:00:00Z")
	now := start
	var entries []Entry
	idx := uint64(0)
	push := func(cmds ...Command) {
		idx++
		entries = append(entries, Entry{Index: idx, Time: now, Commands: cmds})
	}
	push(&CreateCreditType{ID: "ct-gpu", Name: "GPU hours"})
	push(&CreateMetric{ID: "m1", Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount},
		&CreateMetric{ID: "m2", Name: "bytes", EventTypeFilter: &EventTypeFilter{InValues: []string{"upload"}}, Aggregation: AggSum, AggregationKey: "bytes",
			PropertyFilters: []PropertyFilter{{Name: "bytes", Exists: ptr(true)}}},
		// Premium calls count twice: an event can add to two products.
		&CreateMetric{ID: "m3", Name: "premium calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}},
			PropertyFilters: []PropertyFilter{{Name: "tier", InValues: []string{"premium"}}}, Aggregation: AggCount})
	// Gauges: MAX, UNIQUE and LATEST aggregates, grouped, tiered, converted.
	gauge := &EventTypeFilter{InValues: []string{"gauge"}}
	push(&CreateMetric{ID: "m4", Name: "peak", EventTypeFilter: gauge, Aggregation: AggMax, AggregationKey: "n", GroupKeys: [][]string{{"region"}}},
		&CreateMetric{ID: "m5", Name: "users", EventTypeFilter: gauge, Aggregation: AggUnique, AggregationKey: "user", GroupKeys: [][]string{{"region"}}},
		&CreateMetric{ID: "m6", Name: "level", EventTypeFilter: gauge, Aggregation: AggLatest, AggregationKey: "n",
			PropertyFilters: []PropertyFilter{{Name: "n", Exists: ptr(true)}, {Name: "region", NotInValues: []string{"test"}}}, GroupKeys: [][]string{{"region"}}},
		&CreateMetric{ID: "m7", Name: "gauge sum", EventTypeFilter: gauge, Aggregation: AggSum, AggregationKey: "n"})
	push(&CreateProduct{ID: "p3", Name: "Premium", Type: ProductUsage, BillableMetricID: "m3", Tags: []string{"api"}},
		&CreateProduct{ID: "p4", Name: "Peak", Type: ProductUsage, BillableMetricID: "m4", PresentationGroupKey: []string{"region"}, Tags: []string{"gauge"}},
		&CreateProduct{ID: "p5", Name: "Users", Type: ProductUsage, BillableMetricID: "m5", PricingGroupKey: []string{"region"}, Tags: []string{"gauge"}},
		&CreateProduct{ID: "p6", Name: "Level", Type: ProductUsage, BillableMetricID: "m6", PricingGroupKey: []string{"region"},
			QuantityConversion: &QuantityConversion{ConversionFactor: dec("3"), Operation: ConvertDivide}, QuantityRounding: &QuantityRounding{DecimalPlaces: 1, RoundingMethod: RoundUp}},
		&CreateProduct{ID: "p7", Name: "Gauge sum", Type: ProductUsage, BillableMetricID: "m7", Tags: []string{"gauge"}})
	push(&CreateProduct{ID: "p1", Name: "Calls", Type: ProductUsage, BillableMetricID: "m1", Tags: []string{"api"}},
		&CreateProduct{ID: "p2", Name: "Uploads", Type: ProductUsage, BillableMetricID: "m2"},
		&CreateProduct{ID: "fixed", Name: "Purchase", Type: ProductFixed},
		&CreateProduct{ID: "seat", Name: "Seat", Type: ProductSubscription},
		// A composite: a share of the premium, level (GPU hours) and gauge
		// products' spend; calls and uploads stay uncovered so runs of
		// identical events are still proven.
		&CreateProduct{ID: "comp", Name: "Platform fee", Type: ProductComposite, CompositeProductIDs: []string{"p3", "p6"}, CompositeTags: []string{"gauge"}},
		&CreateRateCard{ID: "rc", Name: "Card", CreditTypeConversions: []CreditTypeConversion{{CustomCreditTypeID: "ct-gpu", FiatPerCustomCredit: dec("3.5")}},
			Aliases: []RateCardAlias{{Name: "std", EndingBefore: start + 40*nanosPerDay}}},
		// Contracts by alias starting from day 40 get this card.
		&CreateRateCard{ID: "rc2", Name: "Card 2", Aliases: []RateCardAlias{{Name: "std", StartingAt: start + 40*nanosPerDay}}})
	seatRates := func() []RateInput {
		var out []RateInput
		for j, f := range []string{FrequencyMonthly, FrequencyQuarterly, FrequencyAnnual} {
			out = append(out, RateInput{ProductID: "seat", StartingAt: start, Entitled: true, RateType: RateSubscription, Price: dec(fmt.Sprint(300 * (j*j + 1))), BillingFrequency: f, IsProrated: true})
		}
		return out
	}
	push(&AddRates{RateCardID: "rc2", Rates: seatRates()}, &AddRates{RateCardID: "rc", Rates: seatRates()})
	push(&AddRates{RateCardID: "rc2", Rates: []RateInput{
		{ProductID: "p1", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("0.6")},
		{ProductID: "p3", StartingAt: start, Entitled: true, RateType: RateTiered, Tiers: []Tier{{Size: ptr(dec("7")), Price: dec("3")}, {Price: dec("1.7")}}},
		{ProductID: "comp", StartingAt: start, Entitled: true, RateType: RatePercentage, Price: dec("0.15")},
	}})
	push(&AddRates{RateCardID: "rc", Rates: []RateInput{
		{ProductID: "p1", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("0.5")},
		{ProductID: "p2", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("0.001")},
		{ProductID: "p3", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("2.5")},
		// A price change mid-way through the log.
		{ProductID: "p1", StartingAt: start + 20*nanosPerDay, Entitled: true, RateType: RateFlat, Price: dec("0.75")},
		{ProductID: "p4", StartingAt: start, Entitled: true, RateType: RateTiered, Tiers: []Tier{{Size: ptr(dec("20")), Price: dec("0.3")}, {Price: dec("0.07")}}},
		{ProductID: "p5", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("4")},
		{ProductID: "p5", StartingAt: start, Entitled: true, RateType: RateFlat, Price: dec("6"), PricingGroupValues: map[string]string{"region": "eu"}},
		{ProductID: "p6", StartingAt: start, Entitled: true, RateType: RateTiered, CreditTypeID: "ct-gpu",
			Tiers: []Tier{{Size: ptr(dec("5")), Price: dec("1.25")}, {Size: ptr(dec("10")), Price: dec("0.5")}, {Price: dec("0.125")}}},
		{ProductID: "p7", StartingAt: start, Entitled: true, RateType: RateTiered, Tiers: []Tier{{Size: ptr(dec("150")), Price: dec("0.02")}, {Price: dec("0.01")}}},
		// SUM on FLAT becomes TIERED mid-way: the tiers see the period so far.
		{ProductID: "p7", StartingAt: start + 25*nanosPerDay, Entitled: true, RateType: RateFlat, Price: dec("0.015")},
		{ProductID: "comp", StartingAt: start, Entitled: true, RateType: RatePercentage, Price: dec("0.0725")},
		// The fraction changes mid-period.
		{ProductID: "comp", StartingAt: start + 17*nanosPerDay, Entitled: true, RateType: RatePercentage, Price: dec("0.1")},
	}})
	const customers = 40
	var cmds []Command
	for i := 0; i < customers; i++ {
		id := fmt.Sprintf("c%02d", i)
		cust := &CreateCustomer{ID: id, Name: id, IngestAliases: []string{"alias-" + id}}
		if i%4 == 3 { // Stripe customers: STRIPE gates, invoices sent to Stripe
			cust.BillingProviders = []BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_" + id}}}
		}
		cmds = append(cmds, cust)
		prio := dec(fmt.Sprint(rng.Intn(3)))
		prioritization := []string{PrioritizationLegacy, PrioritizationLowestMultiplier, PrioritizationExplicit}[rng.Intn(3)]
		var overrides []OverrideInput
		if rng.Intn(2) == 0 {
			overrides = append(overrides,
				OverrideInput{StartingAt: start, ApplicableProductTags: []string{"api", "gauge"}, Type: "MULTIPLIER", Multiplier: ptr(dec("0.9")), Priority: ptr(dec("2"))},
				OverrideInput{StartingAt: start + int64(rng.Intn(30))*nanosPerDay, ProductID: "p4", Type: "MULTIPLIER", Multiplier: ptr(dec("0.6")), Priority: ptr(dec("3"))})
		}
		if rng.Intn(3) == 0 {
			overrides = append(overrides, OverrideInput{StartingAt: start + int64(rng.Intn(30))*nanosPerDay, ProductID: "p7", Type: "OVERWRITE",
				OverwriteTiers: []Tier{{Size: ptr(dec("100")), Price: dec("0.05")}, {Price: dec("0.001")}}})
		}
		var sched *StatementScheduleInput
		switch i % 4 {
		case 1:
			sched = &StatementScheduleInput{Frequency: FrequencyQuarterly, Day: DayFirstOfMonth}
		case 2:
			sched = &StatementScheduleInput{Frequency: FrequencyMonthly, Day: DayContractStart}
		}
		var charges []ScheduledChargeInput
		if i%3 == 0 {
			amount := dec(fmt.Sprint(100 + rng.Intn(900)))
			charges = []ScheduledChargeInput{{ProductID: "fixed", Recurring: &RecurringScheduleInput{StartingAt: start, EndingBefore: start + 90*nanosPerDay,
				Frequency: FrequencyMonthly, AmountDistribution: []string{DistributionEach, DistributionDivided, DistributionDividedRounded}[rng.Intn(3)], Amount: &amount}}}
		}
		commits := []CommitInput{{Type: CommitPrepaid, ProductID: "fixed", Priority: &prio, AccessSchedule: []ScheduleItem{
			{Amount: dec(fmt.Sprint(100 + rng.Intn(500))), StartingAt: start, EndingBefore: start + int64(rng.Intn(90)+1)*nanosPerDay}}}}
		// Postpaid commits (drawn, trued up at their end) and invoiced
		// prepaid purchases (items, recurring, do_not_invoice).
		if rng.Intn(3) == 0 {
			amount := dec(fmt.Sprint(20 + rng.Intn(200)))
			end := start + int64(rng.Intn(60)+1)*nanosPerDay
			commits = append(commits, CommitInput{Type: CommitPostpaid, ProductID: "fixed", ApplicableProductTags: []string{"api"}, DoNotInvoice: rng.Intn(5) == 0,
				AccessSchedule:  []ScheduleItem{{Amount: amount, StartingAt: start, EndingBefore: end}},
				InvoiceSchedule: []InvoiceItem{{Timestamp: end - 1, Amount: amount}}})
		}
		switch rng.Intn(4) {
		case 0:
			commits[0].InvoiceSchedule = []InvoiceItem{{Timestamp: start + int64(rng.Intn(40))*nanosPerDay, Amount: dec(fmt.Sprint(rng.Intn(300)))},
				{Timestamp: start + 3*int64(time.Hour), UnitPrice: dec("2.5"), Quantity: dec("4"), Amount: dec("10")}}
		case 1:
			amount := dec(fmt.Sprint(50 + rng.Intn(500)))
			commits[0].InvoiceRecurring = &RecurringScheduleInput{StartingAt: start + 3*int64(time.Hour), EndingBefore: start + 80*nanosPerDay, Frequency: FrequencyMonthly,
				AmountDistribution: []string{DistributionEach, DistributionDivided, DistributionDividedRounded}[rng.Intn(3)], Amount: &amount}
			commits[0].DoNotInvoice = rng.Intn(4) == 0
		}
		card, alias := "rc", ""
		if i%5 == 0 {
			card, alias = "", "std"
		}
		// Seats: a subscription (every frequency and collection schedule)
		// with a pooled recurring credit linked to it, and a plain
		// recurring commit.
		var subs []SubscriptionInput
		var recCredits, recCommits []RecurringInput
		if i%4 != 3 {
			q := dec(fmt.Sprint(1 + rng.Intn(5)))
			subs = []SubscriptionInput{{ID: "sub-" + id, TemporaryID: "seats", ProductID: "seat",
				BillingFrequency:   []string{FrequencyMonthly, FrequencyQuarterly, FrequencyAnnual}[rng.Intn(3)],
				CollectionSchedule: []string{CollectAdvance, CollectArrears}[rng.Intn(2)], InitialQuantity: &q, IsProrated: rng.Intn(4) != 0,
				InvoiceBehavior: []string{BillImmediately, BillOnNextCollectionDay}[rng.Intn(2)]}}
			recCredits = []RecurringInput{{ProductID: "fixed", UnitPrice: dec(fmt.Sprint(5 + rng.Intn(20))), Priority: ptr(dec("0")),
				ApplicableProductTags: []string{"api"}, Frequency: []string{"", FrequencyMonthly}[rng.Intn(2)],
				SubscriptionID: "seats", Allocation: AllocationPooled, SeatIncreaseProrated: rng.Intn(2) == 0}}
		}
		if i%5 == 1 {
			recCommits = []RecurringInput{{ProductID: "fixed", UnitPrice: dec("7.5"), Quantity: ptr(dec("2")), DurationPeriods: int64(1 + rng.Intn(2)),
				Proration: []string{ProrationNone, ProrationFirst, ProrationLast, ProrationFirstAndEnd}[rng.Intn(4)]}}
		}
		// Half the Stripe customers' contracts send their finalized
		// invoices to Stripe; the other half (as every contract created
		// before create_contract version 4) never do.
		var billing *ContractBillingProvider
		if i%8 == 3 {
			billing = &ContractBillingProvider{BillingProvider: ProviderStripeBilling, DeliveryMethod: DeliveryDirect}
		}
		cmds = append(cmds, &CreateContract{ID: "k" + id, CustomerID: id, RateCardID: card, RateCardAlias: alias, StartingAt: start + int64(i%3)*int64(time.Hour), PrepaidOnly: i%2 == 0,
			Subscriptions: subs, RecurringCredits: recCredits, RecurringCommits: recCommits, BillingProviderConfiguration: billing,
			Overrides: overrides, MultiplierOverridePrioritization: prioritization, UsageStatementSchedule: sched, ScheduledCharges: charges,
			// Some contracts as create_contract version 2 left them: postpaid
			// commits not drawn, purchases not invoiced.
			LegacyCommits: i%7 == 3,
			// A third bill their scheduled charges on SCHEDULED invoices
			// (Metronome's default); the rest consolidate them (ALL).
			SeparateScheduledInvoices: i%3 == 1,
			Commits:                   commits,
			Credits: []CommitInput{{ProductID: "fixed", ApplicableProductTags: []string{"api"}, AccessSchedule: []ScheduleItem{
				{Amount: dec("50"), StartingAt: start, EndingBefore: start + 30*nanosPerDay},
				{Amount: dec("40"), StartingAt: start + 30*nanosPerDay, EndingBefore: start + 45*nanosPerDay},
				{Amount: dec("30"), StartingAt: start + int64(45+rng.Intn(10))*nanosPerDay, EndingBefore: start + 90*nanosPerDay}}},
				{ProductID: "fixed", ApplicableProductIDs: []string{"p2"}, Priority: &prio, AccessSchedule: []ScheduleItem{
					{Amount: dec(fmt.Sprint(rng.Intn(80))), StartingAt: start + int64(rng.Intn(20))*nanosPerDay, EndingBefore: start + 60*nanosPerDay}}}}})
		cmds = append(cmds, multiContracts(i, id, start)...)
	}
	push(cmds...)
	// Payments (payments.go): auto-recharge and threshold billing on some
	// contracts, gated purchases and releases below. A generator of their
	// own, so the draws above keep their sequence.
	prng := rand.New(rand.NewSource(seed*7919 + 1))
	srng := rand.New(rand.NewSource(seed*104729 + 3))
	grng := rand.New(rand.NewSource(seed*15485863 + 5))
	arng := rand.New(rand.NewSource(seed*31337 + 7))
	mrng := rand.New(rand.NewSource(seed*7919 + 11))
	brng := rand.New(rand.NewSource(seed*6007 + 13))
	vrng := rand.New(rand.NewSource(seed*6011 + 17))
	// stripe_config (stripe_gate.go): INVOICE with metadata, or none
	// (PAYMENT_INTENT), on the Stripe customers' gates; a generator of
	// its own too.
	xrng := rand.New(rand.NewSource(seed*7907 + 19))
	stripeCfg := func(id string) *StripeGateConfig {
		if xrng.Intn(3) == 0 {
			return nil
		}
		return &StripeGateConfig{PaymentType: StripePayInvoice, InvoiceMetadata: map[string]string{"po": "PO-" + id}}
	}
	crng := rand.New(rand.NewSource(seed*6029 + 19))
	payer := func() string { return fmt.Sprintf("c%02d", 8*prng.Intn(customers/8)+6+prng.Intn(2)) }
	gates := []string{GateExternal, GateExternal, GateNone}
	for _, cmd := range cmds {
		k, ok := cmd.(*CreateContract)
		if !ok {
			continue
		}
		var i int
		fmt.Sscanf(k.CustomerID, "c%d", &i)
		switch i % 8 {
		case 6:
			th := dec(fmt.Sprint(50 + prng.Intn(100)))
			to := th.Add(dec(fmt.Sprint(100 + prng.Intn(200))))
			k.PrepaidBalanceThreshold = &RechargeInput{IsEnabled: ptr(true), ThresholdAmount: &th, RechargeToAmount: &to,
				Commit: &ThresholdCommitInput{ProductID: "fixed", Name: "Recharge"}, PaymentGate: &PaymentGateInput{Type: gates[prng.Intn(3)]}}
		case 7:
			th := dec(fmt.Sprint(20 + prng.Intn(60)))
			k.SpendThreshold = &SpendThresholdInput{IsEnabled: ptr(true), ThresholdAmount: &th,
				Commit: &ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: &PaymentGateInput{Type: gates[prng.Intn(3)]}}
		case 3: // a Stripe customer (i%4 == 3): threshold charges through Stripe
			th := dec("40")
			k.SpendThreshold = &SpendThresholdInput{IsEnabled: ptr(true), ThresholdAmount: &th,
				Commit: &ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: &PaymentGateInput{Type: GateStripe, Stripe: stripeCfg(k.CustomerID)}}
		}
	}
	// Alerts of every type on some customers: soft and hard (blocking)
	// spend limits, one scoped to a group value, balance and invoice alerts.
	cmds = nil
	var alertIDs []string
	for i := 0; i < customers; i += 2 {
		id := fmt.Sprintf("c%02d", i)
		typ := AlertTypes[rng.Intn(len(AlertTypes))]
		a := &CreateAlert{CustomerID: id, Name: "a-" + id, Type: typ, Threshold: dec(fmt.Sprint(rng.Intn(200))),
			BlockOnAlarm: rng.Intn(2) == 0, EvaluateOnCreate: rng.Intn(3) != 0, UniquenessKey: "k-" + id}
		if typ == AlertSpend && rng.Intn(2) == 0 {
			a.GroupValues = []GroupValue{{Key: "region", Value: "eu"}}
		}
		if typ == AlertUsage {
			m := rng.Intn(7) + 1
			a.BillableMetricID = fmt.Sprint("m", m)
			if m >= 4 && m <= 6 && rng.Intn(2) == 0 {
				a.GroupValues = []GroupValue{{Key: "region", Value: "eu"}}
			}
		}
		alertIDs = append(alertIDs, entryID(idx+1, len(cmds), "alert"))
		cmds = append(cmds, a)
	}
	push(cmds...)
	for step := 0; step < 60; step++ {
		now += int64(rng.Intn(36)) * int64(time.Hour)
		var batch []Command
		for r := 0; r < 1+rng.Intn(4); r++ {
			in := &Ingest{}
			for e := 0; e < 1+rng.Intn(50); e++ {
				c := rng.Intn(customers)
				ts := now - int64(rng.Intn(48))*int64(time.Hour)
				ev := Event{TransactionID: fmt.Sprintf("t%d", rng.Intn(3000)), CustomerID: fmt.Sprintf("alias-c%02d", c), EventType: "call", Timestamp: ts}
				if rng.Intn(4) == 0 {
					ev.Properties = map[string]string{"tier": "premium"}
				}
				if rng.Intn(3) == 0 {
					ev.EventType = "upload"
					ev.Properties = map[string]string{"bytes": fmt.Sprint(rng.Intn(100000))}
				}
				if rng.Intn(3) == 0 {
					ev.EventType = "gauge"
					ev.Properties = map[string]string{"n": fmt.Sprintf("%d.%d", rng.Intn(60), rng.Intn(10)),
						"user": fmt.Sprint("u", rng.Intn(12)), "region": []string{"eu", "us", "test"}[rng.Intn(3)]}
					if rng.Intn(8) == 0 {
						delete(ev.Properties, "n")
					}
				}
				if rng.Intn(20) == 0 {
					ev.CustomerID = "nobody"
				}
				in.Events = append(in.Events, ev)
			}
			batch = append(batch, in)
		}
		if rng.Intn(5) == 0 {
			batch = append(batch, &Tick{})
		}
		// Contract lifecycle: an upgrade (end one contract, start the next
		// where it ends), an edit that adds and archives, an end date
		// refused or moved.
		if rng.Intn(6) == 0 {
			c := fmt.Sprintf("c%02d", rng.Intn(customers))
			end := now + int64(1+rng.Intn(20))*nanosPerDay
			amount := dec("250")
			batch = append(batch, &UpdateEndDate{CustomerID: c, ContractID: "k" + c, EndingBefore: end},
				&CreateContract{ID: fmt.Sprintf("k%s-%d", c, step), CustomerID: c, RateCardAlias: "std", StartingAt: end, SeparateScheduledInvoices: step%2 == 0,
					ScheduledCharges: []ScheduledChargeInput{{ProductID: "fixed", Items: []ChargeItemInput{{Timestamp: end, Amount: &amount}}}}})
		}
		if rng.Intn(4) == 0 {
			c := fmt.Sprintf("c%02d", rng.Intn(customers))
			amount := dec(fmt.Sprint(rng.Intn(50)))
			edit := &EditContract{CustomerID: c, ContractID: "k" + c,
				AddCredits:          []CommitInput{{ProductID: "fixed", AccessSchedule: []ScheduleItem{{Amount: amount, StartingAt: now, EndingBefore: now + 10*nanosPerDay}}}},
				AddScheduledCharges: []ScheduledChargeInput{{ProductID: "fixed", Items: []ChargeItemInput{{Timestamp: now + int64(rng.Intn(40))*nanosPerDay, Amount: &amount}}}}}
			if rng.Intn(2) == 0 {
				edit.ArchiveScheduledCharges = []string{DeriveID("k"+c, "scheduled_charge", "0")}
			}
			switch rng.Intn(4) {
			case 0:
				pp := dec(fmt.Sprint(10 + rng.Intn(60)))
				edit.AddCommits = []CommitInput{{Type: CommitPostpaid, ProductID: "fixed", AccessSchedule: []ScheduleItem{{Amount: pp, StartingAt: now, EndingBefore: now + int64(1+rng.Intn(20))*nanosPerDay}}}}
			case 1:
				edit.AddCommits = []CommitInput{{Type: CommitPrepaid, ProductID: "fixed", AccessSchedule: []ScheduleItem{{Amount: dec("30"), StartingAt: now, EndingBefore: now + 15*nanosPerDay}},
					InvoiceSchedule: []InvoiceItem{{Timestamp: now + int64(rng.Intn(10))*nanosPerDay, Amount: dec("25")}}}}
			case 2:
				edit.ArchiveCommits = []string{DeriveID("k"+c, "commits", "0")}
			}
			edit.LegacyCommits = rng.Intn(6) == 0
			// Seat changes: now or later, absolute or by a delta.
			if rng.Intn(2) == 0 {
				u := QuantityUpdate{StartingAt: now + int64(rng.Intn(3))*int64(rng.Intn(200))*int64(time.Hour)}
				if rng.Intn(2) == 0 {
					u.Quantity = ptr(dec(fmt.Sprint(rng.Intn(8))))
				} else {
					u.QuantityDelta = ptr(dec("1"))
				}
				edit.UpdateSubscriptions = []SubscriptionUpdate{{SubscriptionID: "sub-" + c, QuantityUpdates: []QuantityUpdate{u}}}
			}
			if rng.Intn(8) == 0 {
				q := dec("2")
				edit.AddSubscriptions = []SubscriptionInput{{ProductID: "seat", BillingFrequency: FrequencyMonthly, CollectionSchedule: CollectAdvance,
					InitialQuantity: &q, IsProrated: true, StartingAt: now + nanosPerDay}}
			}
			if rng.Intn(3) == 0 {
				edit.UpdateContractEndDate = &EndDateUpdate{EndingBefore: now + int64(rng.Intn(60))*nanosPerDay}
			}
			batch = append(batch, edit)
		}
		switch rng.Intn(8) {
		case 0:
			batch = append(batch, &ArchiveAlert{AlertID: alertIDs[rng.Intn(len(alertIDs))], ReleaseUniquenessKey: rng.Intn(2) == 0})
		case 1:
			c := rng.Intn(customers/2) * 2
			batch = append(batch, &ResetAlert{CustomerID: fmt.Sprintf("c%02d", c), AlertID: alertIDs[c/2]})
		case 2, 3:
			c := fmt.Sprintf("c%02d", rng.Intn(customers))
			cons := &Consume{CustomerID: c, ProductID: "p1"}
			for e := 0; e < 1+rng.Intn(5); e++ {
				cons.Events = append(cons.Events, Event{TransactionID: fmt.Sprintf("cons%d", rng.Intn(3000)), CustomerID: c, EventType: "call",
					Timestamp: now - int64(rng.Intn(48))*int64(time.Hour), Properties: map[string]string{"region": []string{"eu", "us"}[rng.Intn(2)]}})
			}
			if rng.Intn(2) == 0 {
				cons.GroupKey, cons.GroupValue = "region", "eu"
			}
			batch = append(batch, cons)
		case 4:
			c := rng.Intn(customers/2) * 2
			batch = append(batch, &CreateAlert{CustomerID: fmt.Sprintf("c%02d", c), Name: "again", Type: AlertSpend, Threshold: dec("50"),
				UniquenessKey: fmt.Sprintf("k-c%02d", c), EvaluateOnCreate: true})
		}
		push(batch...)
		// Payments in an entry of their own, so the usage entries above
		// can still be split (split_test.go).
		batch = nil
		for n := prng.Intn(3); n > 0; n-- {
			c := payer()
			switch prng.Intn(5) {
			case 0:
				batch = append(batch, &EditContract{CustomerID: c, ContractID: "k" + c, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: "fixed",
					AccessSchedule: []ScheduleItem{{Amount: dec(fmt.Sprint(50 + prng.Intn(200))), StartingAt: now, EndingBefore: now + 30*nanosPerDay}},
					PaymentGate:    &PaymentGateInput{Type: GateExternal}}}})
			case 1, 2, 3:
				rel := &ReleasePaymentGate{WorkflowID: DeriveID("k"+c, "payment_workflow", fmt.Sprint(prng.Intn(4))),
					Outcome: []string{GatePaid, GateFailed}[prng.Intn(2)]}
				batch = append(batch, rel)
			case 4:
				on := true
				batch = append(batch, &EditContract{CustomerID: c, ContractID: "k" + c, UpdatePrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on}})
			}
		}
		// Stripe (a generator of its own again): the STRIPE threshold
		// charges settled by Stripe or left waiting for the customer's
		// action, and the Stripe invoice of a finalized
		// statement as the leader's dispatcher records it (a customer's
		// first statement: refused while a draft; recorded again, or with
		// another id, after).
		if srng.Intn(2) == 0 {
			c := fmt.Sprintf("c%02d", 8*srng.Intn(customers/8)+3)
			rel := &ReleasePaymentGate{WorkflowID: DeriveID("k"+c, "payment_workflow", fmt.Sprint(srng.Intn(3))),
				Outcome: []string{GatePaid, GateFailed, GateActionRequired}[srng.Intn(3)], Provider: ProviderStripe}
			if rel.Outcome == GateActionRequired { // a payment waiting for 3D Secure, announced once per action
				rel.ErrorMessage, rel.PaymentIntentID = []string{"use_stripe_sdk", "redirect_to_url"}[srng.Intn(2)], "pi_"+c
			}
			if xrng.Intn(2) == 0 { // the Stripe invoice an INVOICE gate is paid through
				rel.StripeInvoiceID = fmt.Sprintf("in_%s_%d", c, xrng.Intn(2))
			}
			batch = append(batch, rel)
		}
		if xrng.Intn(8) == 0 { // a Stripe customer's threshold billing switches how it is paid
			c := fmt.Sprintf("c%02d", 8*xrng.Intn(customers/8)+3)
			batch = append(batch, &EditContract{CustomerID: c, ContractID: "k" + c,
				UpdateSpendThreshold: &SpendThresholdInput{PaymentGate: &PaymentGateInput{Type: GateStripe, Stripe: stripeCfg(c)}}})
		}
		if step%6 == 5 {
			i := 4*srng.Intn(customers/4) + 3
			c := fmt.Sprintf("c%02d", i)
			st := []string{ExternalFinalized, ExternalPaymentFailed, ExternalUncollectible, ExternalPaid, ExternalVoid}[srng.Intn(5)]
			batch = append(batch, &RecordExternalInvoice{CustomerID: c, Provider: ProviderStripeBilling, Status: st,
				InvoiceID:  DeriveID("k"+c, "invoice", fmtTime(start+int64(i%3)*int64(time.Hour))),
				ExternalID: fmt.Sprintf("in_%s_%d", c, srng.Intn(2)), IssuedAt: now - int64(srng.Intn(3600))})
		}
		// Payment-gated commits on contracts without auto-recharge or
		// threshold billing (customers 1 mod 8; a generator of its own):
		// their workflows are announced and settled though no threshold
		// is watched.
		if grng.Intn(3) == 0 {
			c := fmt.Sprintf("c%02d", 8*grng.Intn(customers/8)+1)
			if grng.Intn(2) == 0 {
				batch = append(batch, &EditContract{CustomerID: c, ContractID: "k" + c, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: "fixed",
					AccessSchedule: []ScheduleItem{{Amount: dec(fmt.Sprint(20 + grng.Intn(100))), StartingAt: now, EndingBefore: now + 30*nanosPerDay}},
					PaymentGate:    &PaymentGateInput{Type: GateExternal}}}})
			} else {
				batch = append(batch, &ReleasePaymentGate{WorkflowID: DeriveID("k"+c, "payment_workflow", fmt.Sprint(grng.Intn(3))),
					Outcome: []string{GatePaid, GateFailed}[grng.Intn(2)]})
			}
		}
		batch = append(batch, adminCommands(arng, step, customers)...)
		batch = append(batch, manualEntries(mrng, now, customers)...)
		batch = append(batch, balanceEdits(brng, now, customers)...)
		batch = append(batch, invoiceCommands(vrng, start, customers)...)
		batch = append(batch, customerBalanceCommands(crng, now, customers)...)
		if len(batch) > 0 {
			push(batch...)
		}
	}
	return entries
}

// adminCommands are the customer administration commands of a step of the
// random log (a generator of its own): aliases replaced (an alias given up
// makes its events unknown; one taken from another customer is refused),
// renames, billing providers added, and late in the log a contract
// archived (voiding refused) and a customer archived, after which its
// usage has no contract and its other commands are refused.
func adminCommands(rng *rand.Rand, step, customers int) []Command {
	var out []Command
	c := fmt.Sprintf("c%02d", rng.Intn(customers))
	switch rng.Intn(6) {
	case 0:
		aliases := [][]string{{"alias-" + c, "alt-" + c}, {"alt-" + c}, {"alias-" + c}, {"alias-" + c, fmt.Sprintf("alias-c%02d", rng.Intn(customers))}}[rng.Intn(4)]
		out = append(out, &SetIngestAliases{CustomerID: c, IngestAliases: aliases})
	case 1:
		out = append(out, &SetCustomerName{CustomerID: c, Name: fmt.Sprintf("%s renamed %d", c, step)})
	case 2:
		out = append(out, &AddBillingProviders{CustomerID: c, Configurations: []BillingProviderConfig{{BillingProvider: "netsuite",
			DeliveryMethod: DeliveryDirect, Configuration: map[string]string{"netsuite_customer_id": fmt.Sprint(step)}}}})
	}
	if step >= 30 && rng.Intn(10) == 0 {
		k := fmt.Sprintf("c%02d", 8*rng.Intn(customers/8)+5)
		out = append(out, &ArchiveContract{CustomerID: k, ContractID: "k" + k, VoidInvoices: rng.Intn(3) == 0})
	}
	if step >= 45 && rng.Intn(10) == 0 {
		out = append(out, &ArchiveCustomer{ID: fmt.Sprintf("c%02d", 8*rng.Intn(customers/8)+4)})
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// Replaying the same log on fresh engines gives identical snapshots, whatever
// the shard count and however the log is split into Apply calls.
func TestDeterministicReplay(t *testing.T) {
	log := randomLog(t, 42)
	a := New(Config{Shards: 1})
	defer a.Close()
	b := New(Config{Shards: 4})
	defer b.Close()
	a.Apply(log)
	for i := range log {
		b.Apply(log[i : i+1])
	}
	sa, sb := snapshotBytes(t, a), snapshotBytes(t, b)
	if !bytes.Equal(sa, sb) {
		t.Fatalf("snapshots differ:\n%s\n%s", sa[:min(len(sa), 2000)], sb[:min(len(sb), 2000)])
	}
	// A different log must give a different snapshot (the comparison is not vacuous).
	c := New(Config{Shards: 2})
	defer c.Close()
	c.Apply(randomLog(t, 43))
	if bytes.Equal(sa, snapshotBytes(t, c)) {
		t.Fatal("different logs gave identical snapshots")
	}
}

// snapshotState snapshots e and returns a function that decodes the
// snapshot into a fresh State each time it is called, as a node reading a
// snapshot file would. The catalog goes through JSON too: what is derived
// from it (prices, conversions, view order) is derived again.
func snapshotState(t *testing.T, e *Engine) func() *State {
	t.Helper()
	snap, err := e.Snapshot(jsonEncoder)
	if err != nil {
		t.Fatal(err)
	}
	catJSON, err := json.Marshal(snap.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	head := State{Index: snap.Index, Now: snap.Now, CustomerOrder: snap.CustomerOrder, UnknownRejects: snap.UnknownRejects, DedupFloor: snap.DedupFloor}
	raws, dedup := collectSnapshot(t, snap)
	return func() *State {
		st := head
		st.Catalog = new(Catalog)
		if err := json.Unmarshal(catJSON, st.Catalog); err != nil {
			t.Fatal(err)
		}
		for _, raw := range raws {
			var c Customer
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			st.Customers = append(st.Customers, &c)
		}
		st.Dedup = dedup
		return &st
	}
}

// Restoring a snapshot into a fresh engine and applying the rest of the log
// gives the same state as applying the whole log.
func TestRestoreThenReplay(t *testing.T) {
	log := randomLog(t, 7)
	half := len(log) / 2
	full := New(Config{Shards: 2})
	defer full.Close()
	full.Apply(log)

	first := New(Config{Shards: 3})
	defer first.Close()
	first.Apply(log[:half])
	st := snapshotState(t, first)()
	second := New(Config{Shards: 2})
	defer second.Close()
	if err := second.Restore(st); err != nil {
		t.Fatal(err)
	}
	second.Apply(log[half:])
	if !bytes.Equal(snapshotBytes(t, full), snapshotBytes(t, second)) {
		t.Fatal("restore + replay diverged from a full replay")
	}
	ids, _ := full.CustomerIDs(0, 1000)
	answers := 0
	for _, id := range ids {
		a, b := full.dir.lookup(id).View(), second.dir.lookup(id).View()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("customer %s: entitlement view %+v after a full replay, %+v after restore + replay", id, a, b)
		}
		answers += len(a.Products)
	}
	if answers == 0 {
		t.Fatal("no view answers a product: the comparison is vacuous")
	}
}

// Rating runs of identical events as one gives exactly the state rating
// each event in turn gives.
func TestAggregatedRatingEqualsPerEvent(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		log := randomLog(t, seed)
		each := newTestEngine(Config{Shards: 2}, testSwitches{rateEachEvent: true})
		runs := New(Config{Shards: 2})
		each.Apply(log)
		runs.Apply(log)
		a, b := snapshotBytes(t, each), snapshotBytes(t, runs)
		each.Close()
		runs.Close()
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: aggregated rating diverged from per-event rating", seed)
		}
	}
}

// The random log behind the determinism, snapshot and aggregation proofs
// emits every registered command kind: a new command that is not added to
// the generator fails here, not silently outside the proofs.
func TestRandomLogCoversEveryCommand(t *testing.T) {
	seen := map[Kind]bool{}
	for seed := int64(1); seed <= 6; seed++ {
		for _, en := range randomLog(t, seed) {
			for _, c := range en.Commands {
				seen[c.Kind()] = true
			}
		}
	}
	for _, sp := range Commands() {
		if !seen[sp.Kind] {
			t.Errorf("randomLog never emits %s (kind %d): add it to the generator", sp.Name, sp.Kind)
		}
	}
}

// The random log exercises the rating features the proofs above are meant
// to cover: every product is billed, the period aggregates hold MAX, UNIQUE
// and LATEST state, lines are split by group, and every prioritization is on
// some contract, across the seeds the proofs replay (1 to 6).
func TestRandomLogRatesEveryFeature(t *testing.T) {
	billed := map[string]bool{}
	seen := map[string]bool{}
	for seed := int64(1); seed <= 6; seed++ {
		e := New(Config{Shards: 2})
		e.Apply(randomLog(t, seed))
		recordFeatures(e, billed, seen)
		recordStripeInvoices(t, e, seen)
		e.Close()
	}
	for _, p := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "comp"} {
		if !billed[p] {
			t.Errorf("product %s is never billed", p)
		}
	}
	for _, f := range []string{"prio:", "prio:" + PrioritizationLowestMultiplier, "prio:" + PrioritizationExplicit, "grouped line", "unique set", "latest", "card:rc2",
		"invoice sent to stripe", "stripe customer's invoice finalized, not sent",
		"postpaid drawn", "legacy postpaid", "true-up", "postpaid expired without true-up", "do_not_invoice", "commit purchase line",
		"subscription ADVANCE MONTHLY", "subscription ARREARS QUARTERLY", "subscription ADVANCE ANNUAL", "quantity update", "prorated charge",
		"seat adjustment", "recurring grant expired CREDIT", "recurring grant expired PREPAID",
		"workflow manual_commit EXTERNAL paid", "workflow manual_commit EXTERNAL failed", "workflow prepaid_balance EXTERNAL paid",
		"workflow prepaid_balance EXTERNAL failed", "workflow prepaid_balance NONE paid", "workflow spend EXTERNAL paid", "workflow spend EXTERNAL failed",
		"workflow spend NONE paid", "workflow spend STRIPE paid", "workflow spend STRIPE failed", "external invoice", "external invoice status moved",
		"workflow settled on an unwatched contract", "manual entry, negative true", "manual entry, negative false",
		"manual entries beyond the remainder", "invoice voided", "invoice regenerated",
		"workflow paid by Stripe invoice paid", "workflow paid by Stripe invoice failed", "workflow paid by Stripe invoice pending",
		"workflow's Stripe invoice recorded",
		"customer balance drawn", "customer balance given back", "customer balance limited to a contract", "customer balance expired", "customer commit billed",
		"manual entry on a customer balance"} {
		if !seen[f] {
			t.Errorf("never seen: %s", f)
		}
	}
}

// recordStripeInvoices notes the invoices sent to Stripe (invoice.stripe_send)
// and the finalized invoices of Stripe customers that were not, and fails
// if one was sent for a contract whose billing_provider_configuration does
// not select Stripe.
func recordStripeInvoices(t *testing.T, e *Engine, seen map[string]bool) {
	t.Helper()
	sent := map[string]bool{}
	for _, n := range e.TakeNotifications() {
		if n.Type != NoteStripeInvoice {
			continue
		}
		var v struct {
			Properties StripeInvoice `json:"properties"`
		}
		if err := json.Unmarshal(n.Payload, &v); err != nil {
			t.Fatal(err)
		}
		p := v.Properties
		sent[p.InvoiceID] = true
		e.read(context.Background(), p.CustomerID, func(c *Customer, _ *Catalog, _ Nanos) {
			if k := c.Contract(p.ContractID); k == nil || !k.SendsToStripe() {
				t.Errorf("invoice %s of contract %s sent to Stripe without its billing_provider_configuration", p.InvoiceID, p.ContractID)
			}
		})
		seen["invoice sent to stripe"] = true
	}
	ids, _ := e.CustomerIDs(0, 1000)
	for _, id := range ids {
		e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
			if c.StripeCustomerID() == "" {
				return
			}
			for _, k := range c.Contracts {
				for _, inv := range k.Invoices {
					if inv.Status == InvoiceFinalized && !k.SendsToStripe() && !inv.Total.IsZero() && !sent[inv.ID] {
						seen["stripe customer's invoice finalized, not sent"] = true
					}
				}
			}
		})
	}
}

// recordFeatures notes which products e billed and which features its state
// shows.
func recordFeatures(e *Engine, billed, seen map[string]bool) {
	ids, _ := e.CustomerIDs(0, 1000)
	for _, id := range ids {
		e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
			recordCustomerBalances(c, seen)
			for _, k := range c.Contracts {
				seen["prio:"+k.MultiplierPrioritization()] = true
				seen["card:"+k.RateCardID] = true
				for _, cm := range k.Balances {
					for _, sg := range cm.Segments {
						switch {
						case cm.postpaid() && len(sg.Deductions) > 0:
							seen["postpaid drawn"] = true
						case cm.Type == CommitPostpaid && cm.LegacyRules:
							seen["legacy postpaid"] = true
						}
						if sg.TrueUpInvoiceID() != "" {
							seen["true-up"] = true
						}
						if cm.postpaid() && cm.DoNotInvoice && sg.Expired {
							seen["postpaid expired without true-up"] = true
						}
					}
					if cm.Type == CommitPrepaid && cm.DoNotInvoice && len(cm.InvoiceSchedule()) > 0 {
						seen["do_not_invoice"] = true
					}
				}
				for _, wf := range k.Workflows() {
					seen["workflow "+wf.Type+" "+wf.GateType+" "+wf.Status] = true
					if wf.Stripe.PaysByInvoice() {
						seen["workflow paid by Stripe invoice "+wf.Status] = true
					}
					if wf.StripeInvoiceID != "" {
						seen["workflow's Stripe invoice recorded"] = true
					}
					if !k.paymentWatched() && wf.Status != GatePending {
						seen["workflow settled on an unwatched contract"] = true
					}
				}
				for _, sub := range k.Subscriptions() {
					seen["subscription "+sub.CollectionSchedule+" "+sub.BillingFrequency] = true
					if len(sub.Quantities) > 1 {
						seen["quantity update"] = true
					}
					for _, ch := range sub.Charges {
						if ch.Prorated {
							seen["prorated charge"] = true
						}
					}
				}
				for _, cm := range k.Balances {
					for _, sg := range cm.Segments {
						for _, a := range sg.ManualAdjustments() {
							seen[fmt.Sprintf("manual entry, negative %t", a.Amount.IsNegative())] = true
						}
						if sg.Amount.LessThan(sg.Drawn) {
							seen["manual entries beyond the remainder"] = true
						}
					}
				}
				for _, r := range k.Recurring() {
					if cm := k.Commit(r.CommitID); cm != nil {
						for _, sg := range cm.Segments {
							if len(sg.SeatAdjustments()) > 0 {
								seen["seat adjustment"] = true
							}
							if sg.Expired {
								seen["recurring grant expired "+cm.Type] = true
							}
						}
					}
				}
				for _, inv := range k.Invoices {
					if inv.Status == InvoiceVoid {
						seen["invoice voided"] = true
					}
					if inv.Status == InvoiceVoid && k.Invoice(RegeneratedID(inv.ID)) != nil {
						seen["invoice regenerated"] = true
					}
					if inv.External() != nil {
						seen["external invoice"] = true
						if inv.External().Status != ExternalFinalized {
							seen["external invoice status moved"] = true
						}
					}
					for _, l := range inv.Lines {
						if l.Type == LineCommitPurchase {
							if cm := k.Commit(l.CommitID); cm != nil && cm.Type == CommitPrepaid {
								seen["commit purchase line"] = true
							}
						}
						if l.Type == LineUsage && !l.Total.IsZero() {
							billed[l.ProductID] = true
						}
						if len(l.GroupValues()) > 0 {
							seen["grouped line"] = true
						}
					}
					for _, a := range inv.Aggs() {
						if len(a.Uniques) > 16 {
							seen["unique set"] = true
						}
						if a.LatestTx != "" {
							seen["latest"] = true
						}
					}
				}
			}
		})
	}
}

// The terms summary rating reads (terms.go) never lags the terms it
// summarizes: after every entry of the random logs, each customer's known
// summary equals one computed afresh, and rating did rely on it.
func TestTermsSummaryIsCurrent(t *testing.T) {
	relied := 0
	for seed := int64(1); seed <= 6; seed++ {
		e := New(Config{Shards: 2})
		for i, en := range randomLog(t, seed) {
			e.Apply([]Entry{en})
			ids, _ := e.CustomerIDs(0, 1000)
			for _, id := range ids {
				e.read(context.Background(), id, func(c *Customer, _ *Catalog, _ Nanos) {
					if !c.terms.known {
						return
					}
					relied++
					if want := c.computeSummary(); c.terms != want {
						t.Errorf("seed %d entry %d customer %s: summary %+v, terms say %+v", seed, i, id, c.terms, want)
					}
				})
			}
		}
		e.Close()
	}
	if relied == 0 {
		t.Fatal("no customer ever had a known summary: rating never read it")
	}
}

// The shard's shortcuts (evaluating payments and sending invoices only for
// customers whose terms changed or that have auto-recharge or threshold
// billing) change nothing: every random log reaches the very state and
// notifications it reaches when every changed customer is evaluated, as
// builds before the shortcuts did. (The terms summary they read is checked
// by TestTermsSummaryIsCurrent.)
func TestGatingChangesNothing(t *testing.T) {
	notes := 0
	for seed := int64(1); seed <= 6; seed++ {
		log := randomLog(t, seed)
		gated, ungated := New(Config{Shards: 2}), newTestEngine(Config{Shards: 2}, testSwitches{ungated: true})
		gated.Apply(log)
		ungated.Apply(log)
		if !bytes.Equal(snapshotBytes(t, gated), snapshotBytes(t, ungated)) {
			t.Fatalf("seed %d: the shortcuts changed the state", seed)
		}
		a, b := gated.TakeNotifications(), ungated.TakeNotifications()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: %d notifications with the shortcuts, %d without", seed, len(a), len(b))
		}
		notes += len(a)
		gated.Close()
		ungated.Close()
	}
	if notes == 0 {
		t.Fatal("the random logs queued no notification: the comparison is vacuous")
	}
}

// multiContracts adds, for some customers of randomLog, an add-on contract
// in force alongside the first (create_contract version 5): on another
// rate card, rating only premium calls (usage_filter), with a credit of
// its own; and for others an overlapping contract a build refusing
// overlaps wrote (OverlapsRefused), refused again.
func multiContracts(i int, id string, start Nanos) []Command {
	switch i % 6 {
	case 4:
		return []Command{&CreateContract{ID: "ka" + id, CustomerID: id, RateCardID: "rc2", StartingAt: start + 5*nanosPerDay, EndingBefore: start + 70*nanosPerDay,
			UsageFilter: &UsageFilterInput{GroupKey: "tier", GroupValues: []string{"premium", "gold"}},
			Credits: []CommitInput{{ProductID: "fixed", AccessSchedule: []ScheduleItem{
				{Amount: dec("20"), StartingAt: start, EndingBefore: start + 60*nanosPerDay}}}}}}
	case 5:
		return []Command{&CreateContract{ID: "kr" + id, CustomerID: id, RateCardID: "rc2", StartingAt: start + 10*nanosPerDay, OverlapsRefused: true}}
	}
	return nil
}
