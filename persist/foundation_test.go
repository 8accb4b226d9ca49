package persist

import (
	"bytes"
	"strings"
	"testing"

	"burndown/engine"
	"burndown/money"
)

// encodeAt encodes cmds as one entry, each command at the given version, as
// a build that wrote that version did (the msgpack body is the same layout).
func encodeAt(t *testing.T, at engine.Nanos, version uint8, cmds ...engine.Command) []byte {
	t.Helper()
	out := AppendEntryHeader(nil, at, len(cmds))
	for _, c := range cmds {
		body, err := Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = AppendCommand(out, Encoded{Kind: c.Kind(), Version: version, Body: body})
	}
	return out
}

// foundationHistory applies, through the codec, a catalog and contracts in
// the given command version: a MAX metric, a TIERED rate (flat price 2,
// tiers 10 then 1), two overlapping contracts, and two events.
func foundationHistory(t *testing.T, version uint8) (*engine.Engine, []engine.Result) {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	d := money.MustParse
	size := d("1")
	t0 := engine.Nanos(1767225600000000000) // 2026-01-01
	e := engine.New(engine.Config{Shards: 2})
	t.Cleanup(e.Close)
	entries := [][]engine.Command{
		{&engine.CreateMetric{ID: "m-max", Name: "peak", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"g"}}, Aggregation: engine.AggMax, AggregationKey: "n"},
			&engine.CreateMetric{ID: "m-count", Name: "calls", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"c"}}, Aggregation: engine.AggCount}},
		{&engine.CreateProduct{ID: "p-max", Name: "peak", Type: engine.ProductUsage, BillableMetricID: "m-max"},
			&engine.CreateProduct{ID: "p-count", Name: "calls", Type: engine.ProductUsage, BillableMetricID: "m-count"},
			&engine.CreateRateCard{ID: "rc", Name: "rc"}},
		{&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{
			{ProductID: "p-max", StartingAt: t0, Entitled: true, RateType: engine.RateFlat, Price: d("3")},
			{ProductID: "p-count", StartingAt: t0, Entitled: true, RateType: engine.RateTiered, Price: d("2"), Tiers: []engine.Tier{{Size: &size, Price: d("10")}, {Price: d("1")}}}}}},
		{&engine.CreateCustomer{ID: "cu", IngestAliases: []string{"cu"}},
			&engine.CreateContract{ID: "k1", CustomerID: "cu", RateCardID: "rc", StartingAt: t0},
			&engine.CreateContract{ID: "k2", CustomerID: "cu", RateCardID: "rc", StartingAt: t0 + 86400e9}},
		{&engine.Ingest{Events: []engine.Event{
			{TransactionID: "1", CustomerID: "cu", EventType: "g", Timestamp: t0 + 2*86400e9, Properties: map[string]string{"n": "5"}},
			{TransactionID: "2", CustomerID: "cu", EventType: "c", Timestamp: t0 + 2*86400e9},
			{TransactionID: "3", CustomerID: "cu", EventType: "c", Timestamp: t0 + 2*86400e9}}}},
	}
	var results []engine.Result
	for i, cmds := range entries {
		v := version
		if _, ok := cmds[0].(*engine.Ingest); ok || version > 1 {
			v = 0 // written by this build's codec
		}
		var b []byte
		if v == 0 {
			if b, err = c.EncodeEntry(t0+3*86400e9, cmds); err != nil {
				t.Fatal(err)
			}
		} else {
			b = encodeAt(t, t0+3*86400e9, v, cmds...)
		}
		at, decoded, err := c.DecodeEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, e.Apply([]engine.Entry{{Index: uint64(i + 1), Time: at, Commands: decoded}})[0]...)
	}
	return e, results
}

// usageLines describes the customer's usage lines as "product: quantity @ total".
func usageLines(t *testing.T, e *engine.Engine) string {
	t.Helper()
	var lines []string
	readCopy(e, t.Context(), "cu", func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) {
		for _, k := range c.Contracts {
			for _, inv := range k.Invoices {
				for _, l := range inv.Lines {
					if l.Type == engine.LineUsage {
						lines = append(lines, l.ProductID+": "+l.Quantity.String()+" @ "+l.Total.String())
					}
				}
			}
		}
	})
	return strings.Join(lines, "; ")
}

// Entries written by the foundation (version 1) keep the meaning they had:
// its MAX metric never rates, its TIERED rate prices flat and its contracts
// may overlap. The same history written today rates MAX, prices by tiers
// and refuses the overlapping contract.
func TestFoundationMeaningIsKept(t *testing.T) {
	old, oldRes := foundationHistory(t, 1)
	for i, r := range oldRes {
		if r.Err != nil {
			t.Fatalf("foundation command %d refused: %v", i, r.Err)
		}
	}
	if got := usageLines(t, old); got != "p-count: 2 @ 4" {
		t.Fatalf("foundation history bills %q, want the TIERED rate flat at 2 and no MAX usage", got)
	}
	now, nowRes := foundationHistory(t, 2)
	overlap := nowRes[len(nowRes)-2]
	if overlap.Err == nil || !strings.Contains(overlap.Err.Message, "overlaps contract k1") {
		t.Fatalf("today's overlapping contract: %v", overlap.Err)
	}
	if got := usageLines(t, now); got != "p-max: 5 @ 15; p-count: 2 @ 11" {
		t.Fatalf("today's history bills %q, want MAX 5 × 3 and tiers 10 + 1", got)
	}
}

// A catalog read from a snapshot written before catalog section version 2
// gets the foundation's meaning too.
func TestFoundationCatalogIsMarked(t *testing.T) {
	cat := engine.NewCatalog()
	cat.Metrics["m"] = &engine.Metric{CreateMetric: engine.CreateMetric{ID: "m", Aggregation: engine.AggUnique}}
	cat.MetricOrder = append(cat.MetricOrder, "m")
	engine.MarkFoundationCatalog(cat)
	if !cat.Metrics["m"].Unrated {
		t.Fatal("a UNIQUE metric of an old catalog would now be rated")
	}
}

// commitHistory applies, through the codec, a contract with a POSTPAID
// commit (100 over January, invoice item at its end) and an invoiced
// PREPAID commit (5 available, a purchase of 50 on January 5th) at
// create_contract version cv, a second contract given a POSTPAID commit of
// 40 by edit_contract version ev, 3 calls at 10 on each, and a tick after
// January. It returns the customers' January invoice totals and the
// postpaid commits' ledger types.
func commitHistory(t *testing.T, cv, ev uint8) (totals []string, ledgers []string) {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	d := money.MustParse
	t0 := engine.Nanos(1767225600000000000) // 2026-01-01
	day := engine.Nanos(86400e9)
	feb := t0 + 31*day
	e := engine.New(engine.Config{Shards: 2})
	t.Cleanup(e.Close)
	calls := func(cust string) *engine.Ingest {
		in := &engine.Ingest{}
		for i := 0; i < 3; i++ {
			in.Events = append(in.Events, engine.Event{TransactionID: cust + string(rune('a'+i)), CustomerID: cust, EventType: "c", Timestamp: t0 + 2*day})
		}
		return in
	}
	type entry struct {
		version uint8
		cmds    []engine.Command
		at      engine.Nanos
	}
	entries := []entry{
		{0, []engine.Command{&engine.CreateMetric{ID: "m", Name: "calls", EventTypeFilter: &engine.EventTypeFilter{InValues: []string{"c"}}, Aggregation: engine.AggCount}}, t0},
		{0, []engine.Command{&engine.CreateProduct{ID: "p", Name: "calls", Type: engine.ProductUsage, BillableMetricID: "m"},
			&engine.CreateProduct{ID: "fixed", Name: "commit", Type: engine.ProductFixed}, &engine.CreateRateCard{ID: "rc", Name: "rc"}}, t0},
		{0, []engine.Command{&engine.AddRates{RateCardID: "rc", Rates: []engine.RateInput{{ProductID: "p", StartingAt: t0, Entitled: true, RateType: engine.RateFlat, Price: d("10")}}}}, t0},
		{0, []engine.Command{&engine.CreateCustomer{ID: "cu", IngestAliases: []string{"cu"}}, &engine.CreateCustomer{ID: "cu2", IngestAliases: []string{"cu2"}}}, t0},
		{cv, []engine.Command{&engine.CreateContract{ID: "k1", CustomerID: "cu", RateCardID: "rc", StartingAt: t0, Commits: []engine.CommitInput{
			{ID: "pp", Type: engine.CommitPostpaid, ProductID: "fixed", AccessSchedule: []engine.ScheduleItem{{Amount: d("100"), StartingAt: t0, EndingBefore: feb}},
				InvoiceSchedule: []engine.InvoiceItem{{Timestamp: feb - day, Amount: d("100")}}},
			{ID: "pre", Type: engine.CommitPrepaid, ProductID: "fixed", AccessSchedule: []engine.ScheduleItem{{Amount: d("5"), StartingAt: t0, EndingBefore: t0 + 180*day}},
				InvoiceSchedule: []engine.InvoiceItem{{Timestamp: t0 + 4*day, Amount: d("50")}}}}}}, t0},
		{0, []engine.Command{&engine.CreateContract{ID: "k2", CustomerID: "cu2", RateCardID: "rc", StartingAt: t0}}, t0},
		{ev, []engine.Command{&engine.EditContract{CustomerID: "cu2", ContractID: "k2", AddCommits: []engine.CommitInput{
			{ID: "pp2", Type: engine.CommitPostpaid, ProductID: "fixed", AccessSchedule: []engine.ScheduleItem{{Amount: d("40"), StartingAt: t0, EndingBefore: feb}}}}}}, t0},
		{0, []engine.Command{calls("cu"), calls("cu2")}, t0 + 3*day},
		{0, []engine.Command{&engine.Tick{}}, feb + 3600e9},
	}
	for i, en := range entries {
		var b []byte
		if en.version == 0 {
			if b, err = c.EncodeEntry(en.at, en.cmds); err != nil {
				t.Fatal(err)
			}
		} else {
			b = encodeAt(t, en.at, en.version, en.cmds...)
		}
		at, decoded, err := c.DecodeEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range e.Apply([]engine.Entry{{Index: uint64(i + 1), Time: at, Commands: decoded}})[0] {
			if r.Err != nil {
				t.Fatalf("entry %d refused: %v", i, r.Err)
			}
		}
	}
	for _, cust := range []string{"cu", "cu2"} {
		readCopy(e, t.Context(), cust, func(c *engine.Customer, _ *engine.Catalog, now engine.Nanos) {
			k := c.Contracts[0]
			totals = append(totals, k.Invoices[0].Total.String())
			for _, cm := range k.Balances {
				if cm.Type != engine.CommitPostpaid {
					continue
				}
				var types []string
				for _, le := range cm.Ledger(now) {
					types = append(types, le.Type+" "+le.Amount.String())
				}
				ledgers = append(ledgers, strings.Join(types, ", "))
			}
		})
	}
	return totals, ledgers
}

// Commits written before postpaid commits were drawn and purchases invoiced
// (create_contract versions 1 and 2, edit_contract version 1) keep that
// meaning: the postpaid commit is not drawn nor trued up and the purchase
// is not billed. Written today, the postpaid commit covers the usage
// (billed in arrears) and its remainder is trued up, and the purchase is on
// the invoice.
func TestOldCommitEntriesKeepTheirMeaning(t *testing.T) {
	for _, c := range []struct {
		cv, ev  uint8
		totals  string
		ledgers string
	}{
		// 30 of usage: 5 from the prepaid commit, 25 overage; cu2 30 overage.
		{1, 1, "25 30", "POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_EXPIRATION -100 | POSTPAID_COMMIT_INITIAL_BALANCE 40, POSTPAID_COMMIT_EXPIRATION -40"},
		{2, 1, "25 30", "POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_EXPIRATION -100 | POSTPAID_COMMIT_INITIAL_BALANCE 40, POSTPAID_COMMIT_EXPIRATION -40"},
		// Today: cu 30 usage in arrears + 50 purchase + 70 true-up; cu2
		// 30 in arrears + 10 true-up.
		{3, 2, "150 40", "POSTPAID_COMMIT_INITIAL_BALANCE 100, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -30, POSTPAID_COMMIT_TRUEUP -70 | " +
			"POSTPAID_COMMIT_INITIAL_BALANCE 40, POSTPAID_COMMIT_AUTOMATED_INVOICE_DEDUCTION -30, POSTPAID_COMMIT_TRUEUP -10"},
	} {
		totals, ledgers := commitHistory(t, c.cv, c.ev)
		if got := strings.Join(totals, " "); got != c.totals {
			t.Errorf("create v%d, edit v%d: totals %s, want %s", c.cv, c.ev, got, c.totals)
		}
		if got := strings.Join(ledgers, " | "); got != c.ledgers {
			t.Errorf("create v%d, edit v%d: ledgers\n%s\nwant\n%s", c.cv, c.ev, got, c.ledgers)
		}
	}
}

// stripeHistory applies, through the codec, one command written at version
// v (0: this build's codec) after a catalog, a Stripe customer per command
// and, for edits, a contract of that customer created today (with an
// EXTERNAL auto-recharge and threshold billing to update). It returns the
// command's result and the contract it creates (k1) or edits (k0), nil if
// none.
func stripeHistory(t *testing.T, v uint8, cmd func(cust, contract string) engine.Command) (engine.Result, *engine.Contract) {
	t.Helper()
	c, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	d := money.MustParse
	t0 := engine.Nanos(1767225600000000000) // 2026-01-01
	e := engine.New(engine.Config{Shards: 2})
	t.Cleanup(e.Close)
	on := false
	th, to := d("10"), d("100")
	external := &engine.PaymentGateInput{Type: engine.GateExternal}
	index := uint64(0)
	apply := func(version uint8, cmds ...engine.Command) []engine.Result {
		var b []byte
		if version == 0 {
			if b, err = c.EncodeEntry(t0, cmds); err != nil {
				t.Fatal(err)
			}
		} else {
			b = encodeAt(t, t0, version, cmds...)
		}
		at, decoded, err := c.DecodeEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		index++
		return e.Apply([]engine.Entry{{Index: index, Time: at, Commands: decoded}})[0]
	}
	for _, r := range apply(0,
		&engine.CreateProduct{ID: "fixed", Name: "pack", Type: engine.ProductFixed}, &engine.CreateRateCard{ID: "rc", Name: "rc"},
		&engine.CreateCustomer{ID: "cu", IngestAliases: []string{"cu"},
			BillingProviders: []engine.BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_1"}}}},
		&engine.CreateContract{ID: "k0", CustomerID: "cu", RateCardID: "rc", StartingAt: t0, EndingBefore: t0 + 365*86400e9,
			PrepaidBalanceThreshold: &engine.RechargeInput{IsEnabled: &on, ThresholdAmount: &th, RechargeToAmount: &to,
				Commit: &engine.ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: external},
			SpendThreshold: &engine.SpendThresholdInput{IsEnabled: &on, ThresholdAmount: &th,
				Commit: &engine.ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: external}}) {
		if r.Err != nil {
			t.Fatalf("setup: %v", r.Err)
		}
	}
	in := cmd("cu", "k0")
	res := apply(v, in)[0]
	id := "k0"
	if _, ok := in.(*engine.CreateContract); ok {
		id = "k1"
	}
	var k *engine.Contract
	readCopy(e, t.Context(), "cu", func(c *engine.Customer, _ *engine.Catalog, _ engine.Nanos) { k = c.Contract(id) })
	return res, k
}

// STRIPE payment gates on a create's commits and threshold configurations
// and on an edit's threshold configurations were refused when applied by
// every build that wrote create_contract versions 1 to 3 and edit_contract
// versions 1 and 2 (the last, v0.3.0, with the errors below). Replayed
// today those entries are still refused, with the same errors, so the
// state (and any idempotency record of the answer) is what it was; the
// current versions (create_contract 4, edit_contract 3) accept them. An
// edit's add_commits STRIPE, which v0.3.0 accepted, stays accepted.
func TestStripeGatesOfOldEntriesStayRefused(t *testing.T) {
	d := money.MustParse
	t0 := engine.Nanos(1767225600000000000)
	stripe := func() *engine.PaymentGateInput { return &engine.PaymentGateInput{Type: engine.GateStripe} }
	on := true
	th, to := d("10"), d("100")
	recharge := func() *engine.RechargeInput {
		return &engine.RechargeInput{IsEnabled: &on, ThresholdAmount: &th, RechargeToAmount: &to, Commit: &engine.ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: stripe()}
	}
	spend := func() *engine.SpendThresholdInput {
		return &engine.SpendThresholdInput{IsEnabled: &on, ThresholdAmount: &th, Commit: &engine.ThresholdCommitInput{ProductID: "fixed"}, PaymentGate: stripe()}
	}
	commit := func() engine.CommitInput {
		return engine.CommitInput{ID: "cm", Type: engine.CommitPrepaid, ProductID: "fixed", PaymentGate: stripe(),
			AccessSchedule: []engine.ScheduleItem{{Amount: d("100"), StartingAt: t0, EndingBefore: t0 + 180*86400e9}}}
	}
	create := func(edit func(*engine.CreateContract)) func(cust, _ string) engine.Command {
		return func(cust, _ string) engine.Command {
			k := &engine.CreateContract{ID: "k1", CustomerID: cust, RateCardID: "rc", StartingAt: t0 + 365*86400e9}
			edit(k)
			return k
		}
	}
	editOf := func(edit func(*engine.EditContract)) func(cust, contract string) engine.Command {
		return func(cust, contract string) engine.Command {
			e := &engine.EditContract{CustomerID: cust, ContractID: contract}
			edit(e)
			return e
		}
	}
	const threshold = `.payment_gate_config.payment_gate_type: "STRIPE" is not supported by this server yet on a threshold configuration (NONE or EXTERNAL; STRIPE only on add_commits)`
	for _, c := range []struct {
		name     string
		old      []uint8 // versions that refuse
		cmd      func(cust, contract string) engine.Command
		refusal  string
		accepted func(k *engine.Contract) bool
	}{
		{"create commit", []uint8{1, 2, 3}, create(func(k *engine.CreateContract) { k.Commits = []engine.CommitInput{commit()} }),
			"commits[0].payment_gate_config.payment_gate_type: STRIPE is not supported on contracts/create yet (add the commit through /v2/contracts/edit)",
			func(k *engine.Contract) bool {
				return len(k.Gated()) == 1 && k.Gated()[0].GateType() == engine.GateStripe && k.Gated()[0].GateStatus() == engine.GatePending
			}},
		{"create auto-recharge", []uint8{1, 2, 3}, create(func(k *engine.CreateContract) { k.PrepaidBalanceThreshold = recharge() }),
			"prepaid_balance_threshold_configuration" + threshold,
			func(k *engine.Contract) bool {
				return k.Recharge() != nil && k.Recharge().GateType == engine.GateStripe
			}},
		{"create threshold billing", []uint8{1, 2, 3}, create(func(k *engine.CreateContract) { k.SpendThreshold = spend() }),
			"spend_threshold_configuration" + threshold,
			func(k *engine.Contract) bool {
				return k.SpendThreshold() != nil && k.SpendThreshold().GateType == engine.GateStripe
			}},
		{"edit update auto-recharge", []uint8{1, 2}, editOf(func(e *engine.EditContract) {
			e.UpdatePrepaidBalanceThreshold = &engine.RechargeInput{PaymentGate: stripe()}
		}), "update_prepaid_balance_threshold_configuration" + threshold,
			func(k *engine.Contract) bool { return k.Recharge().GateType == engine.GateStripe }},
		{"edit update threshold billing", []uint8{1, 2}, editOf(func(e *engine.EditContract) {
			e.UpdateSpendThreshold = &engine.SpendThresholdInput{PaymentGate: stripe()}
		}), "update_spend_threshold_configuration" + threshold,
			func(k *engine.Contract) bool { return k.SpendThreshold().GateType == engine.GateStripe }},
		// v0.3.0 accepted this one: no version refuses it.
		{"edit add_commits", nil, editOf(func(e *engine.EditContract) { e.AddCommits = []engine.CommitInput{commit()} }), "",
			func(k *engine.Contract) bool {
				return len(k.Gated()) == 1 && k.Gated()[0].GateType() == engine.GateStripe
			}},
	} {
		for _, v := range c.old {
			res, k := stripeHistory(t, v, c.cmd)
			if res.Err == nil || res.Err.Code != engine.Invalid || res.Err.Message != c.refusal {
				t.Errorf("%s at version %d: %+v, want Invalid %q", c.name, v, res.Err, c.refusal)
			}
			if k != nil && (k.ID == "k1" || c.accepted(k)) {
				t.Errorf("%s at version %d changed the contract", c.name, v)
			}
		}
		oldest := uint8(2) // edit_contract
		if _, ok := c.cmd("cu", "k0").(*engine.CreateContract); ok {
			oldest = 3
		}
		for _, v := range []uint8{0, oldest} { // today's codec, and the last version v0.3.0 wrote
			if v == oldest && len(c.old) > 0 {
				continue
			}
			res, k := stripeHistory(t, v, c.cmd)
			if res.Err != nil || k == nil || !c.accepted(k) {
				t.Errorf("%s at version %d: %+v, want it applied", c.name, v, res.Err)
			}
		}
	}
	// The current versions are the ones a STRIPE gate is written at.
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	gated := &engine.PaymentGateInput{Type: engine.GateStripe}
	for _, w := range []struct {
		cmd engine.Command
		v   uint8
	}{{&engine.CreateContract{Commits: []engine.CommitInput{{PaymentGate: gated}}}, 4}, {&engine.EditContract{AddSpendThreshold: &engine.SpendThresholdInput{PaymentGate: gated}}, 3}} {
		if e, err := codec.EncodeCommand(w.cmd); err != nil || e.Version != w.v {
			t.Fatalf("%T written at version %d (%v), want %d", w.cmd, e.Version, err, w.v)
		}
	}
}

// A create_contract or edit_contract that uses nothing its current version
// added is written at the version v0.3.0 wrote (3 and 2), with the very
// bytes of the current version's body, so a node still running v0.3.0
// applies it during a rolling upgrade; one that uses a STRIPE gate where
// v0.3.0 refused it, another gate type, or a billing_provider_configuration
// is written at the current version. Decoded again (the upgrade sets
// StripeGatesRefused), a version-3 or -2 entry is written at its version
// with the same bytes.
func TestOldestVersionThatMeansTheSameIsWritten(t *testing.T) {
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	gate := func(typ string) *engine.PaymentGateInput { return &engine.PaymentGateInput{Type: typ} }
	external, stripe, bogus := gate(engine.GateExternal), gate(engine.GateStripe), gate("BOGUS")
	billing := &engine.ContractBillingProvider{BillingProvider: engine.ProviderStripeBilling, DeliveryMethod: engine.DeliveryDirect}
	for _, tc := range []struct {
		name string
		cmd  engine.Command
		want uint8
	}{
		{"plain create", &engine.CreateContract{ID: "k", CustomerID: "c"}, 3},
		{"create, EXTERNAL gates", &engine.CreateContract{Commits: []engine.CommitInput{{PaymentGate: external}},
			PrepaidBalanceThreshold: &engine.RechargeInput{PaymentGate: external}, SpendThreshold: &engine.SpendThresholdInput{PaymentGate: gate(engine.GateNone)}}, 3},
		{"create, STRIPE commit", &engine.CreateContract{Commits: []engine.CommitInput{{PaymentGate: stripe}}}, 4},
		{"create, STRIPE credit", &engine.CreateContract{Credits: []engine.CommitInput{{PaymentGate: stripe}}}, 4},
		{"create, STRIPE recharge", &engine.CreateContract{PrepaidBalanceThreshold: &engine.RechargeInput{PaymentGate: stripe}}, 4},
		{"create, STRIPE threshold billing", &engine.CreateContract{SpendThreshold: &engine.SpendThresholdInput{PaymentGate: stripe}}, 4},
		{"create, unknown gate type", &engine.CreateContract{Commits: []engine.CommitInput{{PaymentGate: bogus}}}, 4},
		{"create, billing provider", &engine.CreateContract{BillingProviderConfiguration: billing}, 4},
		{"plain edit", &engine.EditContract{CustomerID: "c", ContractID: "k"}, 2},
		{"edit, STRIPE add_commits", &engine.EditContract{AddCommits: []engine.CommitInput{{PaymentGate: stripe}}}, 2},
		{"edit, STRIPE add recharge", &engine.EditContract{AddPrepaidBalanceThreshold: &engine.RechargeInput{PaymentGate: stripe}}, 3},
		{"edit, STRIPE update recharge", &engine.EditContract{UpdatePrepaidBalanceThreshold: &engine.RechargeInput{PaymentGate: stripe}}, 3},
		{"edit, STRIPE add threshold billing", &engine.EditContract{AddSpendThreshold: &engine.SpendThresholdInput{PaymentGate: stripe}}, 3},
		{"edit, unknown gate on update threshold billing", &engine.EditContract{UpdateSpendThreshold: &engine.SpendThresholdInput{PaymentGate: bogus}}, 3},
	} {
		e, err := codec.EncodeCommand(tc.cmd)
		if err != nil || e.Version != tc.want {
			t.Errorf("%s: written at version %d (%v), want %d", tc.name, e.Version, err, tc.want)
			continue
		}
		current, err := Marshal(tc.cmd)
		if err != nil || !bytes.Equal(e.Body, current) {
			t.Errorf("%s: the body at version %d is not the current version's", tc.name, e.Version)
		}
		entry := AppendEntryHeader(nil, 1, 1)
		entry = AppendCommand(entry, e)
		_, cmds, err := codec.DecodeEntry(entry)
		if err != nil || len(cmds) != 1 {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		again, err := codec.EncodeCommand(cmds[0])
		if err != nil || again.Version != e.Version || !bytes.Equal(again.Body, e.Body) {
			t.Errorf("%s: decoded and written again at version %d, %d bytes; first %d, %d bytes", tc.name, again.Version, len(again.Body), e.Version, len(e.Body))
		}
	}
}
