package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Access-schedule edits of commits and credits (engine/balance_edit.go):
// POST /v2/contracts/commits/edit and credits/edit, and the
// update_commits and update_credits of /v2/contracts/edit. The access
// schedule's add, update and remove_schedule_items are applied where they
// map exactly onto the segments, and refused with the reason otherwise (a
// segment drawn from is not removed, an amount not set below what was
// drawn). rate_type is applied as on create: rates here have no
// commit_rate, so both values draw at the list price. Everything else of
// the SDK's request (product_id, applicable products and tags,
// specifiers, priority, invoice_schedule, hierarchy_configuration,
// invoice_contract_id, netsuite_sales_order_id, rollover_fraction) would
// re-rate usage already drawn or change billed purchases, and is refused
// by name.

// balanceUpdateFields are the applied fields of one balance update, under
// prefix; idKey is commit_id or credit_id.
func balanceUpdateFields(prefix, idKey string) []string {
	out := []string{}
	for _, f := range []string{idKey, "rate_type",
		"access_schedule.add_schedule_items[].amount", "access_schedule.add_schedule_items[].starting_at",
		"access_schedule.add_schedule_items[].ending_before",
		"access_schedule.update_schedule_items[].id", "access_schedule.update_schedule_items[].amount",
		"access_schedule.update_schedule_items[].starting_at", "access_schedule.update_schedule_items[].ending_before",
		"access_schedule.remove_schedule_items[].id"} {
		out = append(out, prefix+f)
	}
	return out
}

// decodeBalanceUpdate reads one balance update (the body of commits/edit
// or credits/edit, or an element of update_commits or update_credits).
func decodeBalanceUpdate(o obj, credit bool) engine.BalanceUpdate {
	idKey := "commit_id"
	if credit {
		idKey = "credit_id"
	}
	u := engine.BalanceUpdate{ID: o.str(idKey, true)}
	o.enum("rate_type", false, "COMMIT_RATE", "LIST_RATE")
	as, ok := o.object("access_schedule", false)
	if !ok {
		return u
	}
	for _, it := range as.objects("add_schedule_items", false, engine.MaxSegmentEdits) {
		item := engine.ScheduleItem{StartingAt: it.time("starting_at", true), EndingBefore: it.time("ending_before", true)}
		item.Amount, _ = it.amount("amount", true, true)
		u.AddSegments = append(u.AddSegments, item)
	}
	for _, it := range as.objects("update_schedule_items", false, engine.MaxSegmentEdits) {
		u.UpdateSegments = append(u.UpdateSegments, engine.SegmentUpdate{ID: it.str("id", true), Amount: it.amountPtr("amount", true),
			StartingAt: it.time("starting_at", false), EndingBefore: it.time("ending_before", false)})
	}
	for _, it := range as.objects("remove_schedule_items", false, engine.MaxSegmentEdits) {
		u.RemoveSegments = append(u.RemoveSegments, it.str("id", true))
	}
	return u
}

// decodeEditBalance reads commits/edit (credit false) or credits/edit.
func decodeEditBalance(credit bool) func(body []byte) (*engine.EditBalance, error) {
	return func(body []byte) (*engine.EditBalance, error) {
		o, r, err := decodeObject(body)
		if err != nil {
			return nil, err
		}
		cmd := &engine.EditBalance{CustomerID: o.str("customer_id", true), Credit: credit}
		cmd.Update = decodeBalanceUpdate(o, credit)
		return cmd, r.Err()
	}
}

// editCommit serves POST /v2/contracts/commits/edit → {data:{id}} (the
// commit's id).
func (s *Server) editCommit(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeEditBalance(false))
}

// editCredit serves POST /v2/contracts/credits/edit → {data:{id}} (the
// credit's id).
func (s *Server) editCredit(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, decodeEditBalance(true))
}
