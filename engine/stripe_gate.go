package engine

import (
	"maps"
	"strings"
)

// How a STRIPE payment gate is paid: payment_gate_config.stripe_config,
// Metronome's {payment_type: INVOICE | PAYMENT_INTENT, invoice_metadata}.
// With INVOICE the leader's Stripe client (effects/stripe_purchase.go)
// creates a Stripe invoice of the purchase, with the invoice_metadata,
// finalizes it and pays it off-session; with PAYMENT_INTENT it charges a
// PaymentIntent (effects/stripe.go Charge).
//
// Formats are forever: every command written before stripe_config existed
// has none (Stripe nil), and a STRIPE gate without one still means
// PAYMENT_INTENT, as those builds charged. Metronome's default (INVOICE
// when stripe_config is absent) is the API edge's: it stamps
// Stripe{INVOICE} on such a gate, which needs every node on this release
// (persist.CommandNeedsFormat: the finalized v0.5.0 data format); an
// explicit PAYMENT_INTENT without metadata is written as no stripe_config,
// its meaning in every build. The gate's configuration is kept on the
// threshold configurations and on each workflow it paid (customer layout
// 13), and the Stripe invoice, once Stripe's answer or event names it, on
// the workflow (ReleasePaymentGate.StripeInvoiceID), which its purchase
// invoice shows as external_invoice.

// Stripe payment types of a STRIPE gate.
const (
	StripePayInvoice       = "INVOICE"
	StripePayPaymentIntent = "PAYMENT_INTENT"
)

// Bounds of invoice_metadata: Stripe's (50 keys, keys of 40 characters,
// values of 500), less the three keys Burndown adds (burndown_workflow_id,
// burndown_customer_id, burndown_contract_id), whose prefix is reserved.
const (
	MaxStripeMetadataKeys     = 47
	MaxStripeMetadataKeyLen   = 40
	MaxStripeMetadataValueLen = 500
	StripeMetadataReserved    = "burndown_"
)

// StripeGateConfig is a STRIPE gate's stripe_config.
type StripeGateConfig struct {
	// PaymentType is INVOICE or PAYMENT_INTENT.
	PaymentType string `msgpack:"PaymentType"`
	// InvoiceMetadata goes on the Stripe invoice (INVOICE only).
	InvoiceMetadata map[string]string `msgpack:"InvoiceMetadata,omitempty"`
}

// clone copies the configuration (nil stays nil).
func (s *StripeGateConfig) clone() *StripeGateConfig {
	if s == nil {
		return nil
	}
	return &StripeGateConfig{PaymentType: s.PaymentType, InvoiceMetadata: maps.Clone(s.InvoiceMetadata)}
}

// PaysByInvoice reports whether a STRIPE gate with this configuration is
// paid through a Stripe invoice (nil: a PaymentIntent, as every build
// before stripe_config charged).
func (s *StripeGateConfig) PaysByInvoice() bool { return s != nil && s.PaymentType == StripePayInvoice }

// Effective is the configuration a STRIPE gate is paid with: its own, or
// PAYMENT_INTENT for one without (what reads show).
func (s *StripeGateConfig) Effective() StripeGateConfig {
	if s == nil {
		return StripeGateConfig{PaymentType: StripePayPaymentIntent}
	}
	return *s
}

// checkStripeConfig validates a payment_gate_config's stripe_config: only
// on a STRIPE gate, a known payment type, metadata on INVOICE only and
// within the bounds.
func checkStripeConfig(g *PaymentGateInput, field string) *Error {
	if g == nil || g.Stripe == nil {
		return nil
	}
	f := field + ".payment_gate_config.stripe_config"
	s := g.Stripe
	switch {
	case g.Type != GateStripe:
		return errorf(Invalid, "%s: only a STRIPE payment_gate_type has a stripe_config", f)
	case s.PaymentType != StripePayInvoice && s.PaymentType != StripePayPaymentIntent:
		return errorf(Invalid, "%s.payment_type: %q is not supported (INVOICE or PAYMENT_INTENT)", f, s.PaymentType)
	case len(s.InvoiceMetadata) > 0 && s.PaymentType != StripePayInvoice:
		return errorf(Invalid, "%s.invoice_metadata: only payment_type INVOICE has invoice metadata", f)
	case len(s.InvoiceMetadata) > MaxStripeMetadataKeys:
		return errorf(Invalid, "%s.invoice_metadata: %d keys, at most %d (Stripe's 50 less the 3 Burndown adds)", f, len(s.InvoiceMetadata), MaxStripeMetadataKeys)
	}
	for k, v := range s.InvoiceMetadata {
		switch {
		case k == "" || len(k) > MaxStripeMetadataKeyLen:
			return errorf(Invalid, "%s.invoice_metadata: key %.50q must have 1 to %d characters", f, k, MaxStripeMetadataKeyLen)
		case strings.ContainsAny(k, "[]"):
			return errorf(Invalid, "%s.invoice_metadata: key %q: Stripe refuses [ and ] in keys", f, k)
		case strings.HasPrefix(k, StripeMetadataReserved):
			return errorf(Invalid, "%s.invoice_metadata: key %q: the prefix %s is Burndown's", f, k, StripeMetadataReserved)
		case len(v) > MaxStripeMetadataValueLen:
			return errorf(Invalid, "%s.invoice_metadata.%s: at most %d characters", f, k, MaxStripeMetadataValueLen)
		}
	}
	return nil
}

// hasStripeConfig reports whether any of the gates has a stripe_config.
func hasStripeConfig(lists [][]CommitInput, gates ...*PaymentGateInput) bool {
	for _, list := range lists {
		for i := range list {
			gates = append(gates, list[i].PaymentGate)
		}
	}
	for _, g := range gates {
		if g != nil && g.Stripe != nil {
			return true
		}
	}
	return false
}

// UsesStripeConfig reports whether the create gives a payment gate a
// stripe_config: builds before it ignore the field (persist writes it only
// in the finalized v0.5.0 data format).
func (c *CreateContract) UsesStripeConfig() bool {
	var gates []*PaymentGateInput
	if c.PrepaidBalanceThreshold != nil {
		gates = append(gates, c.PrepaidBalanceThreshold.PaymentGate)
	}
	if c.SpendThreshold != nil {
		gates = append(gates, c.SpendThreshold.PaymentGate)
	}
	return hasStripeConfig([][]CommitInput{c.Commits, c.Credits}, gates...)
}

// UsesStripeConfig is CreateContract.UsesStripeConfig of an edit (part of what
// edit_contract version 5 added: UsesVersion5).
func (e *EditContract) UsesStripeConfig() bool {
	var gates []*PaymentGateInput
	for _, r := range []*RechargeInput{e.AddPrepaidBalanceThreshold, e.UpdatePrepaidBalanceThreshold} {
		if r != nil {
			gates = append(gates, r.PaymentGate)
		}
	}
	for _, s := range []*SpendThresholdInput{e.AddSpendThreshold, e.UpdateSpendThreshold} {
		if s != nil {
			gates = append(gates, s.PaymentGate)
		}
	}
	return hasStripeConfig([][]CommitInput{e.AddCommits, e.AddCredits}, gates...)
}
