package engine

import (
	"burndown/money"
)

// Auto-recharge (prepaid_balance_threshold_configuration). Evaluated at the
// end of every shard run that changed the customer (evaluatePayments), for
// the contract in force: when its prepaid balance (the PREPAID commits and
// credits in force, in the rate card's fiat credit type, whatever products
// they apply to) is at or below ThresholdAmount, one commit of
// RechargeToAmount − balance is raised through the gate. At most one
// recharge is in flight per contract: none is raised while the last one is
// pending, so however many events of however many entries cross the
// threshold before it settles, one recharge is raised. A failed recharge
// sets IsEnabled to false (the payment_status notification says so);
// while the last recharge failed and the balance is depleted the check
// answers payment_failed. Editing IsEnabled back to true evaluates at once
// (the edit's run ends with the evaluation). A contract with a
// configuration is prepaid-only for the check, as DESIGN.md says.

// ThresholdCommitInput is the commit a threshold configuration issues.
type ThresholdCommitInput struct {
	ProductID             string        `msgpack:"ProductID"`
	Name                  string        `msgpack:"Name"`
	Description           string        `msgpack:"Description"`
	Priority              *money.Amount `msgpack:"Priority"`
	ApplicableProductIDs  []string      `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string      `msgpack:"ApplicableProductTags"`
}

// RechargeInput is a prepaid_balance_threshold_configuration as given; on
// an update every field is optional (nil: unchanged).
type RechargeInput struct {
	IsEnabled        *bool                 `msgpack:"IsEnabled"`
	ThresholdAmount  *money.Amount         `msgpack:"ThresholdAmount"`
	RechargeToAmount *money.Amount         `msgpack:"RechargeToAmount"`
	Commit           *ThresholdCommitInput `msgpack:"Commit"`
	PaymentGate      *PaymentGateInput     `msgpack:"PaymentGate"`
}

// ThresholdCommit is the commit a configuration issues, as applied.
type ThresholdCommit struct {
	ProductID             string        `msgpack:"ProductID"`
	Name                  string        `msgpack:"Name"`
	Description           string        `msgpack:"Description"`
	Priority              *money.Amount `msgpack:"Priority"`
	ApplicableProductIDs  []string      `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string      `msgpack:"ApplicableProductTags"`
}

// RechargeConfig is a contract's auto-recharge configuration.
type RechargeConfig struct {
	IsEnabled  bool            `msgpack:"IsEnabled"`
	Threshold  money.Amount    `msgpack:"Threshold"`
	RechargeTo money.Amount    `msgpack:"RechargeTo"`
	Commit     ThresholdCommit `msgpack:"Commit"`
	GateType   string          `msgpack:"GateType"`
	// Stripe is a STRIPE gate's stripe_config (stripe_gate.go; nil:
	// PAYMENT_INTENT).
	Stripe *StripeGateConfig `msgpack:"Stripe,omitempty"`
}

// prepaidOnly reports whether the check requires a positive balance.
func (k *Contract) prepaidOnly() bool { return k.PrepaidOnly || k.Recharge() != nil }

// depletedReason is why a prepaid-only contract without balance is not
// entitled: payment_failed when its last recharge failed.
func (k *Contract) depletedReason() string {
	if wf := k.lastWorkflow(WorkflowRecharge); wf != nil && wf.Status == GateFailed {
		return ReasonPaymentFailed
	}
	return ReasonBalanceDepleted
}

// prepaidBalance is the contract's prepaid commit and credit balance in
// force at now, in the credit type.
func (k *Contract) prepaidBalance(creditTypeID string, now Nanos) money.Amount {
	var total money.Amount
	for _, cm := range k.Balances {
		if cm.drawable() && !cm.postpaid() && cm.CreditTypeID == creditTypeID {
			total = total.Add(cm.BalanceAt(now))
		}
	}
	return total
}

// PrepaidBalance is prepaidBalance for readers.
func (k *Contract) PrepaidBalance(creditTypeID string, now Nanos) money.Amount {
	return k.prepaidBalance(creditTypeID, now)
}

func (s *shard) evaluateRecharge(c *Customer, k *Contract, rc *RateCard, cat *Catalog, now Nanos) {
	cfg := k.Recharge()
	if cfg == nil || !cfg.IsEnabled || k.inFlight(WorkflowRecharge) {
		return
	}
	bal := k.prepaidBalance(rc.FiatCreditTypeID, now)
	if bal.Cmp(cfg.Threshold) > 0 {
		return
	}
	amount := cfg.RechargeTo.Sub(bal)
	if !amount.IsPositive() {
		return
	}
	s.raise(c, k, rc, WorkflowRecharge, &cfg.Commit, cfg.GateType, cfg.Stripe, amount, now, cat)
}

// thresholdCommit validates and converts a configuration's commit; update
// merges into old (nil for an add).
func thresholdCommit(cat *Catalog, in *ThresholdCommitInput, old *ThresholdCommit, field string) (ThresholdCommit, *Error) {
	var out ThresholdCommit
	if old != nil {
		out = *old
	}
	if in == nil {
		if old == nil {
			return out, errorf(Invalid, "%s.commit: is required", field)
		}
		return out, nil
	}
	if in.ProductID != "" {
		out.ProductID = in.ProductID
	}
	if out.ProductID == "" {
		return out, errorf(Invalid, "%s.commit.product_id: is required", field)
	}
	if cat.Products[out.ProductID] == nil {
		return out, errorf(NotFound, "%s.commit.product_id: product %s not found", field, out.ProductID)
	}
	if in.Name != "" {
		out.Name = in.Name
	}
	if in.Description != "" {
		out.Description = in.Description
	}
	if in.Priority != nil {
		p, err := amountPtr(in.Priority, "%s.commit.priority", field)
		if err != nil {
			return out, err
		}
		out.Priority = p
	}
	if in.ApplicableProductIDs != nil {
		for j, pid := range in.ApplicableProductIDs {
			if cat.Products[pid] == nil {
				return out, errorf(NotFound, "%s.commit.applicable_product_ids[%d]: product %s not found", field, j, pid)
			}
		}
		out.ApplicableProductIDs = in.ApplicableProductIDs
	}
	if in.ApplicableProductTags != nil {
		out.ApplicableProductTags = in.ApplicableProductTags
	}
	return out, nil
}

// gateRules is what a threshold configuration's payment gate is checked
// against: the customer (STRIPE needs its Stripe customer id) and whether
// the command keeps the meaning of a build that refused STRIPE there
// (CreateContract.StripeGatesRefused, EditContract.StripeGatesRefused).
type gateRules struct {
	c             *Customer
	stripeRefused bool
}

// gateType validates a configuration's payment_gate_config (nil: old, or
// required when there is none). STRIPE needs the customer's Stripe
// customer id, as on a commit (prepareGate); a customer's billing provider
// configurations are set once, at its creation, so a STRIPE configuration
// kept by an update still has it. A command written by a build that
// refused STRIPE here refuses it, and any other type but NONE and
// EXTERNAL, with that build's (v0.3.0's) error.
func gateType(g gateRules, in *PaymentGateInput, old, field string) (string, *Error) {
	if in == nil {
		if old == "" {
			return "", errorf(Invalid, "%s.payment_gate_config: is required", field)
		}
		return old, nil
	}
	switch in.Type {
	case GateNone, GateExternal:
		return in.Type, checkStripeConfig(in, field)
	case GateStripe:
		if g.stripeRefused {
			break
		}
		if g.c.StripeCustomerID() == "" {
			return "", errorf(Invalid, "%s.payment_gate_config.payment_gate_type: STRIPE needs the customer's stripe billing provider configuration with a stripe_customer_id", field)
		}
		return in.Type, checkStripeConfig(in, field)
	}
	if g.stripeRefused {
		return "", errorf(Invalid, "%s.payment_gate_config.payment_gate_type: %q is not supported by this server yet on a threshold configuration (NONE or EXTERNAL; STRIPE only on add_commits)", field, in.Type)
	}
	return "", errorf(Invalid, "%s.payment_gate_config.payment_gate_type: %q is not supported (NONE, EXTERNAL or STRIPE)", field, in.Type)
}

// gateStripe is a configuration's stripe_config after an add or update: a
// given payment_gate_config replaces the old one whole (its stripe_config
// too, kept on STRIPE gates only); none keeps the old.
func gateStripe(in *PaymentGateInput, old *StripeGateConfig) *StripeGateConfig {
	if in == nil {
		return old
	}
	if in.Type != GateStripe {
		return nil
	}
	return in.Stripe.clone()
}

// optAmount converts an optional non-negative amount of a configuration.
func optAmount(d *money.Amount, old *money.Amount, field string) (money.Amount, *Error) {
	if d == nil {
		if old == nil {
			return money.Amount{}, errorf(Invalid, "%s: is required", field)
		}
		return *old, nil
	}
	a, err := inputAmount(*d)
	if err != nil {
		return a, errorf(Invalid, "%s: %v", field, err)
	}
	if a.IsNegative() {
		return a, errorf(Invalid, "%s: must not be negative", field)
	}
	return a, nil
}

// rechargeConfig builds (old nil) or updates a configuration.
func rechargeConfig(cat *Catalog, g gateRules, in *RechargeInput, old *RechargeConfig, field string) (*RechargeConfig, *Error) {
	out := &RechargeConfig{}
	var oldTh, oldTo *money.Amount
	var oldCommit *ThresholdCommit
	oldGate := ""
	if old != nil {
		*out = *old
		oldTh, oldTo, oldCommit, oldGate = &old.Threshold, &old.RechargeTo, &old.Commit, old.GateType
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
	if out.RechargeTo, err = optAmount(in.RechargeToAmount, oldTo, field+".recharge_to_amount"); err != nil {
		return nil, err
	}
	if out.RechargeTo.Cmp(out.Threshold) <= 0 {
		return nil, errorf(Invalid, "%s.recharge_to_amount: must be greater than threshold_amount", field)
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

// createThresholdConfigs sets a new contract's configurations.
func (k *Contract) createThresholdConfigs(cat *Catalog, c *Customer, cmd *CreateContract) *Error {
	g := gateRules{c: c, stripeRefused: cmd.StripeGatesRefused}
	if cmd.PrepaidBalanceThreshold != nil {
		cfg, err := rechargeConfig(cat, g, cmd.PrepaidBalanceThreshold, nil, "prepaid_balance_threshold_configuration")
		if err != nil {
			return err
		}
		k.EditExtra(func(x *ContractExtra) { x.Recharge = cfg })
	}
	if cmd.SpendThreshold != nil {
		cfg, err := spendConfig(cat, g, cmd.SpendThreshold, nil, "spend_threshold_configuration")
		if err != nil {
			return err
		}
		k.EditExtra(func(x *ContractExtra) { x.SpendThreshold = cfg })
	}
	return nil
}

func editAddRecharge(x *editCtx) *Error {
	return x.inExtra(func(e *ContractExtra) *Error {
		return setThresholdConfig(x.cat, x.gateRules(), x.cmd.AddPrepaidBalanceThreshold, &e.Recharge, false,
			"add_prepaid_balance_threshold_configuration", "prepaid balance threshold", rechargeConfig)
	})
}

func editUpdateRecharge(x *editCtx) *Error {
	return x.inExtra(func(e *ContractExtra) *Error {
		return setThresholdConfig(x.cat, x.gateRules(), x.cmd.UpdatePrepaidBalanceThreshold, &e.Recharge, true,
			"update_prepaid_balance_threshold_configuration", "prepaid balance threshold", rechargeConfig)
	})
}

// inExtra runs f on the edited contract's rare fields (ContractExtra,
// allocated for it and dropped again when f leaves it empty) and returns
// f's error.
func (x *editCtx) inExtra(f func(e *ContractExtra) *Error) (err *Error) {
	x.k.EditExtra(func(e *ContractExtra) { err = f(e) })
	return err
}

// setThresholdConfig applies an edit's add_* (update false: the contract must
// have none) or update_* (update true: it must have one) of a threshold
// configuration into *slot, built by build from the input and the old value.
// A nil input is an edit that does not touch it.
func setThresholdConfig[In, Cfg any](cat *Catalog, g gateRules, in *In, slot **Cfg, update bool, field, what string,
	build func(*Catalog, gateRules, *In, *Cfg, string) (*Cfg, *Error)) *Error {
	if in == nil {
		return nil
	}
	switch {
	case update && *slot == nil:
		return errorf(NotFound, "%s: the contract has no %s configuration; use add_%s", field, what, field[len("update_"):])
	case !update && *slot != nil:
		return errorf(Conflict, "%s: the contract already has one; use update_%s", field, field[len("add_"):])
	}
	cfg, err := build(cat, g, in, *slot, field)
	if err == nil {
		*slot = cfg
	}
	return err
}

// gateRules are the payment gate rules of an edit's threshold
// configurations.
func (x *editCtx) gateRules() gateRules {
	return gateRules{c: x.c, stripeRefused: x.cmd.StripeGatesRefused}
}
