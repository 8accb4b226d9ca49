package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
	"burndown/money"
)

// decodeStatementSchedule reads usage_statement_schedule.
func decodeStatementSchedule(o obj) *engine.StatementScheduleInput {
	us, ok := o.object("usage_statement_schedule", false)
	if !ok {
		return nil
	}
	in := &engine.StatementScheduleInput{
		Frequency: us.enum("frequency", true, engine.FrequencyMonthly, engine.FrequencyQuarterly, engine.FrequencyAnnual),
		Day:       us.enum("day", false, engine.DayFirstOfMonth, engine.DayContractStart, engine.DayCustomDate),
	}
	in.BillingAnchorDate = us.time("billing_anchor_date", in.Day == engine.DayCustomDate)
	if o.r.err == nil && in.BillingAnchorDate != 0 && in.Day != engine.DayCustomDate {
		o.r.fail(us.sub("billing_anchor_date"), "is only for day CUSTOM_DATE")
	}
	return in
}

// decodeScheduledCharge reads one entry of scheduled_charges[] (contracts/create)
// or add_scheduled_charges[] (v2 edit).
func decodeScheduledCharge(o obj) engine.ScheduledChargeInput {
	in := engine.ScheduledChargeInput{
		ProductID:    o.str("product_id", true),
		Name:         o.str("name", false),
		CustomFields: o.strMap("custom_fields"),
	}
	sch, ok := o.object("schedule", true)
	if !ok {
		return in
	}
	in.CreditTypeID = sch.str("credit_type_id", false)
	items := sch.objects("schedule_items", false, 1000)
	rec, hasRec := sch.object("recurring_schedule", false)
	if o.r.err == nil && (len(items) > 0) == hasRec {
		o.r.fail(sch.sub("schedule_items"), "give schedule_items or recurring_schedule (one of them)")
		return in
	}
	for _, it := range items {
		item := engine.ChargeItemInput{Timestamp: it.time("timestamp", true)}
		item.Amount, item.UnitPrice, item.Quantity = decodeAmountOrPrice(it)
		in.Items = append(in.Items, item)
	}
	if hasRec {
		in.Recurring = decodeRecurringSchedule(rec)
	}
	return in
}

// decodeRecurringSchedule reads a recurring_schedule of a scheduled charge or
// of a commit's invoice_schedule.
func decodeRecurringSchedule(rec obj) *engine.RecurringScheduleInput {
	r := &engine.RecurringScheduleInput{
		StartingAt:   rec.time("starting_at", true),
		EndingBefore: rec.time("ending_before", true),
		Frequency: rec.enum("frequency", true, engine.FrequencyMonthly, engine.FrequencyQuarterly,
			engine.FrequencySemiAnnual, engine.FrequencyAnnual),
		AmountDistribution: rec.enum("amount_distribution", true, engine.DistributionDivided,
			engine.DistributionDividedRounded, engine.DistributionEach),
	}
	if rec.r.err == nil && r.EndingBefore <= r.StartingAt {
		rec.r.fail(rec.sub("ending_before"), "must be after starting_at")
	}
	r.Amount, r.UnitPrice, r.Quantity = decodeAmountOrPrice(rec)
	return r
}

// decodeAmountOrPrice reads amount, or unit_price and quantity.
func decodeAmountOrPrice(o obj) (amount, price, qty *money.Amount) {
	if o.has("amount") {
		if o.has("unit_price") || o.has("quantity") {
			o.r.fail(o.sub("amount"), "give amount, or unit_price and quantity, not both")
			return
		}
		return o.amountPtr("amount", true), nil, nil
	}
	if !o.has("unit_price") && !o.has("quantity") {
		o.r.fail(o.sub("amount"), "amount, or unit_price and quantity, is required")
		return
	}
	p, okp := o.amount("unit_price", true, true)
	q, okq := o.amount("quantity", true, true)
	if okp && okq {
		price, qty = &p, &q
	}
	return
}

// decodeUpdateEndDate validates POST /v1/contracts/updateEndDate.
func decodeUpdateEndDate(body []byte) (*engine.UpdateEndDate, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.UpdateEndDate{
		CustomerID:   o.str("customer_id", true),
		ContractID:   o.str("contract_id", true),
		EndingBefore: o.time("ending_before", false),
	}
	cmd.AllowEndingBeforeFinalizedInvoice, _ = o.boolean("allow_ending_before_finalized_invoice", false)
	return cmd, r.Err()
}

// updateEndDate serves POST /v1/contracts/updateEndDate → {data:{id}} (the contract's id).
func (s *Server) updateEndDate(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeUpdateEndDate)
}

// idsOf reads a list of {id} objects (archive_commits[] and the like).
func idsOf(o obj, key string) []string {
	var out []string
	for _, it := range o.objects(key, false, 1000) {
		out = append(out, it.str("id", true))
	}
	return out
}

// decodeEditContract validates POST /v2/contracts/edit.
func decodeEditContract(body []byte) (*engine.EditContract, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	cmd := &engine.EditContract{
		CustomerID:    o.str("customer_id", true),
		ContractID:    o.str("contract_id", true),
		UniquenessKey: o.str("uniqueness_key", false),
	}
	for _, c := range o.objects("add_commits", false, 1000) {
		in := decodeCommit(c, false)
		in.PaymentGate = decodePaymentGate(c, false)
		cmd.AddCommits = append(cmd.AddCommits, in)
	}
	cmd.AddPrepaidBalanceThreshold = decodeRecharge(o, "add_prepaid_balance_threshold_configuration", false)
	cmd.UpdatePrepaidBalanceThreshold = decodeRecharge(o, "update_prepaid_balance_threshold_configuration", true)
	cmd.AddSpendThreshold = decodeSpendThreshold(o, "add_spend_threshold_configuration", false)
	cmd.UpdateSpendThreshold = decodeSpendThreshold(o, "update_spend_threshold_configuration", true)
	for _, c := range o.objects("add_credits", false, 1000) {
		cmd.AddCredits = append(cmd.AddCredits, decodeCommit(c, true))
	}
	for _, ov := range o.objects("add_overrides", false, 1000) {
		cmd.AddOverrides = append(cmd.AddOverrides, decodeOverride(ov))
	}
	for _, c := range o.objects("add_scheduled_charges", false, 1000) {
		cmd.AddScheduledCharges = append(cmd.AddScheduledCharges, decodeScheduledCharge(c))
	}
	for _, sub := range o.objects("add_subscriptions", false, 100) {
		cmd.AddSubscriptions = append(cmd.AddSubscriptions, decodeSubscription(sub))
	}
	for _, u := range o.objects("update_subscriptions", false, 100) {
		cmd.UpdateSubscriptions = append(cmd.UpdateSubscriptions, decodeSubscriptionUpdate(u))
	}
	cmd.ArchiveCommits = idsOf(o, "archive_commits")
	cmd.ArchiveCredits = idsOf(o, "archive_credits")
	cmd.ArchiveScheduledCharges = idsOf(o, "archive_scheduled_charges")
	cmd.RemoveOverrides = idsOf(o, "remove_overrides")
	if v, present := o.m["update_contract_end_date"]; present {
		o.mark("update_contract_end_date")
		if v == nil { // null: open-ended
			cmd.UpdateContractEndDate = &engine.EndDateUpdate{}
		} else {
			cmd.UpdateContractEndDate = &engine.EndDateUpdate{EndingBefore: o.time("update_contract_end_date", true)}
		}
	}
	cmd.AllowEndingBeforeFinalizedInvoice, _ = o.boolean("allow_contract_ending_before_finalized_invoice", false)
	if o.has("update_contract_name") {
		name := o.str("update_contract_name", false)
		cmd.UpdateName = &name
	}
	for _, u := range o.objects("update_commits", false, 1000) {
		cmd.UpdateCommits = append(cmd.UpdateCommits, decodeBalanceUpdate(u, false))
	}
	for _, u := range o.objects("update_credits", false, 1000) {
		cmd.UpdateCredits = append(cmd.UpdateCredits, decodeBalanceUpdate(u, true))
	}
	return cmd, r.Err()
}

// editContract serves POST /v2/contracts/edit → {data:{id}} (the edit's id).
func (s *Server) editContract(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeEditContract)
}
