package engine

import (
	"burndown/money"
)

// Threshold billing (spend_threshold_configuration). The contract's
// outstanding spend is what its draft statements will bill for usage: the
// usage lines minus the prepaid commits and credits applied to them, in the
// rate card's fiat credit type (purchases, scheduled charges and
// subscriptions are not spend). Evaluated at the end of every shard run that
// changed the customer (evaluatePayments): when the outstanding spend not
// yet charged reaches ThresholdAmount, payment_gate.threshold_reached is
// notified and one charge of that spend is raised through the gate (at
// most one in flight per contract: one crossing, one charge).
//
// Paid: a PREPAID commit of the charge is issued and applied at once to
// the spend already on the draft statements, oldest first, exactly as usage
// would have drawn it had the commit existed (an applied line, a deduction
// in its ledger): the outstanding spend goes back to exactly zero (less
// the spend rated while the payment was pending, which is still
// outstanding). What the drafts no longer hold (a statement finalized
// meanwhile bills that spend in arrears) stays in the commit as balance, so
// a charge is never lost. Failed: nothing is issued; the failed amount is
// counted as charged (FailedUnbilled) so the next charge waits for another
// ThresholdAmount of spend; it is forgotten as the statements that held it
// finalize (billed in arrears).

// SpendThresholdInput is a spend_threshold_configuration as given; on an
// update every field is optional (nil: unchanged).
type SpendThresholdInput struct {
	IsEnabled       *bool                 `msgpack:"IsEnabled"`
	ThresholdAmount *money.Amount         `msgpack:"ThresholdAmount"`
	Commit          *ThresholdCommitInput `msgpack:"Commit"`
	PaymentGate     *PaymentGateInput     `msgpack:"PaymentGate"`
}

// SpendThresholdConfig is a contract's threshold billing configuration.
type SpendThresholdConfig struct {
	IsEnabled bool            `msgpack:"IsEnabled"`
	Threshold money.Amount    `msgpack:"Threshold"`
	Commit    ThresholdCommit `msgpack:"Commit"`
	GateType  string          `msgpack:"GateType"`
	// Stripe is a STRIPE gate's stripe_config (stripe_gate.go; nil:
	// PAYMENT_INTENT).
	Stripe *StripeGateConfig `msgpack:"Stripe,omitempty"`
	// FailedUnbilled is the outstanding spend failed charges covered, not
	// charged again (see above).
	FailedUnbilled money.Amount `msgpack:"FailedUnbilled"`
}

// outstandingSpend is the usage the invoice will bill after the prepaid
// balances applied to it, in the credit type.
func (k *Contract) outstandingSpend(inv *Invoice, creditTypeID string) money.Amount {
	var total money.Amount
	for _, l := range inv.Lines {
		if l.CreditTypeID != creditTypeID {
			continue
		}
		switch l.Type {
		case LineUsage:
			total = total.Add(l.Total)
		case LineAppliedCommit:
			if cm := k.Commit(l.CommitID); cm == nil || !cm.postpaid() {
				total = total.Add(l.Total)
			}
		}
	}
	return total
}

// OutstandingSpend is the contract's outstanding spend on its draft
// statements, in the credit type.
func (k *Contract) OutstandingSpend(creditTypeID string) money.Amount {
	var total money.Amount
	for _, inv := range k.Invoices {
		if inv.Status == InvoiceDraft {
			total = total.Add(k.outstandingSpend(inv, creditTypeID))
		}
	}
	return total
}

func (s *shard) evaluateSpendThreshold(c *Customer, k *Contract, rc *RateCard, cat *Catalog, now Nanos) {
	cfg := k.SpendThreshold()
	if cfg == nil || !cfg.IsEnabled || k.inFlight(WorkflowSpend) {
		return
	}
	out := k.OutstandingSpend(rc.FiatCreditTypeID)
	if cfg.FailedUnbilled.Cmp(out) > 0 {
		cfg.FailedUnbilled = money.Amount{}
		if out.IsPositive() {
			cfg.FailedUnbilled = out
		}
	}
	charge := out.Sub(cfg.FailedUnbilled)
	if !charge.IsPositive() || charge.Cmp(cfg.Threshold) < 0 {
		return
	}
	s.notes = append(s.notes, pendingNote{customerID: c.ID, typ: NoteThresholdReached, props: paymentProps{
		WorkflowType: WorkflowSpend, CustomerID: c.ID, ContractID: k.ID, Timestamp: fmtTime(now),
		Threshold: num(cfg.Threshold), CurrentSpend: num(charge),
	}})
	s.raise(c, k, rc, WorkflowSpend, &cfg.Commit, cfg.GateType, cfg.Stripe, charge, now, cat)
}

// payOutstanding applies a paid threshold commit to the outstanding spend
// of the draft statements, oldest first.
func (k *Contract) payOutstanding(cm *Commit, _ *Catalog) {
	seg := cm.Segments[0]
	for _, inv := range k.Invoices {
		left := seg.Amount.Sub(seg.Drawn)
		if !left.IsPositive() {
			return
		}
		if inv.Status != InvoiceDraft {
			continue
		}
		d := k.outstandingSpend(inv, cm.CreditTypeID)
		if !d.IsPositive() {
			continue
		}
		if left.LessThan(d) {
			d = left
		}
		seg.Drawn = seg.Drawn.Add(d)
		seg.deduct(inv, d)
		l := inv.line(LineAppliedCommit, "", cm.ID, cm.CreditTypeID)
		l.Total = l.Total.Sub(d)
		inv.Total = inv.Total.Sub(d)
	}
}

// spendConfig builds (old nil) or updates a configuration.
func spendConfig(cat *Catalog, g gateRules, in *SpendThresholdInput, old *SpendThresholdConfig, field string) (*SpendThresholdConfig, *Error) {
	out := &SpendThresholdConfig{}
	var oldTh *money.Amount
	var oldCommit *ThresholdCommit
	oldGate := ""
	if old != nil {
		*out = *old
		oldTh, oldCommit, oldGate = &old.Threshold, &old.Commit, old.GateType
	}
	var err *Error
	if in.IsEnabled != nil {
		out.IsEnabled = *in.IsEnabled
	} else if old == nil {
		return nil, errorf(Invalid, "%s.is_enabled: is required", field)
	}
	if out.Threshold, err = optAmount(in.ThresholdAmount, oldTh, field+".threshold_amount"); err != nil {
		return nil, err
	}
	if !out.Threshold.IsPositive() {
		return nil, errorf(Invalid, "%s.threshold_amount: must be greater than zero", field)
	}
	if out.Commit, err = thresholdCommit(cat, in.Commit, oldCommit, field); err != nil {
		return nil, err
	}
	if out.GateType, err = gateType(g, in.PaymentGate, oldGate, field); err != nil {
		return nil, err
	}
	out.Stripe = gateStripe(in.PaymentGate, out.Stripe)
	return out, nil
}

func editAddSpendThreshold(x *editCtx) *Error {
	return x.inExtra(func(e *ContractExtra) *Error {
		return setThresholdConfig(x.cat, x.gateRules(), x.cmd.AddSpendThreshold, &e.SpendThreshold, false,
			"add_spend_threshold_configuration", "spend threshold", spendConfig)
	})
}

func editUpdateSpendThreshold(x *editCtx) *Error {
	return x.inExtra(func(e *ContractExtra) *Error {
		return setThresholdConfig(x.cat, x.gateRules(), x.cmd.UpdateSpendThreshold, &e.SpendThreshold, true,
			"update_spend_threshold_configuration", "spend threshold", spendConfig)
	})
}
