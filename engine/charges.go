package engine

import (
	"strconv"
	"time"

	"burndown/money"
)

// maxChargeItems bounds the items one scheduled charge may generate, so no
// command can make an apply slow.
const maxChargeItems = 1000

// decimalAmount converts an optional decimal of a command, naming the field.
func decimalAmount(d *money.Amount, field string) (money.Amount, *Error) {
	a, err := inputAmount(*d)
	if err != nil {
		return money.Amount{}, errorf(Invalid, "%s: %v", field, err)
	}
	if a.IsNegative() {
		return money.Amount{}, errorf(Invalid, "%s: must not be negative", field)
	}
	return a, nil
}

// itemAmount reads an item's amount, or its unit price times quantity.
func itemAmount(amount, unitPrice, quantity *money.Amount, field string) (total, price, qty money.Amount, err *Error) {
	switch {
	case amount != nil && (unitPrice != nil || quantity != nil):
		return total, price, qty, errorf(Invalid, "%s.amount: give amount, or unit_price and quantity, not both", field)
	case amount != nil:
		total, err = decimalAmount(amount, field+".amount")
		return total, total, amountOne, err
	case unitPrice != nil && quantity != nil:
		if price, err = decimalAmount(unitPrice, field+".unit_price"); err != nil {
			return
		}
		if qty, err = decimalAmount(quantity, field+".quantity"); err != nil {
			return
		}
		return price.Mul(qty), price, qty, nil
	}
	return total, price, qty, errorf(Invalid, "%s.amount: amount, or unit_price and quantity, is required", field)
}

// newScheduledCharge validates a scheduled charge against the catalog and the
// contract's term and expands its schedule into items. field names it in
// errors (e.g. "scheduled_charges[0]"); id is its id.
func newScheduledCharge(cat *Catalog, rc *RateCard, k *Contract, field, id string, in *ScheduledChargeInput, now Nanos) (*ScheduledCharge, *Error) {
	p := cat.Products[in.ProductID]
	if p == nil {
		return nil, errorf(NotFound, "%s.product_id: product %s not found", field, in.ProductID)
	}
	if p.Type != ProductFixed {
		return nil, errorf(Invalid, "%s.product_id: product %s is %s; scheduled charges need a FIXED product", field, in.ProductID, p.Type)
	}
	ct := in.CreditTypeID
	if ct == "" {
		ct = rc.FiatCreditTypeID
	}
	if ct != rc.FiatCreditTypeID {
		return nil, errorf(Invalid, "%s.schedule.credit_type_id: must be the rate card's fiat credit type %s (charges in a custom pricing unit are not supported yet)",
			field, rc.FiatCreditTypeID)
	}
	if in.ID != "" {
		id = in.ID
	}
	ch := &ScheduledCharge{ID: id, ProductID: in.ProductID, Name: in.Name, CreditTypeID: ct, CustomFields: in.CustomFields, CreatedAt: now}
	switch {
	case len(in.Items) > 0 && in.Recurring != nil:
		return nil, errorf(Invalid, "%s.schedule.recurring_schedule: give schedule_items or recurring_schedule, not both", field)
	case len(in.Items) > maxChargeItems:
		return nil, errorf(Invalid, "%s.schedule.schedule_items: at most %d items", field, maxChargeItems)
	case len(in.Items) > 0:
		for j := range in.Items {
			it := &in.Items[j]
			f := field + ".schedule.schedule_items[" + strconv.Itoa(j) + "]"
			total, price, qty, err := itemAmount(it.Amount, it.UnitPrice, it.Quantity, f)
			if err != nil {
				return nil, err
			}
			ch.Items = append(ch.Items, ChargeItem{Timestamp: it.Timestamp, Amount: total, UnitPrice: price, Quantity: qty})
		}
	case in.Recurring != nil:
		items, err := expandRecurring(in.Recurring, field+".schedule.recurring_schedule")
		if err != nil {
			return nil, err
		}
		ch.Items = items
	default:
		return nil, errorf(Invalid, "%s.schedule: schedule_items or recurring_schedule is required", field)
	}
	for j := range ch.Items {
		it := &ch.Items[j]
		it.ID = DeriveID(id, "item", strconv.Itoa(j))
		if !k.InForce(it.Timestamp) {
			return nil, errorf(Invalid, "%s.schedule: item at %s is outside the contract's term", field, fmtTime(it.Timestamp))
		}
	}
	return ch, nil
}

// expandRecurring generates a recurring schedule's items: one every
// frequency from starting_at while before ending_before. DIVIDED splits the
// amount across them (rounded to 12 places, DIVIDED_ROUNDED to 2, the
// remainder on the last item, so they add up exactly); EACH bills the amount
// on every item.
func expandRecurring(r *RecurringScheduleInput, field string) ([]ChargeItem, *Error) {
	if r.EndingBefore <= r.StartingAt {
		return nil, errorf(Invalid, "%s.ending_before: must be after starting_at", field)
	}
	switch r.Frequency {
	case FrequencyMonthly, FrequencyQuarterly, FrequencySemiAnnual, FrequencyAnnual:
	default:
		return nil, errorf(Invalid, "%s.frequency: must be MONTHLY, QUARTERLY, SEMI_ANNUAL or ANNUAL", field)
	}
	months := frequencyMonths(r.Frequency)
	var stamps []Nanos
	for n := 0; ; n++ {
		t := addMonths(r.StartingAt, n*months)
		if t >= r.EndingBefore {
			break
		}
		if len(stamps) == maxChargeItems {
			return nil, errorf(Invalid, "%s: generates more than %d items", field, maxChargeItems)
		}
		stamps = append(stamps, t)
	}
	total, price, qty, err := itemAmount(r.Amount, r.UnitPrice, r.Quantity, field)
	if err != nil {
		return nil, err
	}
	items := make([]ChargeItem, len(stamps))
	switch r.AmountDistribution {
	case DistributionEach:
		for i, t := range stamps {
			items[i] = ChargeItem{Timestamp: t, Amount: total, UnitPrice: price, Quantity: qty}
		}
	case DistributionDivided, DistributionDividedRounded:
		places := money.MaxFractionDigits
		if r.AmountDistribution == DistributionDividedRounded {
			places = 2
		}
		n := int64(len(stamps))
		each := total.DivRoundHalfUp(n, places)
		last := total.Sub(each.Mul(money.FromInt(n - 1)))
		for i, t := range stamps {
			a := each
			if i == len(stamps)-1 {
				a = last
			}
			items[i] = ChargeItem{Timestamp: t, Amount: a, UnitPrice: a, Quantity: amountOne}
		}
	default:
		return nil, errorf(Invalid, "%s.amount_distribution: must be DIVIDED, DIVIDED_ROUNDED or EACH", field)
	}
	return items, nil
}

// billCharge puts the charge's items on the usage invoices of their periods,
// or on SCHEDULED invoices of their timestamps (scheduled_invoice.go). An
// item whose invoice is finalized is refused, and so is one whose usage
// period has closed without an invoice unless allowClosed (a new,
// backdated contract: its past statements are created and finalized at
// once; a past SCHEDULED invoice is too).
func (k *Contract) billCharge(ch *ScheduledCharge, rc *RateCard, field string, allowClosed bool, now Nanos) *Error {
	ct := ch.CreditTypeID
	if ct == "" {
		ct = rc.FiatCreditTypeID
	}
	for j := range ch.Items {
		it := &ch.Items[j]
		inv, closed := k.chargeInvoice(it.Timestamp, ct, allowClosed, now)
		if closed {
			what := "statement period"
			if k.SeparateScheduledInvoices {
				what = "SCHEDULED invoice"
			}
			return errorf(Invalid, "%s.schedule: the %s of the item at %s is finalized", field, what, fmtTime(it.Timestamp))
		}
		if inv.CreditTypeID == "" {
			inv.CreditTypeID = rc.FiatCreditTypeID
		}
		inv.Lines = append(inv.Lines, &InvoiceLine{
			Type: LineScheduled, ProductID: ch.ProductID, CreditTypeID: ch.CreditTypeID,
			Quantity: it.Quantity, Total: it.Amount, Item: NewLineItem(ch.ID, it.ID, it.UnitPrice),
		})
		inv.Total = inv.Total.Add(it.Amount)
		it.InvoiceID = inv.ID
	}
	return nil
}

// unbillItem takes an item off its draft invoice (no-op when finalized).
func (k *Contract) unbillItem(it *ChargeItem) bool {
	inv := k.Invoice(it.InvoiceID)
	if inv == nil {
		return true
	}
	if inv.Status != InvoiceDraft {
		return false
	}
	for i, l := range inv.Lines {
		if l.Type == LineScheduled && l.ItemID() == it.ID {
			inv.Lines = append(inv.Lines[:i], inv.Lines[i+1:]...)
			inv.Total = inv.Total.Sub(l.Total)
			break
		}
	}
	k.dropEmptyScheduled(inv)
	it.InvoiceID = ""
	return true
}

func fmtTime(t Nanos) string { return time.Unix(0, t).UTC().Format(time.RFC3339) }
