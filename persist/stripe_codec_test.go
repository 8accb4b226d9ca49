package persist

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"burndown/engine"
)

// stripeCustomer is manualCustomer with STRIPE gates paid by invoice on
// its last contract: the threshold configurations' stripe_config, the
// workflows' and a recorded Stripe invoice.
func stripeCustomer() *engine.Customer {
	c := manualCustomer()
	k := c.Contracts[len(c.Contracts)-1]
	inv := func() *engine.StripeGateConfig {
		return &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice, InvoiceMetadata: map[string]string{"po": "PO-1", "a": ""}}
	}
	extraOf(k).Recharge = &engine.RechargeConfig{IsEnabled: true, Threshold: amt("5"), RechargeTo: amt("20"), GateType: engine.GateStripe, Stripe: inv()}
	extraOf(k).SpendThreshold = &engine.SpendThresholdConfig{Threshold: amt("10"), GateType: engine.GateStripe,
		Stripe: &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice}}
	k.EditExtra(func(x *engine.ContractExtra) {
		x.Workflows = []*engine.PaymentWorkflow{
			{ID: "wf-0", Type: engine.WorkflowRecharge, GateType: engine.GateStripe, Status: engine.GatePending},
			{ID: "wf-1", Type: engine.WorkflowRecharge, GateType: engine.GateStripe, Status: engine.GatePaid, Stripe: inv(), StripeInvoiceID: "in_1"},
			{ID: "wf-2", Type: engine.WorkflowSpend, GateType: engine.GateStripe, Status: engine.GatePending, Stripe: inv()},
		}
	})
	return c
}

// Layout 15: STRIPE gates' stripe_config and Stripe invoices round trip; a
// layout 12 record reads back without them (PaymentIntent gates, what the
// builds that wrote it charged); the decimal data format refuses a
// customer with any; a position the record does not hold fails it.
func TestCustomerCodecLayout15StripeGates(t *testing.T) {
	c := stripeCustomer()
	b, got := roundTripCurrent(t, c)
	k, want := got.Contracts[len(got.Contracts)-1], c.Contracts[len(c.Contracts)-1]
	if !reflect.DeepEqual(k.Recharge(), want.Recharge()) || !reflect.DeepEqual(k.SpendThreshold(), want.SpendThreshold()) ||
		!reflect.DeepEqual(k.Workflows(), want.Workflows()) || !bytes.Equal(AppendCustomer(nil, got), b) {
		t.Fatalf("a layout 15 record does not read back to itself: %+v %+v", k.Recharge(), k.Workflows()[1])
	}
	old, err := DecodeCustomer(appendCustomer(nil, c, 12, (*binWriter).binAmount), nil)
	if err != nil {
		t.Fatal(err)
	}
	ko := old.Contracts[len(old.Contracts)-1]
	if ko.Recharge().Stripe != nil || ko.SpendThreshold().Stripe != nil || ko.Workflows()[1].Stripe != nil || ko.Workflows()[1].StripeInvoiceID != "" {
		t.Fatal("a layout 12 record read stripe_config")
	}
	if _, err := CustomerEncoderFor(DataFormatDecimalAmounts)(nil, c); err == nil || !strings.Contains(err.Error(), "stripe_config") {
		t.Fatalf("decimal format: %v, want refused", err)
	}
	if b := AppendCustomer(nil, manualCustomer()); b[len(b)-1] != 0 {
		t.Fatal("a customer without STRIPE gates does not end with one zero byte")
	}
	bad := AppendCustomer(nil, c)
	// The section: count 1, position, recharge config..., so replace the
	// position (right after the count, which follows layout 14's bytes).
	at := len(appendCustomer(nil, c, 14, (*binWriter).binAmount))
	bad[at+1] = byte(len(c.Contracts))
	if _, err := DecodeCustomer(bad, nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("a missing contract: %v", err)
	}
	if _, err := DecodeCustomer(append([]byte{16}, b[1:]...), nil); err == nil {
		t.Fatal("layout 16, which no build writes, was read")
	}
}

// A command giving a gate a stripe_config, or naming a Stripe invoice,
// needs the finalized v0.5.0 format (earlier releases would charge a
// PaymentIntent), and is never written at an older version; one without
// keeps the version and format it had.
func TestStripeConfigNeedsFormat(t *testing.T) {
	inv := &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice}
	gated := func(s *engine.StripeGateConfig) []engine.CommitInput {
		return []engine.CommitInput{{ProductID: "p", PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: s}}}
	}
	codec, err := NewCodec()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		cmd     engine.Command
		needs   DataFormat
		version uint8
	}{
		"create, INVOICE":        {&engine.CreateContract{Commits: gated(inv)}, DataFormatCompactAmounts, 6},
		"create, none":           {&engine.CreateContract{Commits: gated(nil)}, DataFormatDecimalAmounts, 6},
		"create, recharge":       {&engine.CreateContract{PrepaidBalanceThreshold: &engine.RechargeInput{PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: inv}}}, DataFormatCompactAmounts, 6},
		"edit, INVOICE":          {&engine.EditContract{AddCommits: gated(inv)}, DataFormatCompactAmounts, 5},
		"edit, none":             {&engine.EditContract{AddCommits: gated(nil)}, DataFormatDecimalAmounts, 4},
		"edit, spend update":     {&engine.EditContract{UpdateSpendThreshold: &engine.SpendThresholdInput{PaymentGate: &engine.PaymentGateInput{Type: engine.GateStripe, Stripe: inv}}}, DataFormatCompactAmounts, 5},
		"release, invoice named": {&engine.ReleasePaymentGate{WorkflowID: "w", Outcome: engine.GatePaid, Provider: engine.ProviderStripe, StripeInvoiceID: "in_1"}, DataFormatCompactAmounts, 1},
		"release":                {&engine.ReleasePaymentGate{WorkflowID: "w", Outcome: engine.GatePaid, Provider: engine.ProviderStripe}, DataFormatDecimalAmounts, 1},
	} {
		if got := CommandNeedsFormat(tc.cmd); got != tc.needs {
			t.Errorf("%s: needs format %d, want %d", name, got, tc.needs)
		}
		codec.SetDataFormat(DataFormatCompactAmounts)
		enc, err := codec.EncodeCommand(tc.cmd)
		if err != nil || enc.Version != tc.version {
			t.Errorf("%s: written at version %d (%v), want %d", name, enc.Version, err, tc.version)
		}
	}
}
