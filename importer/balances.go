package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// manualReason is the reason of the ledger entry that carries a commit's
// used part; it names the source commit, so a re-run finds the entry and
// does not add another.
func manualReason(sourceID string) string { return "burndown import: balance carried from " + sourceID }

// balances carries the remaining balance of each commit and credit of the
// source contract k into its copy: the copy starts with the full schedule,
// and a manual ledger entry draws it down to the source's balance. A target
// without POST /v1/contracts/addManualBalanceLedgerEntry (404) keeps the
// full schedule, and the report lists the difference for each commit. It
// returns the target's copy of the contract, as listed.
func (r *run) balances(ctx context.Context, k contract, have contract, found bool, targetCustomer string) (contract, error) {
	created := !found // the commits were made with the contract just now
	if !found {
		list, err := listContracts(ctx, r.dst, targetCustomer)
		if err != nil {
			return have, err
		}
		for _, t := range list {
			if t.CustomFields[SourceIDField] == k.ID {
				have, found = t, true
			}
		}
		if !found {
			return have, fmt.Errorf("target: the contract just created is not listed")
		}
	}
	targets := map[string]commit{}
	for _, cm := range append(have.Current.Commits, have.Current.Credits...) {
		if id := cm.CustomFields[SourceIDField]; id != "" {
			targets[id] = cm
		}
	}
	c := r.rep.kind(kindBalances)
	for _, cm := range append(k.Current.Commits, k.Current.Credits...) {
		if cm.ArchivedAt != nil {
			continue
		}
		c.Source++
		tcm, ok := targets[cm.ID]
		if !ok {
			return have, fmt.Errorf("commit %s: not found in the target's contract %s", cm.ID, have.ID)
		}
		changed, err := r.carryBalance(ctx, k, cm, have, tcm)
		if err != nil {
			return have, fmt.Errorf("commit %s: %w", cm.ID, err)
		}
		switch {
		case created:
			c.Created++
		case changed:
			c.Updated++
		default:
			c.Existing++
		}
	}
	return have, nil
}

// carryBalance draws the target commit tcm down to the source commit cm's
// balance, unless a previous run did; it reports whether it wrote.
func (r *run) carryBalance(ctx context.Context, k contract, cm commit, tk contract, tcm commit) (bool, error) {
	src, dst := ratOf(cm.Balance), ratOf(tcm.Balance)
	if src == nil || dst == nil || src.Cmp(dst) == 0 {
		return false, nil
	}
	for _, e := range tcm.Ledger {
		if strings.Contains(e.Reason, manualReason(cm.ID)) {
			return false, nil // carried by an earlier run; usage since is the target's own
		}
	}
	diff := new(big.Rat).Sub(src, dst)
	body := map[string]any{"id": tcm.ID, "customer_id": tk.CustomerID,
		"segment_id": segmentAt(tcm, r.cfg.Now), "amount": json.Number(decimalString(diff)), "reason": manualReason(cm.ID)}
	if tk.ID != "" { // a customer-level commit or credit has no contract
		body["contract_id"] = tk.ID
	}
	if r.cfg.DryRun {
		return true, nil
	}
	err := r.dst.post(ctx, "v1/contracts/addManualBalanceLedgerEntry", body, nil, idempotencyKey("balance", cm.ID))
	if statusOf(err) == http.StatusNotFound {
		r.rep.Differences = append(r.rep.Differences, BalanceDifference{SourceCustomerID: k.CustomerID, SourceContractID: k.ID,
			SourceID: cm.ID, Name: cm.Name, SourceBalance: decimalString(src), TargetBalance: decimalString(dst)})
		return false, nil
	}
	return err == nil, err
}

// segmentAt is the id of the commit's access schedule segment in force at
// now (else the last one started, else the first).
func segmentAt(cm commit, now time.Time) string {
	items := cm.AccessSchedule.ScheduleItems
	if len(items) == 0 {
		return ""
	}
	pick := items[0].ID
	for _, it := range items {
		start, err1 := time.Parse(time.RFC3339Nano, it.StartingAt)
		end, err2 := time.Parse(time.RFC3339Nano, it.EndingBefore)
		if err1 != nil || start.After(now) {
			continue
		}
		pick = it.ID
		if err2 == nil && now.Before(end) {
			return it.ID
		}
	}
	return pick
}

// countDryBalances counts, in a dry run, the balances of a contract that
// would be created (each would be carried).
func (r *run) countDryBalances(k contract) {
	c := r.rep.kind(kindBalances)
	for _, cm := range append(k.Current.Commits, k.Current.Credits...) {
		if cm.ArchivedAt == nil {
			c.Source++
			c.Created++
		}
	}
}

func ratOf(n *json.Number) *big.Rat {
	if n == nil {
		return nil
	}
	v, ok := new(big.Rat).SetString(n.String())
	if !ok {
		return nil
	}
	return v
}

// decimalString writes v as a plain decimal (up to 12 places, no trailing
// zeros).
func decimalString(v *big.Rat) string {
	s := v.FloatString(12)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
