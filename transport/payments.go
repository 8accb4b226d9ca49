package transport

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Payment gates, auto-recharge and threshold billing (engine/payments.go,
// recharge.go, threshold.go). payment_gate_config applies payment_gate_type
// NONE, EXTERNAL or STRIPE (stripe.go; the engine refuses STRIPE for a
// customer without a stripe_customer_id) and a STRIPE gate's stripe_config
// (engine/stripe_gate.go); tax_type other than NONE and
// precalculated_tax_config are refused by the reader as unapplied fields.

// decodePaymentGate reads a payment_gate_config (nil when absent).
// tax_type NONE (no tax: Metronome's default, and what the server does) is
// applied; any other tax_type is refused saying what to send instead. A
// STRIPE gate without stripe_config is paid through a Stripe invoice,
// Metronome's default: the edge writes stripe_config INVOICE, which needs
// the finalized upgrade (propose's 400 says to send PAYMENT_INTENT until
// then); an explicit PAYMENT_INTENT is written as no stripe_config, what
// it means in every build.
func decodePaymentGate(o obj, required bool) *engine.PaymentGateInput {
	g, ok := o.object("payment_gate_config", required)
	if !ok {
		return nil
	}
	typ := g.enum("payment_gate_type", true, engine.GateNone, engine.GateExternal, engine.GateStripe)
	if tax := g.str("tax_type", false); tax != "" && !strings.EqualFold(tax, "NONE") && g.r.err == nil {
		g.r.fail(g.sub("tax_type"), "%q is not supported by this server yet (it calculates no tax on payment-gate charges): send NONE or leave tax_type out", tax)
	}
	sc := decodeStripeConfig(g, typ)
	if typ == engine.GateStripe {
		switch {
		case sc == nil:
			sc = &engine.StripeGateConfig{PaymentType: engine.StripePayInvoice} // Metronome's default
		case sc.PaymentType == engine.StripePayPaymentIntent:
			sc = nil
		}
	}
	return &engine.PaymentGateInput{Type: typ, Stripe: sc}
}

// decodeStripeConfig reads a payment_gate_config's stripe_config (nil when
// absent): on a STRIPE gate only, payment_type required, invoice_metadata
// on INVOICE only and within Stripe's bounds (less Burndown's own keys).
func decodeStripeConfig(g obj, typ string) *engine.StripeGateConfig {
	s, ok := g.object("stripe_config", false)
	if !ok || g.r.err != nil {
		return nil
	}
	if typ != engine.GateStripe {
		g.r.fail(g.sub("stripe_config"), "only payment_gate_type STRIPE has a stripe_config (this gate is %s)", typ)
		return nil
	}
	pt := s.enum("payment_type", true, engine.StripePayInvoice, engine.StripePayPaymentIntent)
	if !s.has("invoice_metadata") || s.r.err != nil {
		return &engine.StripeGateConfig{PaymentType: pt}
	}
	if pt != engine.StripePayInvoice {
		s.r.fail(s.sub("invoice_metadata"), "only payment_type INVOICE puts metadata on a Stripe invoice; leave it out with %s", pt)
		return nil
	}
	if raw, _ := s.m["invoice_metadata"].(map[string]any); len(raw) > engine.MaxStripeMetadataKeys {
		s.r.fail(s.sub("invoice_metadata"), "%d keys, at most %d (Stripe's 50 less the 3 Burndown adds)", len(raw), engine.MaxStripeMetadataKeys)
		return nil
	}
	md := s.strMap("invoice_metadata")
	for _, k := range slices.Sorted(maps.Keys(md)) {
		v := md[k]
		switch {
		case k == "" || len(k) > engine.MaxStripeMetadataKeyLen || strings.ContainsAny(k, "[]"):
			s.r.fail(s.sub("invoice_metadata"), "key %.50q: 1 to %d characters, without [ or ] (Stripe's rules)", k, engine.MaxStripeMetadataKeyLen)
		case strings.HasPrefix(k, engine.StripeMetadataReserved):
			s.r.fail(s.sub("invoice_metadata"), "key %q: the prefix %s is Burndown's own", k, engine.StripeMetadataReserved)
		case len(v) > engine.MaxStripeMetadataValueLen:
			s.r.fail(s.sub("invoice_metadata")+"."+k, "at most %d characters (Stripe's limit)", engine.MaxStripeMetadataValueLen)
		}
		if s.r.err != nil {
			return nil
		}
	}
	return &engine.StripeGateConfig{PaymentType: pt, InvoiceMetadata: md}
}

// decodeThresholdCommit reads a threshold configuration's commit.
// A spend threshold's commit has no applicable products (applicable false).
func decodeThresholdCommit(o obj, required, applicable bool) *engine.ThresholdCommitInput {
	c, ok := o.object("commit", required)
	if !ok {
		return nil
	}
	in := &engine.ThresholdCommitInput{
		ProductID:   c.str("product_id", required),
		Name:        c.str("name", false),
		Description: c.str("description", false),
	}
	if applicable {
		in.ApplicableProductIDs = c.strList("applicable_product_ids", false)
		in.ApplicableProductTags = c.strList("applicable_product_tags", false)
	}
	return in
}

// decodeRecharge reads a prepaid_balance_threshold_configuration under key;
// update: every field optional.
func decodeRecharge(o obj, key string, update bool) *engine.RechargeInput {
	c, ok := o.object(key, false)
	if !ok {
		return nil
	}
	in := &engine.RechargeInput{
		ThresholdAmount:  c.amountPtr("threshold_amount", true),
		RechargeToAmount: c.amountPtr("recharge_to_amount", true),
		Commit:           decodeThresholdCommit(c, !update, true),
		PaymentGate:      decodePaymentGate(c, !update),
	}
	if b := c.boolPtr("is_enabled"); b != nil {
		in.IsEnabled = b
	} else if !update && o.r.err == nil {
		o.r.fail(c.sub("is_enabled"), "is required")
	}
	if !update && o.r.err == nil {
		for _, f := range []string{"threshold_amount", "recharge_to_amount"} {
			if !c.has(f) {
				o.r.fail(c.sub(f), "is required")
			}
		}
	}
	return in
}

// decodeSpendThreshold reads a spend_threshold_configuration under key.
func decodeSpendThreshold(o obj, key string, update bool) *engine.SpendThresholdInput {
	c, ok := o.object(key, false)
	if !ok {
		return nil
	}
	in := &engine.SpendThresholdInput{
		ThresholdAmount: c.amountPtr("threshold_amount", true),
		Commit:          decodeThresholdCommit(c, !update, false),
		PaymentGate:     decodePaymentGate(c, !update),
	}
	if b := c.boolPtr("is_enabled"); b != nil {
		in.IsEnabled = b
	} else if !update && o.r.err == nil {
		o.r.fail(c.sub("is_enabled"), "is required")
	}
	if !update && o.r.err == nil && !c.has("threshold_amount") {
		o.r.fail(c.sub("threshold_amount"), "is required")
	}
	return in
}

// Older names of contracts/create's threshold configurations, still in
// Metronome's guides: credit_balance_threshold_configuration was
// auto-recharge, renamed prepaid_balance_threshold_configuration;
// threshold_billing_configuration was threshold billing (a charge each time
// usage reaches threshold_amount), renamed spend_threshold_configuration,
// and the prepaid-credits guide uses it, with recharge_to_amount, for
// auto-recharge. Its shape says which one is meant.
const (
	rechargeKey        = "prepaid_balance_threshold_configuration"
	spendKey           = "spend_threshold_configuration"
	oldRechargeKey     = "credit_balance_threshold_configuration"
	oldThresholdKey    = "threshold_billing_configuration"
	oldThresholdRefill = "recharge_to_amount"
)

// thresholdKeys returns the keys contracts/create reads its recharge and
// spend threshold configurations from: the current names, or an older one
// given instead (two names for one configuration are refused).
func thresholdKeys(o obj) (recharge, spend string) {
	recharge, spend = rechargeKey, spendKey
	use := func(current *string, old string) {
		if o.r.err != nil {
			return
		}
		if o.has(*current) {
			o.r.fail(old, "give %s or its older name %s, not both", *current, old)
			return
		}
		*current = old
	}
	if o.has(oldRechargeKey) {
		use(&recharge, oldRechargeKey)
	}
	if o.has(oldThresholdKey) {
		m, _ := o.m[oldThresholdKey].(map[string]any)
		if _, refill := m[oldThresholdRefill]; refill {
			use(&recharge, oldThresholdKey)
		} else {
			use(&spend, oldThresholdKey)
		}
	}
	return recharge, spend
}

func decodeRelease(body []byte) (*engine.ReleasePaymentGate, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.ReleasePaymentGate{
		WorkflowID: o.str("workflow_id", true),
		Outcome:    o.enum("outcome", true, engine.GatePaid, engine.GateFailed),
	}
	return cmd, r.Err()
}

type releaseOut struct {
	WorkflowID        string `json:"workflow_id"`
	PaymentGateStatus string `json:"payment_gate_status"`
	CommitID          string `json:"commit_id,omitempty"`
}

// releasePaymentGate serves POST /v1/contracts/commits/threshold-billing/release.
// A workflow settles once; releasing it again answers how it settled.
func (s *Server) releasePaymentGate(ctx *fasthttp.RequestCtx, _ string) error {
	cmd, res, err := decodeAndPropose(s, ctx, decodeRelease)
	if err != nil {
		return err
	}
	out := releaseOut{WorkflowID: cmd.WorkflowID}
	if g := res.Gate; g != nil {
		out.PaymentGateStatus, out.CommitID = g.Status, g.CommitID
	} else { // an Idempotency-Key replay keeps no gate answer: read it
		eng := s.node.Engine()
		if rd, ok, _ := eng.ReadCustomer(context.Background(), eng.WorkflowOwner(cmd.WorkflowID)); ok {
			if _, wf := rd.Customer.Workflow(cmd.WorkflowID); wf != nil {
				out.PaymentGateStatus, out.CommitID = wf.Status, wf.CommitID
			}
		}
	}
	return writeData(ctx, out)
}
