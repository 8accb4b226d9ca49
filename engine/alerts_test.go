package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"burndown/money"
)

// payGo sets up a catalog with one product priced 100 cents per unit and
// returns the product id and rate card id.
func payGo(h *harness) (product, rateCard, fixed string) {
	metric := h.must(&CreateMetric{Name: "units", EventTypeFilter: &EventTypeFilter{InValues: []string{"unit"}}, Aggregation: AggCount}).ID
	product = h.must(&CreateProduct{Name: "Units", Type: ProductUsage, BillableMetricID: metric}).ID
	fixed = h.must(&CreateProduct{Name: "Purchase", Type: ProductFixed}).ID
	rateCard = h.must(&CreateRateCard{Name: "PayGo"}).ID
	h.must(&AddRates{RateCardID: rateCard, Rates: []RateInput{{ProductID: product, StartingAt: ns(h.t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("100")}}})
	return
}

func (h *harness) customer(name string, k *CreateContract) string {
	h.t.Helper()
	id := h.must(&CreateCustomer{Name: name, IngestAliases: []string{name}}).ID
	k.CustomerID = id
	h.must(k)
	return id
}

// notes takes the notifications and decodes their payloads.
func (h *harness) notes() []decodedNote {
	h.t.Helper()
	var out []decodedNote
	for _, n := range h.e.TakeNotifications() {
		var d decodedNote
		if err := json.Unmarshal(n.Payload, &d); err != nil {
			h.t.Fatal(err)
		}
		if d.ID != n.ID || d.Type != n.Type {
			h.t.Fatalf("payload %s does not match notification %s %s", n.Payload, n.ID, n.Type)
		}
		out = append(out, d)
	}
	return out
}

type decodedNote struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
}

func (h *harness) status(customer, alertID string) AlertStatus {
	h.t.Helper()
	var st AlertStatus
	h.e.read(context.Background(), customer, func(c *Customer, _ *Catalog, _ Nanos) {
		if a := c.Alert(alertID); a != nil {
			st = a.Status
		}
	})
	return st
}

func wantNotes(t *testing.T, got []decodedNote, types ...string) {
	t.Helper()
	if len(got) != len(types) {
		t.Fatalf("got %d notifications %v, want %v", len(got), got, types)
	}
	for i, typ := range types {
		if got[i].Type != typ {
			t.Fatalf("notification %d is %s, want %s (%v)", i, got[i].Type, typ, got)
		}
	}
}

// Scenario C of SCENARIOS.md (seed 003): customer-set spend limits.
func TestScenarioCSpendLimits(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	product, rc, fixed := payGo(h)
	cust := h.customer("payg", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.setClock("2026-01-05T00:00:00Z")

	// Step 1: soft limit 5000, hard limit 10000 (blocking).
	soft := h.must(&CreateAlert{CustomerID: cust, Name: "soft", Type: AlertSpend, Threshold: dec("5000"), EvaluateOnCreate: true}).ID
	hard := h.must(&CreateAlert{CustomerID: cust, Name: "hard", Type: AlertSpend, Threshold: dec("10000"), BlockOnAlarm: true, EvaluateOnCreate: true}).ID
	wantNotes(t, h.notes())
	h.must(h.events("payg", "unit", "u", 0, 60, "2026-01-05T00:00:00Z")) // 6000
	n := h.notes()
	wantNotes(t, n, "alerts.spend_threshold_reached")
	if n[0].Properties["alert_id"] != soft || n[0].Properties["current_spend"] != 6000.0 || n[0].Properties["threshold"] != 5000.0 {
		t.Fatalf("soft notification: %v", n[0])
	}
	if e, r, _ := h.check("payg", product); e != "true" || r != ReasonOK {
		t.Fatalf("after 6000: %s %s, want entitled", e, r)
	}
	h.must(h.events("payg", "unit", "u", 60, 40, "2026-01-05T00:00:00Z")) // 10000, exactly the threshold
	n = h.notes()
	wantNotes(t, n, "alerts.spend_threshold_reached")
	if n[0].Properties["alert_id"] != hard {
		t.Fatalf("hard notification: %v", n[0])
	}
	if e, r, _ := h.check("payg", product); e != "false" || r != ReasonLimitReached {
		t.Fatalf("after 10000: %s %s, want limit_reached", e, r)
	}
	// More usage past both limits notifies nobody again.
	h.must(h.events("payg", "unit", "u", 100, 5, "2026-01-05T00:00:00Z"))
	wantNotes(t, h.notes())

	// Step 2: archive the hard limit, create one at 20000: entitled at once.
	h.must(&ArchiveAlert{AlertID: hard})
	wantNotes(t, h.notes(), "alerts.spend_threshold_reached_resolved")
	hard2 := h.must(&CreateAlert{CustomerID: cust, Name: "hard2", Type: AlertSpend, Threshold: dec("20000"), BlockOnAlarm: true, EvaluateOnCreate: true}).ID
	if e, r, _ := h.check("payg", product); e != "true" || r != ReasonOK {
		t.Fatalf("after raising the hard limit: %s %s", e, r)
	}
	if s1, s2 := h.status(cust, soft), h.status(cust, hard2); s1 != AlertInAlarm || s2 != AlertOK {
		t.Fatalf("statuses soft %s hard2 %s, want in_alarm ok", s1, s2)
	}
	if r := h.apply(&ArchiveAlert{AlertID: hard})[0]; r.Err == nil || r.Err.Code != NotFound {
		t.Fatalf("archiving twice: %v", r.Err)
	}

	// Step 3: invoice_total_reached 10000 (USAGE) with a 5000 credit: fires
	// at 15000 of usage, not before.
	inv := h.customer("credited", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		Credits: []CommitInput{{ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("5000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	h.must(&CreateAlert{CustomerID: inv, Name: "invoice", Type: AlertInvoiceTotal, Threshold: dec("10000"), InvoiceTypesFilter: []string{"USAGE"}, EvaluateOnCreate: true})
	h.must(h.events("credited", "unit", "c", 0, 149, "2026-01-05T00:00:00Z"))
	wantNotes(t, h.notes())
	h.must(h.events("credited", "unit", "c", 149, 1, "2026-01-05T00:00:00Z"))
	n = h.notes()
	wantNotes(t, n, "alerts.invoice_total_reached")
	if n[0].Properties["invoice_total"] != 10000.0 || n[0].Properties["invoice_id"] == "" {
		t.Fatalf("invoice notification: %v", n[0])
	}

	// Step 4: low_remaining_commit_balance_reached 500 on a 2000 commit.
	pre := h.customer("prepaid", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	low := h.must(&CreateAlert{CustomerID: pre, Name: "low", Type: AlertLowCommit, Threshold: dec("500"), EvaluateOnCreate: true}).ID
	h.must(h.events("prepaid", "unit", "p", 0, 14, "2026-01-05T00:00:00Z")) // 600 left
	wantNotes(t, h.notes())
	h.must(h.events("prepaid", "unit", "p", 14, 1, "2026-01-05T00:00:00Z")) // 500 left
	n = h.notes()
	wantNotes(t, n, "alerts.low_remaining_commit_balance_reached")
	if n[0].Properties["remaining_balance"] != 500.0 || n[0].Properties["alert_id"] != low {
		t.Fatalf("balance notification: %v", n[0])
	}

	// Step 5: the next usage period returns spend alerts to ok (a tick at
	// the period's end, no usage needed), with _resolved notifications.
	h.setClock("2026-02-01T00:00:00Z")
	n = h.notes()
	if len(n) == 2 && n[0].Type > n[1].Type { // ordered by customer id
		n[0], n[1] = n[1], n[0]
	}
	wantNotes(t, n, "alerts.invoice_total_reached_resolved", "alerts.spend_threshold_reached_resolved")
	if s := h.status(cust, soft); s != AlertOK {
		t.Fatalf("soft after the period: %s", s)
	}
	// The balance alert stays in alarm: the balance did not come back.
	if s := h.status(pre, low); s != AlertInAlarm {
		t.Fatalf("low balance after the period: %s", s)
	}
}

// Many events crossing in one entry, thresholds crossed on many customers
// (and so shards) at once, a threshold exactly equal: one notification per
// crossing, with distinct ids.
func TestOneNotificationPerCrossing(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	_, rc, _ := payGo(h)
	const n = 24
	var cmds []Command
	for i := 0; i < n; i++ {
		id := h.customer(fmt.Sprintf("c%d", i), &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
		cmds = append(cmds, &CreateAlert{CustomerID: id, Name: "x", Type: AlertSpend, Threshold: dec("1000"), EvaluateOnCreate: true})
	}
	h.apply(cmds...)
	// One entry: for each customer 3 ingests of 5 events: the threshold is
	// reached exactly (10 events = 1000) in the middle of the entry.
	var entry []Command
	for r := 0; r < 3; r++ {
		for i := 0; i < n; i++ {
			entry = append(entry, h.events(fmt.Sprintf("c%d", i), "unit", fmt.Sprint("r", r), 0, 5, "2026-01-01T00:00:00Z"))
		}
	}
	h.apply(entry...)
	got := h.notes()
	if len(got) != n {
		t.Fatalf("%d notifications for %d crossings", len(got), n)
	}
	seen := map[string]bool{}
	for _, d := range got {
		if seen[d.ID] || seen[d.Properties["customer_id"].(string)] {
			t.Fatalf("duplicate: %v", d)
		}
		seen[d.ID], seen[d.Properties["customer_id"].(string)] = true, true
	}
}

// An alert created when the value is already past its threshold notifies
// at once with evaluate_on_create, and never for that crossing without it.
func TestEvaluateOnCreate(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	_, rc, _ := payGo(h)
	cust := h.customer("c", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.must(h.events("c", "unit", "u", 0, 30, "2026-01-01T00:00:00Z"))
	on := h.must(&CreateAlert{CustomerID: cust, Name: "on", Type: AlertSpend, Threshold: dec("1000"), EvaluateOnCreate: true}).ID
	got := h.notes()
	wantNotes(t, got, "alerts.spend_threshold_reached")
	if got[0].Properties["alert_id"] != on {
		t.Fatal(got)
	}
	off := h.must(&CreateAlert{CustomerID: cust, Name: "off", Type: AlertSpend, Threshold: dec("1000")}).ID
	wantNotes(t, h.notes())
	if s := h.status(cust, off); s != AlertInAlarm {
		t.Fatalf("status %s", s)
	}
	h.must(h.events("c", "unit", "u", 30, 10, "2026-01-01T00:00:00Z"))
	wantNotes(t, h.notes())
	// Reset forgets the status and evaluates again: a crossing notifies.
	h.must(&ResetAlert{CustomerID: cust, AlertID: off})
	wantNotes(t, h.notes(), "alerts.spend_threshold_reached")
}

func TestAlertUniquenessKey(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	_, rc, _ := payGo(h)
	cust := h.customer("c", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	a := &CreateAlert{CustomerID: cust, Name: "a", Type: AlertSpend, Threshold: dec("10"), UniquenessKey: "once"}
	id := h.must(a).ID
	if r := h.apply(a)[0]; r.Err == nil || r.Err.Code != Conflict {
		t.Fatalf("reuse: %v", r.Err)
	}
	h.must(&ArchiveAlert{AlertID: id})
	if r := h.apply(a)[0]; r.Err == nil || r.Err.Code != Conflict {
		t.Fatalf("reuse after archive without release: %v", r.Err)
	}
	id2 := h.must(&CreateAlert{CustomerID: cust, Name: "b", Type: AlertSpend, Threshold: dec("10"), UniquenessKey: "twice"}).ID
	h.must(&ArchiveAlert{AlertID: id2, ReleaseUniquenessKey: true})
	h.must(&CreateAlert{CustomerID: cust, Name: "c", Type: AlertSpend, Threshold: dec("10"), UniquenessKey: "twice"})
}

// Scenario B step 7: a per-user cap blocks only that user's checks; and
// Scenario B step 3: a credit balance alert fires once.
func TestGroupScopedHardLimit(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	product, rc, fixed := payGo(h)
	cust := h.customer("team", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"),
		Credits: []CommitInput{{ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("3000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	h.must(&CreateAlert{CustomerID: cust, Name: "cap", Type: AlertSpend, Threshold: dec("1000"), BlockOnAlarm: true, EvaluateOnCreate: true,
		GroupValues: []GroupValue{{Key: "user_id", Value: "user_1234"}}})
	h.must(&CreateAlert{CustomerID: cust, Name: "pool", Type: AlertLowCredit, Threshold: dec("10"), EvaluateOnCreate: true})
	ev := func(user string, from, n int) *Ingest {
		in := h.events("team", "unit", user, from, n, "2026-01-01T00:00:00Z")
		for i := range in.Events {
			in.Events[i].Properties = map[string]string{"user_id": user}
		}
		return in
	}
	h.must(ev("user_1234", 0, 9))
	h.must(ev("user_9", 0, 15))
	wantNotes(t, h.notes())
	h.must(ev("user_1234", 9, 1))
	n := h.notes()
	wantNotes(t, n, "alerts.spend_threshold_reached")
	if gv := n[0].Properties["group_values"]; fmt.Sprint(gv) != "[map[key:user_id value:user_1234]]" {
		t.Fatalf("group values %v", gv)
	}
	check := func(user string) string {
		body, _ := h.e.AppendCheck(nil, []byte("team"), []byte(product), []byte("user_id"), []byte(user))
		_, r, _ := parseCheck(t, body)
		return r
	}
	if r := check("user_1234"); r != ReasonLimitReached {
		t.Fatalf("user_1234: %s", r)
	}
	if r := check("user_9"); r != ReasonOK {
		t.Fatalf("user_9: %s", r)
	}
	if e, r, _ := h.check("team", product); e != "true" || r != ReasonOK {
		t.Fatalf("without a group: %s %s", e, r)
	}
	// The pool falls to 10 or below: one notification.
	h.must(ev("user_9", 15, 4)) // 3000 - 2900 = 100 left... then 2990
	wantNotes(t, h.notes())
	h.must(&Ingest{Events: []Event{{TransactionID: "tenth", CustomerID: "team", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z"), Properties: map[string]string{"user_id": "user_9"}}}})
	wantNotes(t, h.notes(), "alerts.low_remaining_contract_credit_balance_reached")
}

// Consume: many consumers in one entry (the worst interleaving) against a
// prepaid balance of 10 requests' worth admit exactly 10.
func TestConsumeCannotOverrun(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	product, rc, fixed := payGo(h)
	cust := h.customer("pre", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: fixed, AccessSchedule: []ScheduleItem{{Amount: dec("1000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	var cmds []Command
	for i := 0; i < 50; i++ {
		cmds = append(cmds, &Consume{CustomerID: cust, ProductID: product, Events: []Event{{TransactionID: fmt.Sprint("k", i), CustomerID: "pre", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")}}})
	}
	res := h.apply(cmds...)
	admitted := 0
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Check.Entitled {
			admitted++
			if want := money.MustParse(fmt.Sprint(1000 - 100*admitted)); !r.Check.Balance.Equal(want) || r.Ingest.Accepted != 1 {
				t.Fatalf("consume %d: balance %s, want %s", i, r.Check.Balance, want)
			}
		} else if r.Check.Reason != ReasonBalanceDepleted || r.Ingest != nil {
			t.Fatalf("consume %d: %v", i, r.Check)
		}
	}
	if admitted != 10 {
		t.Fatalf("admitted %d, want 10", admitted)
	}
	// A hard limit too: a blocking spend alert at 300 on a PayGo customer.
	pg := h.customer("pg", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	h.must(&CreateAlert{CustomerID: pg, Name: "hard", Type: AlertSpend, Threshold: dec("300"), BlockOnAlarm: true, EvaluateOnCreate: true})
	cmds = nil
	for i := 0; i < 10; i++ {
		cmds = append(cmds, &Consume{CustomerID: pg, ProductID: product, Events: []Event{{TransactionID: fmt.Sprint("h", i), CustomerID: pg, EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")}}})
	}
	admitted = 0
	for _, r := range h.apply(cmds...) {
		if r.Check.Entitled {
			admitted++
		} else if r.Check.Reason != ReasonLimitReached {
			t.Fatal(r.Check)
		}
	}
	if admitted != 3 {
		t.Fatalf("admitted %d under a hard limit of 3 requests' worth", admitted)
	}
	if r := h.apply(&Consume{CustomerID: pg, ProductID: product, Events: []Event{{TransactionID: "x", CustomerID: "pre", EventType: "unit", Timestamp: ns(t, "2026-01-01T00:00:00Z")}}})[0]; r.Err == nil {
		t.Fatal("an event of another customer was accepted")
	}
}

// Notifications are part of what the log determines: the same ids and
// payloads whatever the shard count and however the log is split into
// Apply calls, and across a restore.
func TestNotificationsAreDeterministic(t *testing.T) {
	log := randomLog(t, 42)
	a := New(Config{Shards: 1})
	defer a.Close()
	b := New(Config{Shards: 4})
	defer b.Close()
	a.Apply(log)
	for i := range log {
		b.Apply(log[i : i+1])
	}
	na, nb := a.TakeNotifications(), b.TakeNotifications()
	types := map[string]int{}
	for _, n := range na {
		types[n.Type]++
	}
	if len(types) < 4 {
		t.Fatalf("the random log exercises too few notification types: %v", types)
	}
	if ja, jb := mustJSON(t, na), mustJSON(t, nb); !bytes.Equal(ja, jb) {
		t.Fatalf("notifications differ across shard counts")
	}
	// Restore half way, replay the rest: the second half's notifications match.
	half := len(log) / 2
	first := New(Config{Shards: 3})
	defer first.Close()
	first.Apply(log[:half])
	before := len(first.TakeNotifications())
	st := snapshotState(t, first)()
	second := New(Config{Shards: 2})
	defer second.Close()
	if err := second.Restore(st); err != nil {
		t.Fatal(err)
	}
	second.Apply(log[half:])
	if ja, jb := mustJSON(t, na[before:]), mustJSON(t, second.TakeNotifications()); !bytes.Equal(ja, jb) {
		t.Fatalf("notifications after restore differ")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Scenario A step 5: a credit-and-commit balance alert at 0; 600 more calls
// on a balance of 500 empty it: one notification, overage billed, the check
// answers balance_depleted.
func TestScenarioAStep5BalanceAlert(t *testing.T) {
	h := newHarness(t, "2026-01-02T00:00:00Z")
	metric := h.must(&CreateMetric{Name: "api_calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"api_call"}}, Aggregation: AggCount}).ID
	api := h.must(&CreateProduct{Name: "API calls", Type: ProductUsage, BillableMetricID: metric}).ID
	purchase := h.must(&CreateProduct{Name: "Credit purchase", Type: ProductFixed}).ID
	rc := h.must(&CreateRateCard{Name: "Prepaid"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: api, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	cust := h.customer("example-inc", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true,
		Commits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase, AccessSchedule: []ScheduleItem{{Amount: dec("2000"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}}}}})
	h.must(h.events("example-inc", "api_call", "a", 0, 1500, "2026-01-02T00:00:00Z"))
	h.must(&CreateAlert{CustomerID: cust, Name: "empty", Type: AlertLowCreditAndCommit, Threshold: dec("0"), EvaluateOnCreate: true})
	wantNotes(t, h.notes())
	h.must(h.events("example-inc", "api_call", "b", 0, 600, "2026-01-02T00:00:00Z"))
	n := h.notes()
	wantNotes(t, n, "alerts.low_remaining_contract_credit_and_commit_balance_reached")
	if n[0].Properties["remaining_balance"] != 0.0 {
		t.Fatal(n[0])
	}
	if e, r, b := h.check("example-inc", api); e != "false" || r != ReasonBalanceDepleted || b != "0" {
		t.Fatalf("check: %s %s %s", e, r, b)
	}
	h.must(h.events("example-inc", "api_call", "c", 0, 10, "2026-01-02T00:00:00Z"))
	wantNotes(t, h.notes())
}

// usageCatalog sets up a COUNT metric feeding two products (one priced on
// the rate card, one not), a MAX metric feeding a product with a
// presentation group key, and a rate card pricing the first and the third.
func usageCatalog(h *harness) (count, peak, rc string) {
	count = h.must(&CreateMetric{Name: "calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"call"}}, Aggregation: AggCount}).ID
	peak = h.must(&CreateMetric{Name: "peak", EventTypeFilter: &EventTypeFilter{InValues: []string{"gauge"}}, Aggregation: AggMax, AggregationKey: "n",
		GroupKeys: [][]string{{"region"}}}).ID
	priced := h.must(&CreateProduct{Name: "Calls", Type: ProductUsage, BillableMetricID: count}).ID
	h.must(&CreateProduct{Name: "Calls (unpriced)", Type: ProductUsage, BillableMetricID: count})
	peakP := h.must(&CreateProduct{Name: "Peak", Type: ProductUsage, BillableMetricID: peak, PresentationGroupKey: []string{"region"}}).ID
	rc = h.must(&CreateRateCard{Name: "usage"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{
		{ProductID: priced, StartingAt: ns(h.t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("3")},
		{ProductID: peakP, StartingAt: ns(h.t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	return
}

// usage_threshold_reached: the metric's period quantity, a threshold
// exactly equal, one notification per crossing, back to ok on a new period
// and on archive, evaluate_on_create, group values and a MAX metric.
func TestUsageThresholdAlert(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	count, peak, rc := usageCatalog(h)
	cust := h.customer("u", &CreateContract{RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z")})
	a := h.must(&CreateAlert{CustomerID: cust, Name: "calls", Type: AlertUsage, BillableMetricID: count, Threshold: dec("10"), EvaluateOnCreate: true}).ID
	wantNotes(t, h.notes())
	if s := h.status(cust, a); s != AlertOK {
		t.Fatalf("status %s", s)
	}
	h.must(h.events("u", "call", "c", 0, 9, "2026-01-02T00:00:00Z"))
	wantNotes(t, h.notes())
	// The tenth call reaches the threshold exactly: one notification, even
	// with more calls in the same entry.
	h.apply(h.events("u", "call", "c", 9, 1, "2026-01-02T00:00:00Z"), h.events("u", "call", "c", 10, 5, "2026-01-02T00:00:00Z"))
	n := h.notes()
	wantNotes(t, n, "alerts.usage_threshold_reached")
	if p := n[0].Properties; p["alert_id"] != a || p["billable_metric_id"] != count || p["current_usage"] != 15.0 || p["threshold"] != 10.0 || p["credit_type_id"] != nil {
		t.Fatalf("usage notification: %v", n[0])
	}
	h.must(h.events("u", "call", "c", 15, 5, "2026-01-02T00:00:00Z"))
	wantNotes(t, h.notes())
	// A new period starts at 0: resolved at the period's end.
	h.setClock("2026-02-01T00:00:00Z")
	wantNotes(t, h.notes(), "alerts.usage_threshold_reached_resolved")
	if s := h.status(cust, a); s != AlertOK {
		t.Fatalf("status after the period %s", s)
	}
	h.must(h.events("u", "call", "d", 0, 10, "2026-02-01T00:00:00Z"))
	wantNotes(t, h.notes(), "alerts.usage_threshold_reached")
	// Archived in alarm: resolved.
	h.must(&ArchiveAlert{AlertID: a})
	wantNotes(t, h.notes(), "alerts.usage_threshold_reached_resolved")

	// Created past the threshold (10 calls this period): evaluate_on_create
	// notifies at once; without it the alert is in alarm silently.
	on := h.must(&CreateAlert{CustomerID: cust, Name: "on", Type: AlertUsage, BillableMetricID: count, Threshold: dec("5"), EvaluateOnCreate: true}).ID
	n = h.notes()
	wantNotes(t, n, "alerts.usage_threshold_reached")
	if n[0].Properties["alert_id"] != on || n[0].Properties["current_usage"] != 10.0 {
		t.Fatalf("evaluate_on_create: %v", n[0])
	}
	off := h.must(&CreateAlert{CustomerID: cust, Name: "off", Type: AlertUsage, BillableMetricID: count, Threshold: dec("10")}).ID
	wantNotes(t, h.notes())
	if s := h.status(cust, off); s != AlertInAlarm {
		t.Fatalf("created past the threshold without evaluate_on_create: %s", s)
	}
	// A raised threshold (archive, create higher): ok, and a crossing of the
	// new one notifies.
	h.must(&ArchiveAlert{AlertID: on})
	wantNotes(t, h.notes(), "alerts.usage_threshold_reached_resolved")
	high := h.must(&CreateAlert{CustomerID: cust, Name: "high", Type: AlertUsage, BillableMetricID: count, Threshold: dec("12"), EvaluateOnCreate: true}).ID
	wantNotes(t, h.notes())
	h.must(h.events("u", "call", "d", 10, 2, "2026-02-01T00:00:00Z"))
	n = h.notes()
	wantNotes(t, n, "alerts.usage_threshold_reached")
	if n[0].Properties["alert_id"] != high {
		t.Fatal(n)
	}

	// A MAX metric scoped to a group value: the maximum of that region only.
	eu := h.must(&CreateAlert{CustomerID: cust, Name: "eu peak", Type: AlertUsage, BillableMetricID: peak, Threshold: dec("50"), EvaluateOnCreate: true,
		GroupValues: []GroupValue{{Key: "region", Value: "eu"}}}).ID
	all := h.must(&CreateAlert{CustomerID: cust, Name: "peak", Type: AlertUsage, BillableMetricID: peak, Threshold: dec("50"), EvaluateOnCreate: true}).ID
	gauge := func(tx, region, v string) *Ingest {
		return &Ingest{Events: []Event{{TransactionID: tx, CustomerID: "u", EventType: "gauge", Timestamp: ns(t, "2026-02-02T00:00:00Z"),
			Properties: map[string]string{"region": region, "n": v}}}}
	}
	h.must(gauge("g1", "eu", "40"))
	h.must(gauge("g2", "us", "70"))
	n = h.notes()
	wantNotes(t, n, "alerts.usage_threshold_reached")
	if n[0].Properties["alert_id"] != all || n[0].Properties["current_usage"] != 70.0 {
		t.Fatalf("unscoped peak: %v", n[0])
	}
	h.must(gauge("g3", "eu", "30")) // the eu maximum stays 40
	wantNotes(t, h.notes())
	h.must(gauge("g4", "eu", "50"))
	n = h.notes()
	wantNotes(t, n, "alerts.usage_threshold_reached")
	if n[0].Properties["alert_id"] != eu || fmt.Sprint(n[0].Properties["group_values"]) != "[map[key:region value:eu]]" {
		t.Fatalf("scoped peak: %v", n[0])
	}

	// Refusals, by field.
	for _, c := range []struct {
		cmd  *CreateAlert
		want string
	}{
		{&CreateAlert{CustomerID: cust, Name: "x", Type: AlertUsage, Threshold: dec("1")}, "billable_metric_id:"},
		{&CreateAlert{CustomerID: cust, Name: "x", Type: AlertUsage, BillableMetricID: "nope", Threshold: dec("1")}, "billable_metric_id:"},
		{&CreateAlert{CustomerID: cust, Name: "x", Type: AlertUsage, BillableMetricID: count, CreditTypeID: USDCreditTypeID, Threshold: dec("1")}, "credit_type_id:"},
		{&CreateAlert{CustomerID: cust, Name: "x", Type: AlertSpend, BillableMetricID: count, Threshold: dec("1")}, "billable_metric_id:"},
		{&CreateAlert{CustomerID: cust, Name: "x", Type: AlertUsage, BillableMetricID: count, Threshold: dec("1"),
			GroupValues: []GroupValue{{Key: "region", Value: "eu"}}}, "group_values:"},
	} {
		r := h.apply(c.cmd)[0]
		if r.Err == nil || !bytes.HasPrefix([]byte(r.Err.Message), []byte(c.want)) {
			t.Fatalf("%+v: %v, want an error on %s", c.cmd, r.Err, c.want)
		}
	}
}
