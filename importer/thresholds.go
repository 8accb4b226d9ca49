package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// thresholdConfig is a contract's prepaid_balance_threshold_configuration
// (auto-recharge) or spend_threshold_configuration (threshold billing), as
// contracts/list shows it; RechargeToAmount is empty for the latter.
type thresholdConfig struct {
	Commit struct {
		ProductID             string   `json:"product_id"`
		Name                  string   `json:"name"`
		Description           string   `json:"description"`
		ApplicableProductIDs  []string `json:"applicable_product_ids"`
		ApplicableProductTags []string `json:"applicable_product_tags"`
	} `json:"commit"`
	IsEnabled         bool `json:"is_enabled"`
	PaymentGateConfig struct {
		PaymentGateType string `json:"payment_gate_type"`
		// StripeConfig is a STRIPE gate's stripe_config, carried as given
		// (without it the target pays the gate by invoice, Metronome's
		// default, as the source does).
		StripeConfig json.RawMessage `json:"stripe_config"`
	} `json:"payment_gate_config"`
	ThresholdAmount  json.Number `json:"threshold_amount"`
	RechargeToAmount json.Number `json:"recharge_to_amount"`
}

// Keys of the two configurations on a contract and in a v2 edit.
const (
	rechargeKey = "prepaid_balance_threshold_configuration"
	spendKey    = "spend_threshold_configuration"
)

// thresholds carries the source contract k's threshold configurations to
// the target contract tk once its balances are carried, through the v2
// edit's add_* fields. Adding them after the balances matters: an
// auto-recharge is evaluated the moment it is added, against the balance
// the target then holds. A configuration the target already has is left
// as it is (a re-run changes nothing).
func (r *run) thresholds(ctx context.Context, k, tk contract) error {
	edit := map[string]any{}
	for _, key := range []string{rechargeKey, spendKey} {
		src, dst := rawOf(k, key), rawOf(tk, key)
		if src == nil || dst != nil {
			continue
		}
		var cfg thresholdConfig
		if err := decode(src, &cfg); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		body, err := r.thresholdBody(k, key, cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		edit["add_"+key] = body
	}
	if len(edit) == 0 || r.cfg.DryRun {
		return nil
	}
	edit["customer_id"], edit["contract_id"] = tk.CustomerID, tk.ID
	if err := r.dst.post(ctx, "v2/contracts/edit", edit, nil, idempotencyKey("thresholds", k.ID)); err != nil {
		return fmt.Errorf("threshold configurations: %w", err)
	}
	return nil
}

// rawOf is the configuration under key on k (nil when it has none).
func rawOf(k contract, key string) json.RawMessage {
	raw := k.SpendThresholdConfiguration
	if key == rechargeKey {
		raw = k.PrepaidBalanceThresholdConfiguration
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// thresholdBody is the add_* body for cfg, with its products mapped to the
// target's. An enabled auto-recharge whose source balance is already at or
// below its threshold is carried switched off, and the summary says so:
// the source has raised (or failed) that recharge, and switching it on in
// the target would raise and charge it a second time.
func (r *run) thresholdBody(k contract, key string, cfg thresholdConfig) (map[string]any, error) {
	pid, err := r.productID(cfg.Commit.ProductID)
	if err != nil {
		return nil, err
	}
	commit := map[string]any{"product_id": pid}
	setIf(commit, "name", cfg.Commit.Name)
	setIf(commit, "description", cfg.Commit.Description)
	if len(cfg.Commit.ApplicableProductIDs) > 0 {
		ids, err := r.productIDs(cfg.Commit.ApplicableProductIDs)
		if err != nil {
			return nil, err
		}
		commit["applicable_product_ids"] = ids
	}
	if len(cfg.Commit.ApplicableProductTags) > 0 {
		commit["applicable_product_tags"] = cfg.Commit.ApplicableProductTags
	}
	gate := map[string]any{"payment_gate_type": cfg.PaymentGateConfig.PaymentGateType}
	if sc := cfg.PaymentGateConfig.StripeConfig; len(sc) > 0 && string(sc) != "null" && strings.EqualFold(cfg.PaymentGateConfig.PaymentGateType, "STRIPE") {
		gate["stripe_config"] = sc
	}
	body := map[string]any{"commit": commit, "is_enabled": cfg.IsEnabled, "threshold_amount": cfg.ThresholdAmount,
		"payment_gate_config": gate}
	switch key {
	case rechargeKey:
		body["recharge_to_amount"] = cfg.RechargeToAmount
		if bal, due := r.rechargeDue(k, cfg); due && cfg.IsEnabled {
			body["is_enabled"] = false
			r.rep.note(kindContracts, k.ID, "%s carried switched off: the source's prepaid balance %s is at or below its threshold %s, so the source "+
				"has raised that recharge; switch it on after cutover", key, decimalString(bal), cfg.ThresholdAmount)
		}
	case spendKey:
		r.rep.note(kindContracts, k.ID, "%s carried; spend towards its threshold_amount is counted from the import on", key)
	}
	return body, nil
}

// rechargeDue says whether the source contract's prepaid balance (its
// prepaid commits and credits in the rate card's fiat credit type, as the
// recharge counts it) is at or below cfg's threshold, with that balance.
func (r *run) rechargeDue(k contract, cfg thresholdConfig) (*big.Rat, bool) {
	fiat := r.fiat[k.Current.RateCardID]
	total := new(big.Rat)
	for _, cm := range append(append([]commit(nil), k.Current.Commits...), k.Current.Credits...) {
		if cm.ArchivedAt != nil || cm.Type == "POSTPAID" || cm.AccessSchedule.CreditType.ID != fiat {
			continue
		}
		if b := ratOf(cm.Balance); b != nil {
			total.Add(total, b)
		}
	}
	threshold, ok := new(big.Rat).SetString(cfg.ThresholdAmount.String())
	return total, ok && total.Cmp(threshold) <= 0
}
