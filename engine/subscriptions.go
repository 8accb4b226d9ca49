package engine

import (
	"sort"
	"strconv"

	"burndown/money"
)

// Subscriptions (seats).
//
// A subscription bills a SUBSCRIPTION product at its rate-card rate for the
// subscription's billing frequency (MONTHLY, QUARTERLY or ANNUAL), times
// the quantity (seats) in force. Billing periods are whole multiples of the
// frequency from the contract's statement anchor (the first of the month of
// its start, unless the statement schedule says otherwise), cut to the
// subscription's term; a period cut short is prorated when is_prorated.
//
// Each billing period is charged once, when it starts, for the quantity in
// force then: ADVANCE on the usage invoice of the statement period
// containing the billing period's start, ARREARS on the one containing its
// last instant. Within a period the customer pays for the highest quantity
// reached: an increase above it adds a charge for the delta, prorated for
// the rest of the period (prorate) when is_prorated, on the current usage
// invoice (BILL_IMMEDIATELY) or on the one at the next period's start
// (BILL_ON_NEXT_COLLECTION_DATE; ARREARS: the period's last invoice). A
// decrease charges and refunds nothing; it lowers what the next period
// bills. A seat removed and added back in the same period is not charged
// twice.
//
// Quantity changes are scheduled transitions: they (and each period's
// charge) are applied by the tick at their time, or at once by the command
// that makes one due (advanceSeats). A quantity update may not start before
// the time of the edit that makes it (backdated seat changes are refused).

// Subscription collection schedules and invoice behaviors.
const (
	CollectAdvance          = "ADVANCE"
	CollectArrears          = "ARREARS"
	BillImmediately         = "BILL_IMMEDIATELY"
	BillOnNextCollectionDay = "BILL_ON_NEXT_COLLECTION_DATE"
	// LineSubscription is a subscription charge on a usage invoice
	// (ChargeID the subscription, ItemID the charge).
	LineSubscription = "subscription"
)

// maxQuantitySteps bounds a subscription's quantity schedule, so no command
// can make an apply slow.
const maxQuantitySteps = 1000

// SubscriptionInput is a subscription as given on a contract or an edit's
// add_subscriptions.
type SubscriptionInput struct {
	ID string `msgpack:"ID"`
	// TemporaryID names the subscription for a recurring credit's
	// subscription_config in the same request.
	TemporaryID        string        `msgpack:"TemporaryID"`
	Name               string        `msgpack:"Name"`
	ProductID          string        `msgpack:"ProductID"`
	BillingFrequency   string        `msgpack:"BillingFrequency"`
	CollectionSchedule string        `msgpack:"CollectionSchedule"`
	InitialQuantity    *money.Amount `msgpack:"InitialQuantity"`
	IsProrated         bool          `msgpack:"IsProrated"`
	InvoiceBehavior    string        `msgpack:"InvoiceBehavior"`
	StartingAt         Nanos         `msgpack:"StartingAt"`
	EndingBefore       Nanos         `msgpack:"EndingBefore"`
}

// QuantityUpdate is one of update_subscriptions' quantity_updates: an
// absolute Quantity or a QuantityDelta, from StartingAt.
type QuantityUpdate struct {
	StartingAt    Nanos         `msgpack:"StartingAt"`
	Quantity      *money.Amount `msgpack:"Quantity"`
	QuantityDelta *money.Amount `msgpack:"QuantityDelta"`
}

// SubscriptionUpdate is one of an edit's update_subscriptions.
type SubscriptionUpdate struct {
	SubscriptionID  string           `msgpack:"SubscriptionID"`
	QuantityUpdates []QuantityUpdate `msgpack:"QuantityUpdates"`
}

// Subscription is a contract's subscription as applied.
type Subscription struct {
	ID                 string `msgpack:"ID"`
	Name               string `msgpack:"Name"`
	ProductID          string `msgpack:"ProductID"`
	BillingFrequency   string `msgpack:"BillingFrequency"`
	CollectionSchedule string `msgpack:"CollectionSchedule"`
	IsProrated         bool   `msgpack:"IsProrated"`
	InvoiceBehavior    string `msgpack:"InvoiceBehavior"`
	StartingAt         Nanos  `msgpack:"StartingAt"`
	EndingBefore       Nanos  `msgpack:"EndingBefore"`
	CreatedAt          Nanos  `msgpack:"CreatedAt"`
	// Quantities is the quantity schedule, by time; the first step is at
	// StartingAt.
	Quantities []QuantityStep `msgpack:"Quantities"`
	// StepsDone counts the steps already applied (charged or not).
	StepsDone int `msgpack:"StepsDone"`
	// NextPeriod is the start of the next billing period to charge (0: none
	// left). PeriodStart and PeriodEnd are the period charged last, and
	// BilledQuantity the highest quantity charged for it.
	NextPeriod     Nanos        `msgpack:"NextPeriod"`
	PeriodStart    Nanos        `msgpack:"PeriodStart"`
	PeriodEnd      Nanos        `msgpack:"PeriodEnd"`
	BilledQuantity money.Amount `msgpack:"BilledQuantity"`
	// Charges lists every charge made, oldest first.
	Charges []SubscriptionCharge `msgpack:"Charges"`
}

// QuantityStep sets the quantity from At on.
type QuantityStep struct {
	At       Nanos        `msgpack:"At"`
	Quantity money.Amount `msgpack:"Quantity"`
}

// SubscriptionCharge is one charge of a subscription: Quantity seats at
// UnitPrice for [From, PeriodEnd) of the billing period starting PeriodStart.
type SubscriptionCharge struct {
	ID          string       `msgpack:"ID"`
	PeriodStart Nanos        `msgpack:"PeriodStart"`
	PeriodEnd   Nanos        `msgpack:"PeriodEnd"`
	From        Nanos        `msgpack:"From"`
	Quantity    money.Amount `msgpack:"Quantity"`
	UnitPrice   money.Amount `msgpack:"UnitPrice"`
	Total       money.Amount `msgpack:"Total"`
	Prorated    bool         `msgpack:"Prorated"`
	InvoiceID   string       `msgpack:"InvoiceID"`
}

// QuantityAt is the subscription's quantity at t (zero before it starts).
func (sub *Subscription) QuantityAt(t Nanos) money.Amount {
	var q money.Amount
	for _, st := range sub.Quantities {
		if st.At > t {
			break
		}
		q = st.Quantity
	}
	return q
}

// Subscription returns the contract's subscription with this id, or nil.
func (k *Contract) Subscription(id string) *Subscription {
	for _, sub := range k.Subscriptions() {
		if sub.ID == id {
			return sub
		}
	}
	return nil
}

// seatAnchor is where the contract's billing periods are counted from.
func (k *Contract) seatAnchor() Nanos {
	if k.StatementAnchor != 0 {
		return k.StatementAnchor
	}
	return firstOfMonth(k.StartingAt)
}

// termEnd is the earlier of two ends (0: open).
func termEnd(a, b Nanos) Nanos {
	switch {
	case a == 0:
		return b
	case b == 0 || a < b:
		return a
	}
	return b
}

// end is when the subscription stops billing: its end or the contract's.
func (sub *Subscription) end(k *Contract) Nanos { return termEnd(sub.EndingBefore, k.EndingBefore) }

// period returns the whole billing period containing t and that period cut
// to the subscription's term.
func (sub *Subscription) period(k *Contract, t Nanos) (fs, fe, s, e Nanos) {
	fs, fe = anchoredPeriod(k.seatAnchor(), frequencyMonths(sub.BillingFrequency), t)
	s, e = fs, fe
	if s < sub.StartingAt {
		s = sub.StartingAt
	}
	if end := sub.end(k); end != 0 && e > end {
		e = end
	}
	return
}

// subscriptionRate is the rate card's subscription rate of the product for
// the billing frequency in force at t, or nil: a SUBSCRIPTION rate, or a
// FLAT rate with a billing frequency (Metronome documents a subscription
// product's price that way; applyAddRates allows it on SUBSCRIPTION
// products only).
func subscriptionRate(rc *RateCard, productID, freq string, t Nanos) *Rate {
	var found *Rate
	for i := range rc.Rates[productID] {
		r := &rc.Rates[productID][i]
		if r.StartingAt > t {
			break
		}
		if (r.EndingBefore != 0 && t >= r.EndingBefore) || (r.RateType != RateSubscription && r.RateType != RateFlat) || r.BillingFrequency != freq {
			continue
		}
		found = r
	}
	return found
}

// newSubscription validates a subscription against the catalog and the
// contract's term.
func newSubscription(cat *Catalog, rc *RateCard, k *Contract, field, id string, in *SubscriptionInput, now Nanos) (*Subscription, *Error) {
	p := cat.Products[in.ProductID]
	if p == nil {
		return nil, errorf(NotFound, "%s.subscription_rate.product_id: product %s not found", field, in.ProductID)
	}
	if p.Type != ProductSubscription {
		return nil, errorf(Invalid, "%s.subscription_rate.product_id: product %s is %s; subscriptions need a SUBSCRIPTION product", field, in.ProductID, p.Type)
	}
	switch in.BillingFrequency {
	case FrequencyMonthly, FrequencyQuarterly, FrequencyAnnual:
	default:
		return nil, errorf(Invalid, "%s.subscription_rate.billing_frequency: must be MONTHLY, QUARTERLY or ANNUAL", field)
	}
	switch in.CollectionSchedule {
	case CollectAdvance, CollectArrears:
	default:
		return nil, errorf(Invalid, "%s.collection_schedule: must be ADVANCE or ARREARS", field)
	}
	behavior := in.InvoiceBehavior
	switch behavior {
	case "":
		behavior = BillImmediately
	case BillImmediately, BillOnNextCollectionDay:
	default:
		return nil, errorf(Invalid, "%s.proration.invoice_behavior: must be BILL_IMMEDIATELY or BILL_ON_NEXT_COLLECTION_DATE", field)
	}
	start, end := in.StartingAt, in.EndingBefore
	if start == 0 {
		start = k.StartingAt
	}
	if end == 0 {
		end = k.EndingBefore
	}
	if start < k.StartingAt || (k.EndingBefore != 0 && (start >= k.EndingBefore || end > k.EndingBefore)) {
		return nil, errorf(Invalid, "%s.starting_at: the subscription must lie within the contract's term (%s)", field, termString(k.StartingAt, k.EndingBefore))
	}
	if end != 0 && end <= start {
		return nil, errorf(Invalid, "%s.ending_before: must be after starting_at", field)
	}
	r := subscriptionRate(rc, in.ProductID, in.BillingFrequency, start)
	if r == nil {
		return nil, errorf(Invalid, "%s.subscription_rate: rate card %s has no SUBSCRIPTION rate for product %s billed %s at %s",
			field, rc.ID, in.ProductID, in.BillingFrequency, fmtTime(start))
	}
	if ct := r.CreditTypeID; ct != "" && ct != rc.FiatCreditTypeID {
		return nil, errorf(Invalid, "%s.subscription_rate: the rate is in credit type %s; subscriptions bill in the rate card's fiat credit type", field, ct)
	}
	var q money.Amount
	if in.InitialQuantity != nil {
		var err *Error
		if q, err = decimalAmount(in.InitialQuantity, field+".initial_quantity"); err != nil {
			return nil, err
		}
	}
	if in.ID != "" {
		id = in.ID
	}
	sub := &Subscription{
		ID: id, Name: in.Name, ProductID: in.ProductID, BillingFrequency: in.BillingFrequency, CollectionSchedule: in.CollectionSchedule,
		IsProrated: in.IsProrated, InvoiceBehavior: behavior, StartingAt: start, EndingBefore: in.EndingBefore, CreatedAt: now,
		Quantities: []QuantityStep{{At: start, Quantity: q}}, NextPeriod: start,
	}
	return sub, nil
}

// updateQuantities applies one update_subscriptions entry: each quantity
// update, in the order sent, sets (or moves by a delta) the quantity from
// its time on. field names it in errors.
func (sub *Subscription) updateQuantities(k *Contract, field string, u *SubscriptionUpdate, now Nanos) *Error {
	for j := range u.QuantityUpdates {
		qu := &u.QuantityUpdates[j]
		f := field + ".quantity_updates[" + strconv.Itoa(j) + "]"
		if qu.StartingAt < now {
			return errorf(Invalid, "%s.starting_at: %s is before the edit (%s); backdated quantity changes are not supported by this server yet",
				f, fmtTime(qu.StartingAt), fmtTime(now))
		}
		if qu.StartingAt < sub.StartingAt || (sub.end(k) != 0 && qu.StartingAt >= sub.end(k)) {
			return errorf(Invalid, "%s.starting_at: outside the subscription's term", f)
		}
		var q money.Amount
		switch {
		case qu.Quantity != nil && qu.QuantityDelta != nil:
			return errorf(Invalid, "%s.quantity: give quantity or quantity_delta, not both", f)
		case qu.Quantity != nil:
			var err *Error
			if q, err = decimalAmount(qu.Quantity, f+".quantity"); err != nil {
				return err
			}
		case qu.QuantityDelta != nil:
			d, err := inputAmount(*qu.QuantityDelta)
			if err != nil {
				return errorf(Invalid, "%s.quantity_delta: %v", f, err)
			}
			if d.IsZero() {
				return errorf(Invalid, "%s.quantity_delta: must not be zero", f)
			}
			q = sub.QuantityAt(qu.StartingAt).Add(d)
			if q.IsNegative() {
				return errorf(Invalid, "%s.quantity_delta: the quantity would fall below zero", f)
			}
		default:
			return errorf(Invalid, "%s.quantity: quantity or quantity_delta is required", f)
		}
		if len(sub.Quantities) >= maxQuantitySteps {
			return errorf(Invalid, "%s: a subscription has at most %d quantity changes", f, maxQuantitySteps)
		}
		// The new step replaces the schedule from its time: later steps
		// keep their own values (a delta was relative when it was sent).
		i := sort.Search(len(sub.Quantities), func(i int) bool { return sub.Quantities[i].At > qu.StartingAt })
		sub.Quantities = append(sub.Quantities, QuantityStep{})
		copy(sub.Quantities[i+1:], sub.Quantities[i:])
		sub.Quantities[i] = QuantityStep{At: qu.StartingAt, Quantity: q}
	}
	return nil
}

// advanceSubscription applies, in time order up to now, the subscription's
// period starts (a charge for the quantity then) and quantity steps (a
// charge for an increase above what the period was charged for).
func (k *Contract) advanceSubscription(sub *Subscription, rc *RateCard, now Nanos) {
	for {
		periodDue := sub.NextPeriod != 0 && sub.NextPeriod <= now
		stepDue := sub.StepsDone < len(sub.Quantities) && sub.Quantities[sub.StepsDone].At <= now
		if !periodDue && !stepDue {
			return
		}
		if periodDue && (!stepDue || sub.NextPeriod <= sub.Quantities[sub.StepsDone].At) {
			at := sub.NextPeriod
			fs, fe, s, e := sub.period(k, at)
			q := sub.QuantityAt(at)
			sub.PeriodStart, sub.PeriodEnd, sub.BilledQuantity = s, e, q
			sub.NextPeriod = 0
			if end := sub.end(k); end == 0 || e < end {
				sub.NextPeriod = e
			}
			target := s
			if sub.CollectionSchedule == CollectArrears {
				target = e - 1
			}
			k.chargeSubscription(sub, rc, s, e, s, fe-fs, q, target)
			continue
		}
		st := sub.Quantities[sub.StepsDone]
		sub.StepsDone++
		if st.At < sub.PeriodStart || st.At >= sub.PeriodEnd || !st.Quantity.GreaterThan(sub.BilledQuantity) {
			continue // before the first period, after the term, or no increase
		}
		delta := st.Quantity.Sub(sub.BilledQuantity)
		sub.BilledQuantity = st.Quantity
		fs, fe, _, _ := sub.period(k, st.At)
		target := st.At
		switch {
		case sub.CollectionSchedule == CollectArrears:
			target = sub.PeriodEnd - 1
		case sub.InvoiceBehavior == BillOnNextCollectionDay && k.InForce(sub.PeriodEnd):
			target = sub.PeriodEnd
		}
		k.chargeSubscription(sub, rc, sub.PeriodStart, sub.PeriodEnd, st.At, fe-fs, delta, target)
	}
}

// chargeSubscription charges q seats for [from, end) of the billing period
// [start, end) whose whole length is length, on the usage invoice of the
// statement period containing target. An invoice already finalized takes
// nothing (the charge is kept, with no invoice).
func (k *Contract) chargeSubscription(sub *Subscription, rc *RateCard, start, end, from, length int64, q money.Amount, target Nanos) {
	if !q.IsPositive() || rc == nil {
		return
	}
	r := subscriptionRate(rc, sub.ProductID, sub.BillingFrequency, start)
	if r == nil {
		return
	}
	price := r.price
	full := price.Mul(q)
	total, prorated := full, false
	if sub.IsProrated && end-from < length {
		total, prorated = prorate(full, end-from, length), true
	}
	ch := SubscriptionCharge{
		ID:          DeriveID(sub.ID, "charge", strconv.Itoa(len(sub.Charges))),
		PeriodStart: start, PeriodEnd: end, From: from, Quantity: q, UnitPrice: price, Total: total, Prorated: prorated,
	}
	if k.InForce(target) {
		inv := k.findInvoice(target)
		if inv == nil {
			inv, _ = k.invoiceFor(target)
		}
		if inv.Status == InvoiceDraft {
			if inv.CreditTypeID == "" {
				inv.CreditTypeID = rc.FiatCreditTypeID
			}
			inv.Lines = append(inv.Lines, &InvoiceLine{
				Type: LineSubscription, ProductID: sub.ProductID, CreditTypeID: rc.FiatCreditTypeID,
				Quantity: q, Total: total, Item: NewLineItem(sub.ID, ch.ID, price),
			})
			inv.Total = inv.Total.Add(total)
			ch.InvoiceID = inv.ID
		}
	}
	sub.Charges = append(sub.Charges, ch)
}

// Charge returns the subscription's charge with this id, or nil.
func (sub *Subscription) Charge(id string) *SubscriptionCharge {
	for i := range sub.Charges {
		if sub.Charges[i].ID == id {
			return &sub.Charges[i]
		}
	}
	return nil
}

// advanceSeats applies the contract's subscription and recurring-grant
// transitions due up to now (a tick, or the command that made them due).
func (k *Contract) advanceSeats(rc *RateCard, now Nanos) {
	for _, sub := range k.Subscriptions() {
		k.advanceSubscription(sub, rc, now)
	}
	for _, r := range k.Recurring() {
		k.advanceRecurring(r, now)
	}
}

// nextSeatTransition is the earliest time after now a subscription or
// recurring grant of the contract has something to apply, or 0.
func (k *Contract) nextSeatTransition(now Nanos) Nanos {
	var next Nanos
	consider := func(t Nanos) {
		if t > now && (next == 0 || t < next) {
			next = t
		}
	}
	for _, sub := range k.Subscriptions() {
		consider(sub.NextPeriod)
		if sub.StepsDone < len(sub.Quantities) {
			consider(sub.Quantities[sub.StepsDone].At)
		}
	}
	for _, r := range k.Recurring() {
		consider(r.NextGrant)
		if sub := k.Subscription(r.SubscriptionID); sub != nil && r.StepsDone < len(sub.Quantities) {
			consider(sub.Quantities[r.StepsDone].At)
		}
	}
	return next
}

// cloneSeats deep-copies the contract's subscriptions and recurring
// balances into n (for edits that apply all or nothing).
func (k *Contract) cloneSeats(n *Contract) {
	if k.Subscriptions() != nil {
		n.Extra.Subscriptions = make([]*Subscription, len(k.Subscriptions()))
		for i, sub := range k.Subscriptions() {
			c := *sub
			c.Quantities = append([]QuantityStep(nil), sub.Quantities...)
			c.Charges = append([]SubscriptionCharge(nil), sub.Charges...)
			n.Extra.Subscriptions[i] = &c
		}
	}
	if k.Recurring() != nil {
		n.Extra.Recurring = make([]*RecurringBalance, len(k.Recurring()))
		for i, r := range k.Recurring() {
			c := *r
			n.Extra.Recurring[i] = &c
		}
	}
}

// editAddSubscriptions is the edit's add_subscriptions.
func editAddSubscriptions(x *editCtx) *Error {
	for i := range x.cmd.AddSubscriptions {
		field := "add_subscriptions[" + strconv.Itoa(i) + "]"
		sub, err := newSubscription(x.cat, x.rc, x.k, field, DeriveID(x.id, "subscription", strconv.Itoa(i)), &x.cmd.AddSubscriptions[i], x.now)
		if err != nil {
			return err
		}
		if x.k.Subscription(sub.ID) != nil {
			return errorf(Conflict, "%s.id: subscription %s already exists on the contract", field, sub.ID)
		}
		if sub.StartingAt < x.now {
			return errorf(Invalid, "%s.starting_at: %s is before the edit; backdated subscriptions are not supported by this server yet", field, fmtTime(sub.StartingAt))
		}
		x.k.EditExtra(func(e *ContractExtra) { e.Subscriptions = append(e.Subscriptions, sub) })
	}
	return nil
}

// editUpdateSubscriptions is the edit's update_subscriptions.
func editUpdateSubscriptions(x *editCtx) *Error {
	for i := range x.cmd.UpdateSubscriptions {
		u := &x.cmd.UpdateSubscriptions[i]
		field := "update_subscriptions[" + strconv.Itoa(i) + "]"
		sub := x.k.Subscription(u.SubscriptionID)
		if sub == nil {
			return errorf(NotFound, "%s.subscription_id: subscription %s not found", field, u.SubscriptionID)
		}
		if err := sub.updateQuantities(x.k, field, u, x.now); err != nil {
			return err
		}
	}
	return nil
}

// subscriptionProduct reports whether the product is a SUBSCRIPTION product:
// billed by its subscription, never gated by a prepaid balance.
func subscriptionProduct(cat *Catalog, productID string) bool {
	p := cat.Products[productID]
	return p != nil && p.Type == ProductSubscription
}

// addSeats builds a new contract's subscriptions, then its recurring
// credits and commits (which may name a subscription by temporary_id), and
// applies what is already due.
func (s *shard) addSeats(c *Customer, cat *Catalog, rc *RateCard, k *Contract, subs []SubscriptionInput, field string, credits, commits []RecurringInput, now Nanos) *Error {
	temp := map[string]string{}
	for i := range subs {
		f := field + "[" + strconv.Itoa(i) + "]"
		sub, err := newSubscription(cat, rc, k, f, DeriveID(k.ID, "subscription", strconv.Itoa(i)), &subs[i], now)
		if err != nil {
			return err
		}
		if k.Subscription(sub.ID) != nil {
			return errorf(Conflict, "%s.id: subscription %s already exists on the contract", f, sub.ID)
		}
		if t := subs[i].TemporaryID; t != "" {
			temp[t] = sub.ID
		}
		k.EditExtra(func(e *ContractExtra) { e.Subscriptions = append(e.Subscriptions, sub) })
	}
	if err := s.addRecurring(c, cat, rc, k, "recurring_credits", credits, CommitCredit, temp, now); err != nil {
		return err
	}
	if err := s.addRecurring(c, cat, rc, k, "recurring_commits", commits, CommitPrepaid, temp, now); err != nil {
		return err
	}
	if i, product := subscriptionPriceOverride(cat, k.Overrides, k.Subscriptions()); i >= 0 {
		return errorf(Invalid, "overrides[%d]: changes the price of subscription product %s; overrides of subscription prices are not supported by this server yet", i, product)
	}
	k.advanceSeats(rc, now)
	return nil
}

// subscriptionPriceOverride finds an override that would change the price of
// a product the contract subscribes to. Subscription charges do not apply
// overrides yet, so such a contract is refused rather than billed at the
// rate card's price (a wrong bill is worse than an error). It returns the
// override's index and the product, or -1.
func subscriptionPriceOverride(cat *Catalog, overrides []Override, subs []*Subscription) (int, string) {
	for i := range overrides {
		o := &overrides[i]
		if o.Type != "MULTIPLIER" && o.Type != "OVERWRITE" {
			continue
		}
		for _, sub := range subs {
			if o.ProductID == sub.ProductID || (o.ProductID == "" && cat.productHasAnyTag(sub.ProductID, o.ApplicableProductTags)) {
				return i, sub.ProductID
			}
		}
	}
	return -1, ""
}
