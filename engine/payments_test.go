package engine

import (
	"context"
	"encoding/json"
	"testing"

	"burndown/money"
)

// note is a payment_gate (or alert) notification as a receiver reads it.
type note struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
}

func (h *harness) payNotes() []note {
	h.t.Helper()
	var out []note
	for _, n := range h.e.TakeNotifications() {
		var v note
		if err := json.Unmarshal(n.Payload, &v); err != nil {
			h.t.Fatal(err)
		}
		if v.ID != n.ID || v.Type != n.Type {
			h.t.Fatalf("payload %s does not match notification %s %s", n.Payload, n.ID, n.Type)
		}
		out = append(out, v)
	}
	return out
}

// only returns the notifications of the type, failing unless there are want.
func only(t *testing.T, notes []note, typ string, want int) []note {
	t.Helper()
	var out []note
	for _, n := range notes {
		if n.Type == typ {
			out = append(out, n)
		}
	}
	if len(out) != want {
		t.Fatalf("%d %s notifications, want %d: %+v", len(out), typ, want, notes)
	}
	return out
}

// paymentsSetup is scenario A's catalog and customer, on a prepaid-only
// contract from 2026-01-01 without balance.
func paymentsSetup(t *testing.T) (h *harness, cust, contract, api, purchase string) {
	h = newHarness(t, "2026-01-01T00:00:00Z")
	metric := h.must(&CreateMetric{Name: "api_calls", EventTypeFilter: &EventTypeFilter{InValues: []string{"api_call"}}, Aggregation: AggCount}).ID
	api = h.must(&CreateProduct{Name: "API calls", Type: ProductUsage, BillableMetricID: metric}).ID
	purchase = h.must(&CreateProduct{Name: "Credit purchase", Type: ProductFixed}).ID
	rc := h.must(&CreateRateCard{Name: "Prepaid"}).ID
	h.must(&AddRates{RateCardID: rc, Rates: []RateInput{{ProductID: api, StartingAt: ns(t, "2026-01-01T00:00:00Z"), Entitled: true, RateType: RateFlat, Price: dec("1")}}})
	cust = h.must(&CreateCustomer{Name: "Example Inc", IngestAliases: []string{"example-inc"},
		BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe", Configuration: map[string]string{"stripe_customer_id": "cus_123"}}}}).ID
	contract = h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), PrepaidOnly: true}).ID
	return
}

// buy adds a 1-year EXTERNAL-gated purchase of amount and returns the
// workflow id its external_initiate announced.
func (h *harness) buy(cust, contract, product, amount string) (string, note) {
	h.t.Helper()
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: product,
		AccessSchedule: []ScheduleItem{{Amount: dec(amount), StartingAt: ns(h.t, "2026-01-01T00:00:00Z"), EndingBefore: ns(h.t, "2027-01-01T00:00:00Z")}},
		PaymentGate:    &PaymentGateInput{Type: GateExternal}}}})
	n := only(h.t, h.payNotes(), NotePaymentInitiate, 1)[0]
	return n.Properties["workflow_id"].(string), n
}

func (h *harness) release(wf, outcome string) Result {
	h.t.Helper()
	return h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: outcome})
}

func (h *harness) wantCheck(step, customer, product, entitled, reason, balance string) {
	h.t.Helper()
	if e, r, b := h.check(customer, product); e != entitled || r != reason || b != balance {
		h.t.Fatalf("%s: check %s %s %s, want %s %s %s", step, e, r, b, entitled, reason, balance)
	}
}

func (h *harness) contract(cust, id string) (k *Contract) {
	h.t.Helper()
	h.e.read(context.Background(), cust, func(c *Customer, _ *Catalog, _ Nanos) { k = c.Contract(id).clone() })
	return k
}

// Scenario A steps 2, 3, 6 and 7 (SCENARIOS.md): a gated purchase, its
// release paid, a purchase released failed, auto-recharge.
func TestScenarioAPaymentGates(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	h.wantCheck("step 1", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	// Step 2: the gated purchase is pending, in no balance.
	wf, n := h.buy(cust, contract, purchase, "2000")
	if n.Properties["invoice_total"] != 2000.0 || n.Properties["customer_id"] != cust || n.Properties["contract_id"] != contract ||
		n.Properties["workflow_type"] != WorkflowManualCommit || n.Properties["invoice_currency"] != "USD" {
		t.Fatalf("step 2: initiate %+v", n)
	}
	h.wantCheck("step 2", "example-inc", api, "false", ReasonBalanceDepleted, "0")
	k := h.contract(cust, contract)
	if len(k.Gated()) != 1 || k.Gated()[0].GateStatus() != GatePending || len(k.Balances) != 0 {
		t.Fatalf("step 2: gated %d balances %d", len(k.Gated()), len(k.Balances))
	}

	// Step 3: released paid.
	r := h.release(wf, GatePaid)
	if r.Gate == nil || r.Gate.Status != GatePaid {
		t.Fatalf("step 3: release answered %+v", r.Gate)
	}
	st := only(t, h.payNotes(), NotePaymentStatus, 1)[0]
	if st.Properties["payment_status"] != GatePaid || st.Properties["workflow_id"] != wf {
		t.Fatalf("step 3: status %+v", st)
	}
	h.wantCheck("step 3", "example-inc", api, "true", ReasonOK, "2000")

	// Steps 4-5: spend it all and 100 more.
	h.setClock("2026-01-02T00:00:00Z")
	h.must(h.events("example-inc", "api_call", "a", 0, 2100, "2026-01-02T00:00:00Z"))
	h.wantCheck("step 5", "example-inc", api, "false", ReasonBalanceDepleted, "0")

	// Step 6: a purchase of 1000 released failed is voided; the reason is kept.
	wf2, _ := h.buy(cust, contract, purchase, "1000")
	if wf2 == wf {
		t.Fatal("step 6: workflow ids must differ")
	}
	h.must(&ReleasePaymentGate{WorkflowID: wf2, Outcome: GateFailed, ErrorMessage: "card_declined"})
	st = only(t, h.payNotes(), NotePaymentStatus, 1)[0]
	if st.Properties["payment_status"] != GateFailed || st.Properties["error_message"] != "card_declined" {
		t.Fatalf("step 6: status %+v", st)
	}
	h.wantCheck("step 6", "example-inc", api, "false", ReasonBalanceDepleted, "0")
	k = h.contract(cust, contract)
	if len(k.Gated()) != 1 || k.Gated()[0].GateStatus() != GateFailed || k.Gated()[0].VoidReason() != "card_declined" {
		t.Fatalf("step 6: voided commit %+v", k.Gated())
	}

	// Step 7: enabling auto-recharge at a balance of 0 raises the purchase
	// of 2000 at once; released paid.
	h.setClock("2026-01-03T00:00:00Z")
	on := true
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddPrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on,
		ThresholdAmount: ptr(dec("500")), RechargeToAmount: ptr(dec("2000")), Commit: &ThresholdCommitInput{ProductID: purchase, Name: "Auto-recharge"},
		PaymentGate: &PaymentGateInput{Type: GateExternal}}})
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 || n.Properties["workflow_type"] != WorkflowRecharge {
		t.Fatalf("step 7: first recharge %+v", n)
	}
	h.release(n.Properties["workflow_id"].(string), GatePaid)
	h.payNotes()
	h.wantCheck("step 7", "example-inc", api, "true", ReasonOK, "2000")

	// Spend down to 400: one recharge, raised by the event that brought the
	// balance to the threshold (exactly 2000 − 500), whatever the number of
	// entries crossing while it is pending.
	h.must(h.events("example-inc", "api_call", "b", 0, 1400, "2026-01-03T00:00:00Z"))
	if got := only(t, h.payNotes(), NotePaymentInitiate, 0); len(got) != 0 {
		t.Fatal("no recharge above the threshold")
	}
	h.must(h.events("example-inc", "api_call", "b", 1400, 200, "2026-01-03T00:00:00Z"))
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 1500.0 {
		t.Fatalf("step 7: recharge of %v, want 1500", n.Properties["invoice_total"])
	}
	for i := 0; i < 3; i++ { // duplicate crossings (more usage below the threshold) raise nothing more
		h.must(h.events("example-inc", "api_call", "c", i*10, 10, "2026-01-03T00:00:00Z"))
	}
	only(t, h.payNotes(), NotePaymentInitiate, 0)
	h.release(n.Properties["workflow_id"].(string), GatePaid)
	h.payNotes()
	h.wantCheck("step 7 recharged", "example-inc", api, "true", ReasonOK, "1870") // 370 + 1500

	// A failed recharge disables auto-recharge; depleted, the check says
	// payment_failed; re-enabling raises a new recharge at once.
	h.must(h.events("example-inc", "api_call", "d", 0, 1500, "2026-01-03T00:00:00Z"))
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	h.release(n.Properties["workflow_id"].(string), GateFailed)
	st = only(t, h.payNotes(), NotePaymentStatus, 1)[0]
	if st.Properties["is_enabled"] != false {
		t.Fatalf("a failed recharge must say auto-recharge is off: %+v", st)
	}
	if k := h.contract(cust, contract); k.Recharge().IsEnabled {
		t.Fatal("a failed recharge must disable auto-recharge")
	}
	if n.Properties["invoice_total"] != 1500.0 {
		t.Fatalf("second recharge of %v, want 1500", n.Properties["invoice_total"])
	}
	h.wantCheck("failed recharge", "example-inc", api, "true", ReasonOK, "370")
	h.must(h.events("example-inc", "api_call", "e", 0, 370, "2026-01-03T00:00:00Z"))
	only(t, h.payNotes(), NotePaymentInitiate, 0)
	h.wantCheck("failed recharge, depleted", "example-inc", api, "false", ReasonPaymentFailed, "0")
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on}})
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 2000.0 {
		t.Fatalf("re-enabled: recharge of %v, want 2000", n.Properties["invoice_total"])
	}
	h.wantCheck("re-enabled, pending", "example-inc", api, "false", ReasonBalanceDepleted, "0")
	h.release(n.Properties["workflow_id"].(string), GatePaid)
	h.wantCheck("re-enabled, paid", "example-inc", api, "true", ReasonOK, "2000")
}

// A top-up voided after a failed payment credits nothing, even when the
// failure arrives twice, a paid release arrives after it, or the purchase is
// retried (a new workflow): each workflow is settled once.
func TestVoidedTopUpCreditsNothing(t *testing.T) {
	h, cust, contract, api, purchase := paymentsSetup(t)
	wf, _ := h.buy(cust, contract, purchase, "1000")
	for i, outcome := range []string{GateFailed, GateFailed, GatePaid, GateFailed} {
		r := h.release(wf, outcome)
		if r.Gate.Status != GateFailed || r.ID != wf {
			t.Fatalf("release %d (%s) answered %+v", i, outcome, r.Gate)
		}
		only(t, h.payNotes(), NotePaymentStatus, map[bool]int{true: 1, false: 0}[i == 0])
		h.wantCheck("voided", "example-inc", api, "false", ReasonBalanceDepleted, "0")
	}
	// The retry is a new purchase with a new workflow; paid, it credits
	// its own amount once, and re-releasing either workflow changes nothing.
	wf2, _ := h.buy(cust, contract, purchase, "1000")
	for i := 0; i < 3; i++ {
		h.release(wf2, GatePaid)
		h.release(wf, GatePaid)
		h.wantCheck("retried", "example-inc", api, "true", ReasonOK, "1000")
	}
	if r := h.apply(&ReleasePaymentGate{WorkflowID: "nope", Outcome: GatePaid})[0]; r.Err == nil || r.Err.Code != NotFound {
		t.Fatalf("unknown workflow: %v", r.Err)
	}
	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: "maybe"})[0]; r.Err == nil || r.Err.Code != Invalid {
		t.Fatalf("bad outcome: %v", r.Err)
	}
}

// Scenario E (seed 002): threshold billing. One charge per crossing; paid,
// the commit returns outstanding spend to exactly 0 (no negative wallet);
// failed, nothing is issued and the next charge waits for another
// threshold of spend.
func TestScenarioEThresholdBilling(t *testing.T) {
	h, cust, _, api, purchase := paymentsSetup(t)
	rc := h.contract(cust, h.contractIDs(cust)[0]).RateCardID
	h.setClock("2026-01-01T00:00:01Z")
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: h.contractIDs(cust)[0], EndingBefore: ns(t, "2026-01-01T00:00:01Z")})
	on := true
	paygo := h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:01Z"),
		SpendThreshold: &SpendThresholdInput{IsEnabled: &on, ThresholdAmount: ptr(dec("10000")), Commit: &ThresholdCommitInput{ProductID: purchase},
			PaymentGate: &PaymentGateInput{Type: GateExternal}}}).ID
	h.setClock("2026-01-05T00:00:00Z")
	h.must(h.events("example-inc", "api_call", "a", 0, 9999, "2026-01-05T00:00:00Z"))
	only(t, h.payNotes(), NoteThresholdReached, 0)
	h.must(h.events("example-inc", "api_call", "a", 9999, 1, "2026-01-05T00:00:00Z"))
	notes := h.payNotes()
	only(t, notes, NoteThresholdReached, 1)
	n := only(t, notes, NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 10000.0 || n.Properties["workflow_type"] != WorkflowSpend || notes[0].Type != NoteThresholdReached {
		t.Fatalf("threshold charge %+v", notes)
	}
	// Spend while pending raises nothing more.
	h.must(h.events("example-inc", "api_call", "b", 0, 50, "2026-01-05T00:00:00Z"))
	only(t, h.payNotes(), NotePaymentInitiate, 0)
	h.release(n.Properties["workflow_id"].(string), GatePaid)
	h.payNotes()
	k := h.contract(cust, paygo)
	if out := k.OutstandingSpend(USDCreditTypeID); !out.Equal(money.MustParse("50")) {
		t.Fatalf("outstanding %s after paid, want the 50 rated while pending", out)
	}
	if bal := k.PrepaidBalance(USDCreditTypeID, ns(t, "2026-01-05T00:00:00Z")); !bal.IsZero() {
		t.Fatalf("threshold commit balance %s, want 0 (it paid the spend)", bal)
	}
	if inv := k.Invoices[0]; !inv.Total.Equal(money.MustParse("50")) {
		t.Fatalf("draft total %s, want 50", inv.Total)
	}
	_ = api

	// Exactly at zero: a charge of exactly the outstanding spend.
	h.must(h.events("example-inc", "api_call", "c", 0, 9950, "2026-01-05T00:00:00Z"))
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	h.release(n.Properties["workflow_id"].(string), GatePaid)
	k = h.contract(cust, paygo)
	if out := k.OutstandingSpend(USDCreditTypeID); !out.IsZero() {
		t.Fatalf("outstanding %s, want exactly 0", out)
	}
	for _, cm := range k.Balances {
		if b := cm.BalanceAt(ns(t, "2026-01-05T00:00:00Z")); b.IsNegative() {
			t.Fatalf("commit %s at %s", cm.ID, b)
		}
	}

	// Failed: nothing issued; the next charge needs another 10000.
	h.must(h.events("example-inc", "api_call", "d", 0, 10000, "2026-01-05T00:00:00Z"))
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	h.release(n.Properties["workflow_id"].(string), GateFailed)
	if st := only(t, h.payNotes(), NotePaymentStatus, 1)[0]; st.Properties["payment_status"] != GateFailed {
		t.Fatalf("failed status %+v", st)
	}
	if k := h.contract(cust, paygo); len(k.Balances) != 2 || !k.OutstandingSpend(USDCreditTypeID).Equal(money.MustParse("10000")) {
		t.Fatalf("failed charge issued something: %d balances", len(k.Balances))
	}
	h.must(h.events("example-inc", "api_call", "e", 0, 9999, "2026-01-05T00:00:00Z"))
	only(t, h.payNotes(), NoteThresholdReached, 0)
	h.must(h.events("example-inc", "api_call", "e", 9999, 1, "2026-01-05T00:00:00Z"))
	n = only(t, h.payNotes(), NotePaymentInitiate, 1)[0]
	if n.Properties["invoice_total"] != 10000.0 {
		t.Fatalf("after a failure the next charge is %v, want 10000", n.Properties["invoice_total"])
	}
}

// A NONE gate issues the threshold commit at once, at the event that crossed.
func TestThresholdBillingWithoutGate(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	on := true
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddSpendThreshold: &SpendThresholdInput{IsEnabled: &on,
		ThresholdAmount: ptr(dec("100")), Commit: &ThresholdCommitInput{ProductID: purchase}, PaymentGate: &PaymentGateInput{Type: GateNone}}})
	h.setClock("2026-01-02T00:00:00Z")
	h.must(h.events("example-inc", "api_call", "a", 0, 130, "2026-01-02T00:00:00Z"))
	notes := h.payNotes()
	only(t, notes, NoteThresholdReached, 1)
	only(t, notes, NotePaymentInitiate, 0)
	// Evaluated after each event: the 100th crossed, the 30 after it are
	// outstanding, whatever the batching.
	if k := h.contract(cust, contract); !k.OutstandingSpend(USDCreditTypeID).Equal(money.MustParse("30")) || len(k.Balances) != 1 {
		t.Fatalf("outstanding %s", k.OutstandingSpend(USDCreditTypeID))
	}
}

// Refusals name the field.
func TestPaymentRefusals(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	other := h.must(&CreateCustomer{Name: "Other"}).ID
	on := true
	for _, tc := range []struct {
		cmd  Command
		want string
	}{
		// STRIPE needs the customer's Stripe customer id (stripe_test.go).
		{&CreateContract{CustomerID: other, StartingAt: ns(t, "2030-01-01T00:00:00Z"), RateCardID: h.contract(cust, contract).RateCardID,
			PrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on, ThresholdAmount: ptr(dec("500")), RechargeToAmount: ptr(dec("2000")),
				Commit: &ThresholdCommitInput{ProductID: purchase}, PaymentGate: &PaymentGateInput{Type: GateStripe}}},
			"prepaid_balance_threshold_configuration.payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe billing provider configuration"},
		{&CreateContract{CustomerID: other, StartingAt: ns(t, "2030-01-01T00:00:00Z"), RateCardID: h.contract(cust, contract).RateCardID,
			SpendThreshold: &SpendThresholdInput{IsEnabled: &on, ThresholdAmount: ptr(dec("500")),
				Commit: &ThresholdCommitInput{ProductID: purchase}, PaymentGate: &PaymentGateInput{Type: "PAYPAL"}}},
			"spend_threshold_configuration.payment_gate_config.payment_gate_type: \"PAYPAL\" is not supported"},
		{&EditContract{CustomerID: cust, ContractID: contract, AddPrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on, ThresholdAmount: ptr(dec("500")),
			RechargeToAmount: ptr(dec("400")), Commit: &ThresholdCommitInput{ProductID: purchase}, PaymentGate: &PaymentGateInput{Type: GateExternal}}},
			"add_prepaid_balance_threshold_configuration.recharge_to_amount"},
		{&EditContract{CustomerID: cust, ContractID: contract, UpdateSpendThreshold: &SpendThresholdInput{IsEnabled: &on}},
			"update_spend_threshold_configuration: the contract has no spend threshold configuration; use add_spend_threshold_configuration"},
		{&CreateContract{CustomerID: other, StartingAt: ns(t, "2030-01-01T00:00:00Z"), RateCardID: h.contract(cust, contract).RateCardID,
			Commits: []CommitInput{{ProductID: purchase, AccessSchedule: []ScheduleItem{{Amount: dec("1"), StartingAt: 1, EndingBefore: 2}},
				PaymentGate: &PaymentGateInput{Type: GateStripe}}}}, "commits[0].payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe"},
		{&CreateContract{CustomerID: other, StartingAt: ns(t, "2030-01-01T00:00:00Z"), RateCardID: h.contract(cust, contract).RateCardID,
			Commits: []CommitInput{{Type: CommitPostpaid, ProductID: purchase, AccessSchedule: []ScheduleItem{{Amount: dec("1"), StartingAt: 1, EndingBefore: 2}},
				PaymentGate: &PaymentGateInput{Type: GateExternal}}}}, "commits[0].payment_gate_config: only PREPAID"},
		{&CreateContract{CustomerID: other, StartingAt: ns(t, "2030-01-01T00:00:00Z"), RateCardID: h.contract(cust, contract).RateCardID,
			Credits: []CommitInput{{ProductID: purchase, AccessSchedule: []ScheduleItem{{Amount: dec("1"), StartingAt: 1, EndingBefore: 2}},
				PaymentGate: &PaymentGateInput{Type: GateExternal}}}}, "credits[0].payment_gate_config: only PREPAID"},
	} {
		r := h.apply(tc.cmd)[0]
		if r.Err == nil || len(r.Err.Message) < len(tc.want) || r.Err.Message[:len(tc.want)] != tc.want {
			t.Errorf("%T: %v, want an error naming %s", tc.cmd, r.Err, tc.want)
		}
	}
}

func (h *harness) contractIDs(cust string) (ids []string) {
	h.e.read(context.Background(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		for _, k := range c.Contracts {
			ids = append(ids, k.ID)
		}
	})
	return ids
}
