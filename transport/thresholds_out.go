package transport

import "burndown/engine"

// The threshold configurations a contract holds (engine/recharge.go,
// threshold.go), as contracts/get and list show them in Metronome's
// PrepaidBalanceThresholdConfiguration and SpendThresholdConfiguration
// shapes (v1 and v2 alike). Amounts are in the rate card's fiat credit
// type, so custom_credit_type_id is never set.

// thresholdCommitOut is a configuration's commit (BaseThresholdCommit,
// with the applicable products of an auto-recharge commit).
type thresholdCommitOut struct {
	ProductID             string   `json:"product_id"`
	Name                  string   `json:"name,omitempty"`
	Description           string   `json:"description,omitempty"`
	ApplicableProductIDs  []string `json:"applicable_product_ids,omitempty"`
	ApplicableProductTags []string `json:"applicable_product_tags,omitempty"`
}

// paymentGateOut is a PaymentGateConfig: its type and, on a STRIPE gate,
// its stripe_config (PAYMENT_INTENT for a gate set before stripe_config
// existed: what it is charged with).
type paymentGateOut struct {
	PaymentGateType string           `json:"payment_gate_type"`
	StripeConfig    *stripeConfigOut `json:"stripe_config,omitempty"`
}

// stripeConfigOut is Metronome's PaymentGateConfig.stripe_config.
type stripeConfigOut struct {
	PaymentType     string            `json:"payment_type"`
	InvoiceMetadata map[string]string `json:"invoice_metadata,omitempty"`
}

// paymentGate renders a configuration's gate.
func paymentGate(typ string, sc *engine.StripeGateConfig) paymentGateOut {
	out := paymentGateOut{PaymentGateType: typ}
	if typ == engine.GateStripe {
		eff := sc.Effective()
		out.StripeConfig = &stripeConfigOut{PaymentType: eff.PaymentType, InvoiceMetadata: eff.InvoiceMetadata}
	}
	return out
}

// rechargeOut is a prepaid_balance_threshold_configuration.
type rechargeOut struct {
	Commit            thresholdCommitOut `json:"commit"`
	IsEnabled         bool               `json:"is_enabled"`
	PaymentGateConfig paymentGateOut     `json:"payment_gate_config"`
	RechargeToAmount  num                `json:"recharge_to_amount"`
	ThresholdAmount   num                `json:"threshold_amount"`
}

// spendThresholdOut is a spend_threshold_configuration.
type spendThresholdOut struct {
	Commit            thresholdCommitOut `json:"commit"`
	IsEnabled         bool               `json:"is_enabled"`
	PaymentGateConfig paymentGateOut     `json:"payment_gate_config"`
	ThresholdAmount   num                `json:"threshold_amount"`
}

func thresholdCommit(c engine.ThresholdCommit) thresholdCommitOut {
	return thresholdCommitOut{
		ProductID: c.ProductID, Name: c.Name, Description: c.Description,
		ApplicableProductIDs:  append([]string(nil), c.ApplicableProductIDs...),
		ApplicableProductTags: append([]string(nil), c.ApplicableProductTags...),
	}
}

// renderRecharge is the contract's auto-recharge configuration (nil: none).
func renderRecharge(k *engine.Contract) *rechargeOut {
	r := k.Recharge()
	if r == nil {
		return nil
	}
	return &rechargeOut{
		Commit: thresholdCommit(r.Commit), IsEnabled: r.IsEnabled, PaymentGateConfig: paymentGate(r.GateType, r.Stripe),
		RechargeToAmount: amountNum(r.RechargeTo), ThresholdAmount: amountNum(r.Threshold),
	}
}

// renderSpendThreshold is the contract's threshold billing configuration
// (nil: none).
func renderSpendThreshold(k *engine.Contract) *spendThresholdOut {
	t := k.SpendThreshold()
	if t == nil {
		return nil
	}
	return &spendThresholdOut{
		Commit: thresholdCommit(t.Commit), IsEnabled: t.IsEnabled, PaymentGateConfig: paymentGate(t.GateType, t.Stripe),
		ThresholdAmount: amountNum(t.Threshold),
	}
}
