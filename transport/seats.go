package transport

import (
	"burndown/engine"
)

// Seats on the wire: subscriptions and recurring credits and commits on
// contracts/create, add_subscriptions and update_subscriptions on
// /v2/contracts/edit (engine/subscriptions.go and engine/recurring.go hold
// the rules). add_recurring_credits/commits, update_recurring_*,
// quantity_management_mode SEAT_BASED, billing_cycle_config and
// recurring invoice_amount stay refused by name.

// subscriptionFields are the applied fields of one subscription.
func subscriptionFields(prefix string) []string {
	out := []string{}
	for _, f := range []string{"subscription_rate.product_id", "subscription_rate.billing_frequency", "collection_schedule",
		"initial_quantity", "proration.is_prorated", "proration.invoice_behavior", "starting_at", "ending_before", "temporary_id", "name"} {
		out = append(out, prefix+f)
	}
	return out
}

// recurringFields are the applied fields of one recurring credit or commit.
func recurringFields(prefix string) []string {
	out := []string{}
	for _, f := range []string{"product_id", "name", "description", "priority", "applicable_product_ids", "applicable_product_tags",
		"access_amount.credit_type_id", "access_amount.unit_price", "access_amount.quantity",
		"commit_duration.value", "commit_duration.unit", "starting_at", "ending_before", "recurrence_frequency", "proration",
		"temporary_id", "rate_type",
		"subscription_config.subscription_id", "subscription_config.allocation", "subscription_config.apply_seat_increase_config.is_prorated"} {
		out = append(out, prefix+f)
	}
	return out
}

// updateSubscriptionFields are the applied fields of update_subscriptions.
var updateSubscriptionFields = []string{
	"update_subscriptions[].subscription_id", "update_subscriptions[].quantity_updates[].starting_at",
	"update_subscriptions[].quantity_updates[].quantity", "update_subscriptions[].quantity_updates[].quantity_delta",
}

func decodeSubscription(o obj) engine.SubscriptionInput {
	in := engine.SubscriptionInput{
		TemporaryID: o.str("temporary_id", false), Name: o.str("name", false),
		CollectionSchedule: o.enum("collection_schedule", true, engine.CollectAdvance, engine.CollectArrears),
		InitialQuantity:    o.amountPtr("initial_quantity", true),
		StartingAt:         o.time("starting_at", false), EndingBefore: o.time("ending_before", false),
	}
	if sr, ok := o.object("subscription_rate", true); ok {
		in.ProductID = sr.str("product_id", true)
		in.BillingFrequency = sr.frequency("billing_frequency", true, engine.FrequencyMonthly, engine.FrequencyQuarterly, engine.FrequencyAnnual)
	}
	if p, ok := o.object("proration", true); ok {
		in.IsProrated, _ = p.boolean("is_prorated", false)
		in.InvoiceBehavior = p.enum("invoice_behavior", false, engine.BillImmediately, engine.BillOnNextCollectionDay)
		if in.InvoiceBehavior == engine.BillImmediately && in.CollectionSchedule == engine.CollectArrears && o.r.err == nil {
			o.r.fail(p.sub("invoice_behavior"), "BILL_IMMEDIATELY is for ADVANCE subscriptions")
		}
	}
	return in
}

func decodeRecurring(o obj) engine.RecurringInput {
	in := engine.RecurringInput{
		ProductID: o.str("product_id", true), Name: o.str("name", false), Description: o.str("description", false),
		TemporaryID: o.str("temporary_id", false), Priority: o.amountPtr("priority", false),
		ApplicableProductIDs: o.strList("applicable_product_ids", false), ApplicableProductTags: o.strList("applicable_product_tags", false),
		StartingAt: o.time("starting_at", true), EndingBefore: o.time("ending_before", false),
		Frequency: o.enum("recurrence_frequency", false, engine.FrequencyMonthly, engine.FrequencyQuarterly, engine.FrequencyAnnual),
		Proration: o.enum("proration", false, engine.ProrationNone, engine.ProrationFirst, engine.ProrationLast, engine.ProrationFirstAndEnd),
	}
	o.enum("rate_type", false, "COMMIT_RATE", "LIST_RATE") // as on commits: both draw at the list price
	if aa, ok := o.object("access_amount", true); ok {
		in.CreditTypeID = aa.str("credit_type_id", false)
		in.UnitPrice, _ = aa.amount("unit_price", true, true)
		in.Quantity = aa.amountPtr("quantity", true)
	}
	if cd, ok := o.object("commit_duration", true); ok {
		in.DurationPeriods, _ = cd.integer("value", true, 1, 1200)
		cd.enum("unit", false, "PERIODS")
	}
	if sc, ok := o.object("subscription_config", false); ok {
		in.SubscriptionID = sc.str("subscription_id", true)
		in.Allocation = sc.enum("allocation", false, engine.AllocationPooled, engine.AllocationIndividual)
		if in.Allocation == "" {
			in.Allocation = engine.AllocationPooled
		}
		if in.Allocation != engine.AllocationPooled && o.r.err == nil {
			o.r.fail(sc.sub("allocation"), "only POOLED is supported by this server yet")
		}
		if ai, ok := sc.object("apply_seat_increase_config", true); ok {
			in.SeatIncreaseProrated, _ = ai.boolean("is_prorated", true)
		}
	}
	return in
}

func decodeSubscriptionUpdate(o obj) engine.SubscriptionUpdate {
	u := engine.SubscriptionUpdate{SubscriptionID: o.str("subscription_id", true)}
	for _, q := range o.objects("quantity_updates", false, 1000) {
		qu := engine.QuantityUpdate{StartingAt: q.time("starting_at", true), Quantity: q.amountPtr("quantity", true), QuantityDelta: q.amountPtr("quantity_delta", false)}
		if qu.Quantity == nil && qu.QuantityDelta == nil && o.r.err == nil {
			o.r.fail(q.sub("quantity"), "quantity or quantity_delta is required")
		}
		u.QuantityUpdates = append(u.QuantityUpdates, qu)
	}
	return u
}

// subscriptionOut is Metronome's contract subscription.
type subscriptionOut struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name,omitempty"`
	SubscriptionRate   map[string]any    `json:"subscription_rate"`
	CollectionSchedule string            `json:"collection_schedule"`
	Proration          map[string]any    `json:"proration"`
	QuantitySchedule   []map[string]any  `json:"quantity_schedule"`
	StartingAt         string            `json:"starting_at"`
	EndingBefore       *string           `json:"ending_before,omitempty"`
	BillingPeriods     map[string]string `json:"billing_periods,omitempty"`
	QuantityManagement string            `json:"quantity_management_mode"`
}

func renderSubscriptions(k *engine.Contract, cat *engine.Catalog) []subscriptionOut {
	out := []subscriptionOut{}
	for _, sub := range k.Subscriptions() {
		so := subscriptionOut{
			ID: sub.ID, Name: sub.Name, CollectionSchedule: sub.CollectionSchedule, StartingAt: tsv(sub.StartingAt), EndingBefore: ts(sub.EndingBefore),
			SubscriptionRate:   map[string]any{"billing_frequency": sub.BillingFrequency, "product": productRef(cat, sub.ProductID)},
			Proration:          map[string]any{"is_prorated": sub.IsProrated, "invoice_behavior": sub.InvoiceBehavior},
			QuantitySchedule:   []map[string]any{},
			QuantityManagement: "QUANTITY_ONLY",
		}
		for i, st := range sub.Quantities {
			m := map[string]any{"quantity": amountNum(st.Quantity), "starting_at": tsv(st.At)}
			if i+1 < len(sub.Quantities) {
				m["ending_before"] = tsv(sub.Quantities[i+1].At)
			}
			so.QuantitySchedule = append(so.QuantitySchedule, m)
		}
		if sub.PeriodEnd != 0 {
			so.BillingPeriods = map[string]string{"current_starting_at": tsv(sub.PeriodStart), "current_ending_before": tsv(sub.PeriodEnd)}
		}
		out = append(out, so)
	}
	return out
}
