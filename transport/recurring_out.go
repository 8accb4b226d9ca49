package transport

import "burndown/engine"

// recurringOut is Metronome's RecurringCommit / RecurringCredit as a
// contract read shows it (engine/recurring.go holds the rules). Its
// product, name, priority and applicable products are those of the commit
// or credit its grants go to. rate_type is LIST_RATE: rates here have no
// commit_rate, so both values draw at the list price (contracts.go).
type recurringOut struct {
	ID                    string               `json:"id"`
	AccessAmount          recurringAmountOut   `json:"access_amount"`
	CommitDuration        recurringDurationOut `json:"commit_duration"`
	Priority              *num                 `json:"priority,omitempty"`
	Product               *idRef               `json:"product"`
	RateType              string               `json:"rate_type"`
	StartingAt            string               `json:"starting_at"`
	EndingBefore          *string              `json:"ending_before,omitempty"`
	Contract              idRef                `json:"contract"`
	Name                  string               `json:"name,omitempty"`
	Description           string               `json:"description,omitempty"`
	ApplicableProductIDs  []string             `json:"applicable_product_ids,omitempty"`
	ApplicableProductTags []string             `json:"applicable_product_tags,omitempty"`
	RecurrenceFrequency   string               `json:"recurrence_frequency,omitempty"`
	Proration             string               `json:"proration"`
	SubscriptionConfig    *recurringSubConfOut `json:"subscription_config,omitempty"`
}

type recurringAmountOut struct {
	CreditTypeID string `json:"credit_type_id"`
	UnitPrice    num    `json:"unit_price"`
	Quantity     num    `json:"quantity"`
}

type recurringDurationOut struct {
	Value int64  `json:"value"`
	Unit  string `json:"unit"`
}

type recurringSubConfOut struct {
	SubscriptionID          string          `json:"subscription_id"`
	Allocation              string          `json:"allocation"`
	ApplySeatIncreaseConfig map[string]bool `json:"apply_seat_increase_config"`
}

// renderRecurring lists the contract's recurring commits (credit false) or
// credits (credit true) in creation order.
func renderRecurring(k *engine.Contract, cat *engine.Catalog, credit bool) []recurringOut {
	out := []recurringOut{}
	for _, r := range k.Recurring() {
		if (r.Type == engine.CommitCredit) != credit {
			continue
		}
		o := recurringOut{
			ID: r.ID, CommitDuration: recurringDurationOut{Value: r.DurationPeriods, Unit: "PERIODS"}, RateType: "LIST_RATE",
			StartingAt: tsv(r.StartingAt), EndingBefore: ts(r.EndingBefore), Contract: idRef{ID: k.ID},
			RecurrenceFrequency: r.Frequency, Proration: r.Proration,
			AccessAmount: recurringAmountOut{UnitPrice: amountNum(r.UnitPrice), Quantity: amountNum(r.Quantity)},
		}
		if o.Proration == "" {
			o.Proration = engine.ProrationFirstAndEnd
		}
		if cm := k.Commit(r.CommitID); cm != nil {
			o.Product, o.Name, o.Description, o.Priority = productRef(cat, cm.ProductID), cm.Name, cm.Description(), amountNumPtr(cm.Priority())
			o.AccessAmount.CreditTypeID = cm.CreditTypeID
			o.ApplicableProductIDs = append([]string(nil), cm.ApplicableProductIDs()...)
			o.ApplicableProductTags = append([]string(nil), cm.ApplicableProductTags()...)
		}
		if r.SubscriptionID != "" {
			o.SubscriptionConfig = &recurringSubConfOut{SubscriptionID: r.SubscriptionID, Allocation: r.Allocation,
				ApplySeatIncreaseConfig: map[string]bool{"is_prorated": r.SeatIncreaseProrated}}
		}
		out = append(out, o)
	}
	return out
}
