package importer

import (
	"context"
	"fmt"
	"sort"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
	"github.com/Metronome-Industries/metronome-go/v2/packages/param"
)

// loadSourceContracts reads every source customer's contracts with
// balances and ledgers, once.
func (r *run) loadSourceContracts(ctx context.Context) error {
	if len(r.sourceContracts) > 0 {
		return nil
	}
	for _, id := range r.sourceIDs(kindCustomers) {
		list, err := listContracts(ctx, r.src, id)
		if err != nil {
			return err
		}
		r.sourceContracts[id] = list
	}
	return nil
}

// sourceIDs are the source ids of kind mapped so far, sorted.
func (r *run) sourceIDs(kind string) []string {
	ids := make([]string, 0, len(r.ids[kind]))
	for id := range r.ids[kind] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func listContracts(ctx context.Context, a *api, customerID string) ([]contract, error) {
	res, err := a.sdk.V1.Contracts.List(ctx, metronome.V1ContractListParams{CustomerID: customerID,
		IncludeBalance: param.NewOpt(true), IncludeLedgers: param.NewOpt(true)})
	if err != nil {
		return nil, fmt.Errorf("%s: contracts of customer %s: %w", a.name, customerID, err)
	}
	var out []contract
	for _, k := range res.Data {
		var c contract
		if err := decode(k.RawJSON(), &c); err != nil {
			return nil, fmt.Errorf("%s: contract %s: %w", a.name, k.ID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// contracts copies every customer's contracts with their commits, credits,
// overrides and scheduled charges, then carries the remaining balances.
func (r *run) contracts(ctx context.Context) error {
	if err := r.loadSourceContracts(ctx); err != nil {
		return err
	}
	c := r.rep.kind(kindContracts)
	for _, srcCustomer := range r.sourceIDs(kindCustomers) {
		tc := r.target(kindCustomers, srcCustomer)
		if err := r.notePending(ctx, srcCustomer); err != nil {
			return err
		}
		imported := map[string]contract{}
		if !isDry(tc) {
			dst, err := listContracts(ctx, r.dst, tc)
			if err != nil {
				return err
			}
			for _, k := range dst {
				if id := k.CustomFields[SourceIDField]; id != "" {
					imported[id] = k
				}
			}
		}
		for _, k := range r.sourceContracts[srcCustomer] {
			if k.ArchivedAt != nil {
				continue
			}
			c.Source++
			have, ok := imported[k.ID]
			if ok {
				c.Existing++
			} else {
				if err := r.createContract(ctx, k, tc); err != nil {
					return fmt.Errorf("contract %s of customer %s: %w", k.ID, srcCustomer, err)
				}
				c.Created++
				if r.cfg.DryRun {
					r.mapID(kindContracts, k.ID, dryID(k.ID))
					r.countDryBalances(k)
					continue
				}
			}
			tk, err := r.balances(ctx, k, have, ok, tc)
			if err == nil {
				r.mapID(kindContracts, k.ID, tk.ID)
				err = r.thresholds(ctx, k, tk)
			}
			if err != nil {
				return fmt.Errorf("contract %s of customer %s: %w", k.ID, srcCustomer, err)
			}
		}
	}
	r.rep.progress(r.out, kindBalances)
	return nil
}

func (r *run) createContract(ctx context.Context, k contract, targetCustomer string) error {
	r.noteContract(k)
	drafts, err := draftInvoices(ctx, r.src, k.CustomerID)
	if err != nil {
		return err
	}
	body, err := r.contractBody(k, targetCustomer, drafts)
	if err != nil {
		return err
	}
	_, err = r.create(ctx, kindContracts, "v1/contracts/create", k.ID, body)
	return err
}

// noteContract records the parts of a contract the import does not carry.
func (r *run) noteContract(k contract) {
	parts := []struct {
		n    int
		what string
	}{
		{len(k.Subscriptions), "subscriptions"},
		{len(k.Current.RecurringCommits), "recurring commits (the commits they made so far are carried; no new ones will be made)"},
		{len(k.Current.RecurringCredits), "recurring credits (the credits they made so far are carried; no new ones will be made)"},
		{len(k.Current.Transitions), "transitions"},
		{len(k.Amendments), "amendments (the current terms are carried)"},
	}
	for _, p := range parts {
		if p.n > 0 {
			r.rep.note(kindContracts, k.ID, "%d %s not carried", p.n, p.what)
		}
	}

}

// draftInvoices are the ids of a customer's draft invoices: a schedule item
// on one is not billed yet, so it is carried (the target bills it; the
// source must stop billing at cutover), while an item on any other invoice
// was billed and is not carried.
func draftInvoices(ctx context.Context, a *api, customerID string) (map[string]bool, error) {
	list, err := collect[metronome.Invoice, struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}](a.sdk.V1.Customers.Invoices.ListAutoPaging(ctx, metronome.V1CustomerInvoiceListParams{CustomerID: customerID}))
	if err != nil {
		return nil, fmt.Errorf("%s: invoices of customer %s: %w", a.name, customerID, err)
	}
	drafts := map[string]bool{}
	for _, inv := range list {
		if inv.Status == "DRAFT" {
			drafts[inv.ID] = true
		}
	}
	return drafts, nil
}

// billed says whether a schedule item was billed by the source: it is on
// an invoice that is not a draft.
func billed(it invoiceItem, drafts map[string]bool) bool {
	return it.InvoiceID != nil && !drafts[*it.InvoiceID]
}

func (r *run) contractBody(k contract, targetCustomer string, drafts map[string]bool) (map[string]any, error) {
	t := k.Current
	body := map[string]any{"customer_id": targetCustomer, "starting_at": t.StartingAt, "custom_fields": marked(k.CustomFields, k.ID)}
	if t.RateCardID != "" {
		id := r.target(kindRateCards, t.RateCardID)
		if id == "" {
			return nil, fmt.Errorf("its rate card %s is not in the source's list", t.RateCardID)
		}
		body["rate_card_id"] = id
	}
	setIf(body, "name", t.Name)
	setIf(body, "ending_before", t.EndingBefore)
	setIf(body, "multiplier_override_prioritization", t.MultiplierOverridePrioritization)
	// The source's choice of invoices for scheduled charges carries over:
	// ALL keeps them on the usage invoices, absent gives SCHEDULED ones.
	if t.ScheduledChargesOnUsageInvoices == "ALL" || k.ScheduledChargesOnUsageInvoices == "ALL" {
		body["scheduled_charges_on_usage_invoices"] = "ALL"
	}
	if k.PrepaidOnly {
		body["prepaid_only"] = true
	}
	if us := t.UsageStatementSchedule; us["frequency"] != "" {
		s := map[string]any{"frequency": us["frequency"]}
		if us["billing_anchor_date"] != "" {
			s["day"], s["billing_anchor_date"] = "CUSTOM_DATE", us["billing_anchor_date"]
		}
		body["usage_statement_schedule"] = s
	}
	if err := r.addUsageFilter(body, k); err != nil {
		return nil, err
	}
	if bp := k.CustomerBillingProviderConfiguration; bp != nil {
		body["billing_provider_configuration"] = map[string]any{"billing_provider": bp.BillingProvider, "delivery_method": bp.DeliveryMethod}
	}
	for _, part := range []struct {
		key  string
		list []commit
	}{{"commits", t.Commits}, {"credits", t.Credits}} {
		var out []map[string]any
		for _, cm := range part.list {
			if cm.ArchivedAt != nil {
				continue
			}
			b, err := r.commitBody(cm, part.key == "credits", drafts)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", part.key, cm.ID, err)
			}
			out = append(out, b)
		}
		if out != nil {
			body[part.key] = out
		}
	}
	if err := r.addOverrides(body, t.Overrides); err != nil {
		return nil, err
	}
	return body, r.addCharges(body, k, t.ScheduledCharges, drafts)
}

func (r *run) commitBody(cm commit, credit bool, drafts map[string]bool) (map[string]any, error) {
	pid, err := r.productID(cm.Product.ID)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"product_id": pid, "custom_fields": marked(cm.CustomFields, cm.ID)}
	if !credit {
		body["type"] = cm.Type
	}
	setIf(body, "name", cm.Name)
	setIf(body, "description", cm.Description)
	setIf(body, "rate_type", cm.RateType)
	if cm.Priority != nil {
		body["priority"] = cm.Priority
	}
	if len(cm.ApplicableProductIDs) > 0 {
		ids, err := r.productIDs(cm.ApplicableProductIDs)
		if err != nil {
			return nil, err
		}
		body["applicable_product_ids"] = ids
	}
	if len(cm.ApplicableProductTags) > 0 {
		body["applicable_product_tags"] = cm.ApplicableProductTags
	}
	ct, err := r.creditTypeID(cm.AccessSchedule.CreditType.ID)
	if err != nil {
		return nil, err
	}
	access := map[string]any{}
	setIf(access, "credit_type_id", ct)
	var items []map[string]any
	for _, it := range cm.AccessSchedule.ScheduleItems {
		items = append(items, map[string]any{"starting_at": it.StartingAt, "ending_before": it.EndingBefore, "amount": it.Amount})
	}
	access["schedule_items"] = items
	body["access_schedule"] = access
	if len(cm.PaymentGateConfig) > 0 && string(cm.PaymentGateConfig) != "null" {
		r.rep.note(kindBalances, cm.ID, "payment_gate_config not carried (the purchase was settled in the source)")
	}
	if !credit && cm.InvoiceSchedule != nil && len(cm.InvoiceSchedule.ScheduleItems) > 0 {
		body["invoice_schedule"] = r.invoiceScheduleBody(cm, ct, drafts)
	}
	return body, nil
}

// invoiceScheduleBody carries a commit's invoice schedule without billing
// twice: items the source already billed are dropped (all of them
// invoiced: the schedule is kept with do_not_invoice, for the burn-down
// order), and the summary says so.
func (r *run) invoiceScheduleBody(cm commit, creditType string, drafts map[string]bool) map[string]any {
	is := cm.InvoiceSchedule
	var all, pending []map[string]any
	for _, it := range is.ScheduleItems {
		b := invoiceItemBody(it)
		all = append(all, b)
		if !billed(it, drafts) {
			pending = append(pending, b)
		}
	}
	out := map[string]any{}
	setIf(out, "credit_type_id", creditType)
	switch {
	case is.DoNotInvoice || len(pending) == 0:
		out["do_not_invoice"], out["schedule_items"] = true, all
	case len(pending) < len(all):
		r.rep.note(kindBalances, cm.ID, "%d invoice schedule items the source already invoiced not carried (not billed again)", len(all)-len(pending))
		out["schedule_items"] = pending
	default:
		out["schedule_items"] = all
	}
	return out
}

func invoiceItemBody(it invoiceItem) map[string]any {
	b := map[string]any{"timestamp": it.Timestamp}
	if it.UnitPrice != nil && it.Quantity != nil {
		b["unit_price"], b["quantity"] = it.UnitPrice, it.Quantity
	} else {
		b["amount"] = it.Amount
	}
	return b
}

func (r *run) addOverrides(body map[string]any, list []override) error {
	var out []map[string]any
	for _, o := range list {
		b := map[string]any{"starting_at": o.StartingAt}
		setIf(b, "ending_before", o.EndingBefore)
		setIf(b, "type", o.Type)
		if o.Product != nil && o.Product.ID != "" {
			pid, err := r.productID(o.Product.ID)
			if err != nil {
				return fmt.Errorf("override: %w", err)
			}
			b["product_id"] = pid
		}
		if len(o.ApplicableProductTags) > 0 {
			b["applicable_product_tags"] = o.ApplicableProductTags
		}
		if o.Entitled != nil {
			b["entitled"] = *o.Entitled
		}
		for key, v := range map[string]any{"multiplier": o.Multiplier, "priority": o.Priority} {
			if v != nil {
				b[key] = v
			}
		}
		if len(o.OverwriteRate) > 0 {
			ow := map[string]any{"rate_type": o.OverwriteRate["rate_type"]}
			for _, key := range []string{"price", "tiers"} {
				if v := o.OverwriteRate[key]; v != nil {
					ow[key] = v
				}
			}
			b["overwrite_rate"] = ow
		}
		out = append(out, b)
	}
	if out != nil {
		body["overrides"] = out
	}
	return nil
}

// addCharges carries the scheduled charges' items the source has not
// billed (a billed item would be billed twice).
func (r *run) addCharges(body map[string]any, k contract, list []charge, drafts map[string]bool) error {
	var out []map[string]any
	for _, ch := range list {
		if ch.ArchivedAt != nil {
			continue
		}
		var items []map[string]any
		for _, it := range ch.Schedule.ScheduleItems {
			if !billed(it, drafts) {
				items = append(items, invoiceItemBody(it))
			}
		}
		if n := len(ch.Schedule.ScheduleItems) - len(items); n > 0 {
			r.rep.note(kindContracts, k.ID, "scheduled charge %s (%q): %d items the source already invoiced not carried (not billed again)", ch.ID, ch.Name, n)
		}
		if len(items) == 0 {
			continue
		}
		pid, err := r.productID(ch.Product.ID)
		if err != nil {
			return fmt.Errorf("scheduled charge %s: %w", ch.ID, err)
		}
		ct, err := r.creditTypeID(ch.Schedule.CreditType.ID)
		if err != nil {
			return err
		}
		sched := map[string]any{"schedule_items": items}
		setIf(sched, "credit_type_id", ct)
		b := map[string]any{"product_id": pid, "schedule": sched, "custom_fields": marked(ch.CustomFields, ch.ID)}
		setIf(b, "name", ch.Name)
		out = append(out, b)
	}
	if out != nil {
		body["scheduled_charges"] = out
	}
	return nil
}
