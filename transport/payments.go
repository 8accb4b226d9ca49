package transport

import (
	"context"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Payment gates, auto-recharge and threshold billing (engine/payments.go,
// recharge.go, threshold.go). payment_gate_config applies payment_gate_type
// NONE, EXTERNAL or STRIPE (stripe.go; the engine refuses STRIPE for a
// customer without a stripe_customer_id), and tax_type, stripe_config and precalculated_tax_config are refused by
// the reader as unapplied fields.

// decodePaymentGate reads a payment_gate_config (nil when absent).
func decodePaymentGate(o obj, required bool) *engine.PaymentGateInput {
	g, ok := o.object("payment_gate_config", required)
	if !ok {
		return nil
	}
	typ := g.enum("payment_gate_type", true, engine.GateNone, engine.GateExternal, engine.GateStripe)
	return &engine.PaymentGateInput{Type: typ}
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

// refuseOldThresholdName answers the pre-2025 name with the new one.
func refuseOldThresholdName(o obj) {
	if o.has("threshold_billing_configuration") && o.r.err == nil {
		o.r.fail("threshold_billing_configuration", "is not supported under this name: it was renamed, use prepaid_balance_threshold_configuration (auto-recharge) "+
			"or spend_threshold_configuration (threshold billing)")
	}
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
