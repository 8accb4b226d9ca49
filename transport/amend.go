package transport

import (
	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Contract amendments (Metronome's POST /v1/contracts/amend, which its
// contract edits replace): an amendment adds commits, credits, overrides
// and scheduled charges to a contract from starting_at. Each maps onto
// the v2 edit's add_commits, add_credits, add_overrides and
// add_scheduled_charges exactly, so an amendment is proposed as that edit
// (edit_contract; no format of its own) and answers {data:{id}}, the
// edit's id. starting_at is applied as the amendment's start: it must lie
// within the contract's term, and nothing the amendment adds may start
// before it. The amendment itself is not kept as a record (contracts/get
// shows its terms among the contract's, as an edit's, with amendments
// empty), so its custom_fields are refused, and so are the fields Metronome
// serves to some clients only (discounts, professional_services,
// reseller_royalties, netsuite_sales_order_id, salesforce_opportunity_id,
// total_contract_value).

// amendment is a decoded amendment: the edit and its start.
type amendment struct {
	edit       *engine.EditContract
	startingAt engine.Nanos
}

// decodeAmend validates POST /v1/contracts/amend.
func decodeAmend(body []byte) (amendment, error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return amendment{}, err
	}
	cmd := &engine.EditContract{CustomerID: o.str("customer_id", true), ContractID: o.str("contract_id", true)}
	from := o.time("starting_at", true)
	if o.has("custom_fields") && r.err == nil {
		r.fail("custom_fields", "is not supported by this server: an amendment is applied as a contract edit and not kept as a record of its own; "+
			"set custom_fields on the commits, credits and scheduled charges it adds")
	}
	for i, c := range o.objects("commits", false, 1000) {
		in := decodeCommit(c, false)
		in.PaymentGate = decodePaymentGate(c, false)
		checkScheduleFrom(c, in.AccessSchedule, from, index("commits", i))
		cmd.AddCommits = append(cmd.AddCommits, in)
	}
	for i, c := range o.objects("credits", false, 1000) {
		in := decodeCommit(c, true)
		checkScheduleFrom(c, in.AccessSchedule, from, index("credits", i))
		cmd.AddCredits = append(cmd.AddCredits, in)
	}
	for i, ov := range o.objects("overrides", false, 1000) {
		in := decodeOverride(ov)
		if r.err == nil && in.StartingAt < from {
			r.fail(index("overrides", i)+".starting_at", "must not be before the amendment's starting_at")
		}
		cmd.AddOverrides = append(cmd.AddOverrides, in)
	}
	for i, c := range o.objects("scheduled_charges", false, 1000) {
		in := decodeScheduledCharge(c)
		for j, it := range in.Items {
			if r.err == nil && it.Timestamp < from {
				r.fail(index(index("scheduled_charges", i)+".schedule.schedule_items", j)+".timestamp", "must not be before the amendment's starting_at")
			}
		}
		if in.Recurring != nil && r.err == nil && in.Recurring.StartingAt < from {
			r.fail(index("scheduled_charges", i)+".schedule.recurring_schedule.starting_at", "must not be before the amendment's starting_at")
		}
		cmd.AddScheduledCharges = append(cmd.AddScheduledCharges, in)
	}
	return amendment{edit: cmd, startingAt: from}, r.Err()
}

// checkScheduleFrom refuses an access schedule item starting before the
// amendment.
func checkScheduleFrom(o obj, items []engine.ScheduleItem, from engine.Nanos, path string) {
	for j, it := range items {
		if o.r.err == nil && it.StartingAt < from {
			o.r.fail(index(path+".access_schedule.schedule_items", j)+".starting_at", "must not be before the amendment's starting_at")
		}
	}
}

// amendContract serves POST /v1/contracts/amend → {data:{id}}.
func (s *Server) amendContract(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(body []byte) (*engine.EditContract, error) {
		a, err := decodeAmend(body)
		if err != nil {
			return nil, err
		}
		return a.edit, s.checkAmendmentStart(a)
	})
}

// checkAmendmentStart refuses a starting_at outside the contract's term
// (an unknown customer or contract is left to the edit, which names it).
func (s *Server) checkAmendmentStart(a amendment) error {
	rd, found, err := s.readCustomerByID(a.edit.CustomerID)
	if err != nil || !found {
		return err
	}
	k := rd.Customer.Contract(a.edit.ContractID)
	if k == nil {
		return nil
	}
	if a.startingAt < k.StartingAt || (k.EndingBefore != 0 && a.startingAt >= k.EndingBefore) {
		term := "from " + tsv(k.StartingAt)
		if k.EndingBefore != 0 {
			term += " until " + tsv(k.EndingBefore)
		}
		return badRequest("starting_at: must lie within the contract's term (%s)", term)
	}
	return nil
}
