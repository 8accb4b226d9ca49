package engine

import (
	"strings"
	"testing"
)

// A STRIPE gate's stripe_config: INVOICE is kept on the workflow and the
// stripe_charge carries it with the invoice_metadata; a gate without one
// (every command written before the field) charges a PaymentIntent, its
// notification without payment_type; a release from Stripe naming the
// invoice records it once and the purchase invoice shows it as its
// external invoice, PAID once paid.
func TestStripeGateConfigStoredAndCharged(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	add := func(g *PaymentGateInput) (string, note) {
		h.must(&EditContract{CustomerID: cust, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase,
			AccessSchedule: []ScheduleItem{{Amount: dec("700"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}},
			PaymentGate:    g}}})
		n := only(t, h.payNotes(), NoteStripeCharge, 1)[0]
		return n.Properties["workflow_id"].(string), n
	}
	meta := map[string]string{"po": "PO-7", "team": "growth"}
	wf, n := add(&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice, InvoiceMetadata: meta}})
	md, _ := n.Properties["invoice_metadata"].(map[string]any)
	if n.Properties["payment_type"] != StripePayInvoice || md["po"] != "PO-7" || md["team"] != "growth" || len(md) != 2 {
		t.Fatalf("INVOICE stripe_charge %+v", n.Properties)
	}
	if w := h.workflowOf(cust, wf); !w.Stripe.PaysByInvoice() || w.Stripe.InvoiceMetadata["po"] != "PO-7" || w.StripeInvoiceID != "" {
		t.Fatalf("workflow %+v", w)
	}
	legacy, ln := add(&PaymentGateInput{Type: GateStripe})
	if _, ok := ln.Properties["payment_type"]; ok || ln.Properties["invoice_metadata"] != nil {
		t.Fatalf("a gate without stripe_config notified %+v", ln.Properties)
	}
	if w := h.workflowOf(cust, legacy); w.Stripe != nil || w.Stripe.Effective().PaymentType != StripePayPaymentIntent {
		t.Fatalf("legacy workflow %+v", w)
	}

	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid, StripeInvoiceID: "in_1"}); r[0].Err == nil {
		t.Fatal("the API named a Stripe invoice")
	}
	if r := h.apply(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid, Provider: ProviderStripe, StripeInvoiceID: strings.Repeat("i", 256)}); r[0].Err == nil ||
		!strings.HasPrefix(r[0].Err.Message, "stripe_invoice_id:") {
		t.Fatalf("a 256-character Stripe invoice id answered %+v", r[0].Err)
	}
	h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GatePaid, Provider: ProviderStripe, StripeInvoiceID: "in_1"})
	h.must(&ReleasePaymentGate{WorkflowID: wf, Outcome: GateFailed, Provider: ProviderStripe, StripeInvoiceID: "in_2"})
	if w := h.workflowOf(cust, wf); w.Status != GatePaid || w.StripeInvoiceID != "in_1" {
		t.Fatalf("paid workflow %+v", w)
	}
	// A PaymentIntent workflow keeps no invoice id.
	h.must(&ReleasePaymentGate{WorkflowID: legacy, Outcome: GateFailed, Provider: ProviderStripe, StripeInvoiceID: "in_3"})
	if w := h.workflowOf(cust, legacy); w.StripeInvoiceID != "" || w.Status != GateFailed {
		t.Fatalf("legacy workflow %+v", w)
	}
	rd, _, _ := h.e.ReadCustomer(t.Context(), cust)
	invs := rd.Customer.Contract(contract).PurchaseInvoices("USD")
	if len(invs) != 2 {
		t.Fatalf("%d purchase invoices", len(invs))
	}
	if x := invs[0].External(); x == nil || x.InvoiceID != "in_1" || x.Status != ExternalPaid || x.Provider != ProviderStripeBilling {
		t.Fatalf("purchase invoice's external %+v", x)
	}
	if invs[1].External() != nil {
		t.Fatalf("a PaymentIntent purchase shows %+v", invs[1].External())
	}
}

// The threshold configurations keep their gate's stripe_config: an update
// with a payment_gate_config replaces it whole, one without keeps it.
func TestStripeGateConfigOnThresholds(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	on := true
	inv := &StripeGateConfig{PaymentType: StripePayInvoice, InvoiceMetadata: map[string]string{"k": "v"}}
	h.must(&EditContract{CustomerID: cust, ContractID: contract, AddPrepaidBalanceThreshold: &RechargeInput{IsEnabled: &on,
		ThresholdAmount: ptr(dec("500")), RechargeToAmount: ptr(dec("2000")), Commit: &ThresholdCommitInput{ProductID: purchase},
		PaymentGate: &PaymentGateInput{Type: GateStripe, Stripe: inv}}})
	n := only(t, h.payNotes(), NoteStripeCharge, 1)[0]
	if n.Properties["payment_type"] != StripePayInvoice {
		t.Fatalf("recharge charge %+v", n.Properties)
	}
	cfg := func() *RechargeConfig {
		rd, _, _ := h.e.ReadCustomer(t.Context(), cust)
		return rd.Customer.Contract(contract).Recharge()
	}
	if c := cfg(); !c.Stripe.PaysByInvoice() || c.Stripe.InvoiceMetadata["k"] != "v" {
		t.Fatalf("recharge config %+v", c)
	}
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{ThresholdAmount: ptr(dec("400"))}})
	if c := cfg(); !c.Stripe.PaysByInvoice() {
		t.Fatalf("an update without payment_gate_config dropped stripe_config: %+v", c)
	}
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{PaymentGate: &PaymentGateInput{Type: GateStripe}}})
	if c := cfg(); c.Stripe != nil {
		t.Fatalf("an update to a PaymentIntent gate kept %+v", c.Stripe)
	}
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{PaymentGate: &PaymentGateInput{Type: GateStripe, Stripe: inv}}})
	h.must(&EditContract{CustomerID: cust, ContractID: contract, UpdatePrepaidBalanceThreshold: &RechargeInput{PaymentGate: &PaymentGateInput{Type: GateExternal}}})
	if c := cfg(); c.Stripe != nil || c.GateType != GateExternal {
		t.Fatalf("an EXTERNAL gate kept %+v", c.Stripe)
	}
}

// Every bad stripe_config is refused naming the field, in the engine too
// (the edge refuses them first).
func TestStripeGateConfigRefused(t *testing.T) {
	h, cust, contract, _, purchase := paymentsSetup(t)
	many := map[string]string{}
	for i := 0; i <= MaxStripeMetadataKeys; i++ {
		many[strings.Repeat("k", 1+i%30)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	for name, tc := range map[string]struct {
		g    *PaymentGateInput
		want string
	}{
		"on EXTERNAL": {&PaymentGateInput{Type: GateExternal, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice}}, "stripe_config: only a STRIPE"},
		"on NONE":     {&PaymentGateInput{Type: GateNone, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice}}, "stripe_config: only a STRIPE"},
		"type":        {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: "CHECK"}}, "stripe_config.payment_type"},
		"metadata on PAYMENT_INTENT": {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayPaymentIntent,
			InvoiceMetadata: map[string]string{"a": "b"}}}, "stripe_config.invoice_metadata: only payment_type INVOICE"},
		"too many keys": {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice, InvoiceMetadata: many}}, "keys, at most 47"},
		"long key": {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice,
			InvoiceMetadata: map[string]string{strings.Repeat("k", 41): "v"}}}, "1 to 40 characters"},
		"long value": {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice,
			InvoiceMetadata: map[string]string{"k": strings.Repeat("v", 501)}}}, "invoice_metadata.k: at most 500"},
		"reserved": {&PaymentGateInput{Type: GateStripe, Stripe: &StripeGateConfig{PaymentType: StripePayInvoice,
			InvoiceMetadata: map[string]string{"burndown_workflow_id": "x"}}}, "is Burndown's"},
	} {
		r := h.apply(&EditContract{CustomerID: cust, ContractID: contract, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: purchase,
			AccessSchedule: []ScheduleItem{{Amount: dec("10"), StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2027-01-01T00:00:00Z")}},
			PaymentGate:    tc.g}}})
		if r[0].Err == nil || !strings.Contains(r[0].Err.Message, "add_commits[0].payment_gate_config.stripe_config") || !strings.Contains(r[0].Err.Message, tc.want) {
			t.Errorf("%s: %+v", name, r[0].Err)
		}
		on := true
		r = h.apply(&EditContract{CustomerID: cust, ContractID: contract, AddSpendThreshold: &SpendThresholdInput{IsEnabled: &on,
			ThresholdAmount: ptr(dec("100")), Commit: &ThresholdCommitInput{ProductID: purchase}, PaymentGate: tc.g}})
		if r[0].Err == nil || !strings.Contains(r[0].Err.Message, "add_spend_threshold_configuration.payment_gate_config.stripe_config") {
			t.Errorf("%s on a threshold: %+v", name, r[0].Err)
		}
	}
}
