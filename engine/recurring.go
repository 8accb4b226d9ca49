package engine

import (
	"strconv"

	"burndown/money"
)

// Recurring credits and commits.
//
// A recurring credit (or commit) grants, at the start of each of its
// periods, a new segment of its commit or credit: unit_price × quantity, and
// for one linked to a subscription (subscription_config, allocation POOLED)
// × the subscription's quantity in force at the period's start. The segment
// lasts commit_duration periods (usually one: each month's grant expires at
// the month's end, CREDIT_EXPIRATION / PREPAID_COMMIT_EXPIRATION). Periods
// are recurrence_frequency long (omitted: the usage statement's frequency),
// counted from the contract's statement anchor and cut to the recurring
// term; a first or last period cut short is prorated (prorate) as proration
// says (FIRST_AND_LAST by default, FIRST, LAST or NONE).
//
// Seats: when the linked subscription's quantity rises above the highest
// quantity already granted in the current period, the pool gets the
// difference at once, as a seat-based adjustment of the period's segment
// (CREDIT_SEAT_BASED_ADJUSTMENT / PREPAID_COMMIT_SEAT_BASED_ADJUSTMENT):
// unit_price × added seats, prorated for the rest of the period when
// apply_seat_increase_config.is_prorated. A decrease takes nothing back: the
// pool keeps everything granted for the period (what was drawn stays drawn,
// the rest stays usable until the segment expires); the next period's grant
// follows the lower quantity. A seat removed and added back within a period
// is not granted twice.
//
// Grants are scheduled transitions (advanceRecurring, run by the tick at
// the period's start or by the command that made one due), so balances, the
// entitlement view and the ledger follow in the same apply.

// Recurring allocations and prorations.
const (
	AllocationPooled     = "POOLED"
	AllocationIndividual = "INDIVIDUAL"

	ProrationNone        = "NONE"
	ProrationFirst       = "FIRST"
	ProrationLast        = "LAST"
	ProrationFirstAndEnd = "FIRST_AND_LAST"
)

// maxRecurringPeriods bounds commit_duration.
const maxRecurringPeriods = 1200

// RecurringInput is a recurring credit or commit as given on a contract.
type RecurringInput struct {
	ID                    string            `msgpack:"ID"`
	TemporaryID           string            `msgpack:"TemporaryID"`
	ProductID             string            `msgpack:"ProductID"`
	Name                  string            `msgpack:"Name"`
	Description           string            `msgpack:"Description"`
	CreditTypeID          string            `msgpack:"CreditTypeID"`
	UnitPrice             money.Amount      `msgpack:"UnitPrice"`
	Quantity              *money.Amount     `msgpack:"Quantity"`
	DurationPeriods       int64             `msgpack:"DurationPeriods"`
	Priority              *money.Amount     `msgpack:"Priority"`
	ApplicableProductIDs  []string          `msgpack:"ApplicableProductIDs"`
	ApplicableProductTags []string          `msgpack:"ApplicableProductTags"`
	CustomFields          map[string]string `msgpack:"CustomFields"`
	StartingAt            Nanos             `msgpack:"StartingAt"`
	EndingBefore          Nanos             `msgpack:"EndingBefore"`
	// Frequency is recurrence_frequency (MONTHLY, QUARTERLY, ANNUAL; "":
	// the usage statement's).
	Frequency string `msgpack:"Frequency"`
	// Proration is NONE, FIRST, LAST or FIRST_AND_LAST ("": FIRST_AND_LAST).
	Proration string `msgpack:"Proration"`
	// SubscriptionID links the grants to a subscription's quantity (its id,
	// or its temporary_id in the same request); Allocation must be POOLED.
	SubscriptionID       string `msgpack:"SubscriptionID"`
	Allocation           string `msgpack:"Allocation"`
	SeatIncreaseProrated bool   `msgpack:"SeatIncreaseProrated"`
}

// RecurringBalance is a recurring credit or commit as applied: its terms and
// where its grants stand. Its grants are the segments of the contract's
// commit or credit CommitID.
type RecurringBalance struct {
	ID                   string       `msgpack:"ID"`
	CommitID             string       `msgpack:"CommitID"`
	Type                 string       `msgpack:"Type"` // CREDIT or PREPAID
	UnitPrice            money.Amount `msgpack:"UnitPrice"`
	Quantity             money.Amount `msgpack:"Quantity"`
	DurationPeriods      int64        `msgpack:"DurationPeriods"`
	StartingAt           Nanos        `msgpack:"StartingAt"`
	EndingBefore         Nanos        `msgpack:"EndingBefore"`
	Frequency            string       `msgpack:"Frequency"`
	Proration            string       `msgpack:"Proration"`
	SubscriptionID       string       `msgpack:"SubscriptionID"`
	Allocation           string       `msgpack:"Allocation"`
	SeatIncreaseProrated bool         `msgpack:"SeatIncreaseProrated"`
	// NextGrant is the start of the next period to grant (0: none left);
	// PeriodStart and PeriodEnd are the period granted last, SegmentID its
	// segment and GrantedSeats the highest quantity granted for it.
	NextGrant    Nanos        `msgpack:"NextGrant"`
	PeriodStart  Nanos        `msgpack:"PeriodStart"`
	PeriodEnd    Nanos        `msgpack:"PeriodEnd"`
	SegmentID    string       `msgpack:"SegmentID"`
	GrantedSeats money.Amount `msgpack:"GrantedSeats"`
	// StepsDone counts the linked subscription's quantity steps applied.
	StepsDone int `msgpack:"StepsDone"`
}

// SeatAdjustment is what a seat increase added to a grant at At.
type SeatAdjustment struct {
	At     Nanos        `msgpack:"At"`
	Amount money.Amount `msgpack:"Amount"`
}

// RecurringBalance returns the contract's recurring credit or commit with
// this id, or nil.
func (k *Contract) RecurringBalance(id string) *RecurringBalance {
	for _, r := range k.Recurring() {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// newRecurring validates a recurring credit or commit and builds it with
// its (still empty) commit or credit. temp maps the subscriptions'
// temporary ids of the same request to their ids.
func (s *shard) newRecurring(c *Customer, cat *Catalog, rc *RateCard, k *Contract, field string, i int, in *RecurringInput, typ string, temp map[string]string, now Nanos) (*RecurringBalance, *Commit, *Error) {
	f := field + "[" + strconv.Itoa(i) + "]"
	if cat.Products[in.ProductID] == nil {
		return nil, nil, errorf(NotFound, "%s.product_id: product %s not found", f, in.ProductID)
	}
	for j, pid := range in.ApplicableProductIDs {
		if cat.Products[pid] == nil {
			return nil, nil, errorf(NotFound, "%s.applicable_product_ids[%d]: product %s not found", f, j, pid)
		}
	}
	ct := in.CreditTypeID
	if ct == "" {
		ct = rc.FiatCreditTypeID
	}
	if cat.CreditTypes[ct] == nil {
		return nil, nil, errorf(NotFound, "%s.access_amount.credit_type_id: credit type %s not found", f, ct)
	}
	price, err := decimalAmount(&in.UnitPrice, f+".access_amount.unit_price")
	if err != nil {
		return nil, nil, err
	}
	qty := amountOne
	if in.Quantity != nil {
		if qty, err = decimalAmount(in.Quantity, f+".access_amount.quantity"); err != nil {
			return nil, nil, err
		}
	} else if in.SubscriptionID == "" {
		return nil, nil, errorf(Invalid, "%s.access_amount.quantity: is required unless the %s is linked to a subscription", f, field)
	}
	dur := in.DurationPeriods
	if dur == 0 {
		dur = 1
	}
	if dur < 1 || dur > maxRecurringPeriods {
		return nil, nil, errorf(Invalid, "%s.commit_duration.value: must be a whole number of periods from 1 to %d", f, maxRecurringPeriods)
	}
	switch in.Frequency {
	case "", FrequencyMonthly, FrequencyQuarterly, FrequencyAnnual:
	default:
		return nil, nil, errorf(Invalid, "%s.recurrence_frequency: must be MONTHLY, QUARTERLY or ANNUAL", f)
	}
	proration := in.Proration
	switch proration {
	case "":
		proration = ProrationFirstAndEnd
	case ProrationNone, ProrationFirst, ProrationLast, ProrationFirstAndEnd:
	default:
		return nil, nil, errorf(Invalid, "%s.proration: must be NONE, FIRST, LAST or FIRST_AND_LAST", f)
	}
	start := in.StartingAt
	if start == 0 {
		start = k.StartingAt
	}
	if start < k.StartingAt || (k.EndingBefore != 0 && start >= k.EndingBefore) {
		return nil, nil, errorf(Invalid, "%s.starting_at: must lie within the contract's term (%s)", f, termString(k.StartingAt, k.EndingBefore))
	}
	if in.EndingBefore != 0 && in.EndingBefore <= start {
		return nil, nil, errorf(Invalid, "%s.ending_before: must be after starting_at", f)
	}
	subID := in.SubscriptionID
	if subID != "" {
		if id, ok := temp[subID]; ok {
			subID = id
		}
		if k.Subscription(subID) == nil {
			return nil, nil, errorf(NotFound, "%s.subscription_config.subscription_id: subscription %s not found", f, in.SubscriptionID)
		}
		if in.Allocation != AllocationPooled {
			return nil, nil, errorf(Invalid, "%s.subscription_config.allocation: only POOLED is supported by this server yet", f)
		}
	} else if in.Allocation != "" {
		return nil, nil, errorf(Invalid, "%s.subscription_config.allocation: needs a subscription_id", f)
	}
	priority, err := amountPtr(in.Priority, "%s.priority", f)
	if err != nil {
		return nil, nil, err
	}
	id := in.ID
	if id == "" {
		id = DeriveID(k.ID, field, strconv.Itoa(i))
	}
	c.Seq++
	cm := &Commit{
		ID: DeriveID(id, "balance"), Type: typ, ProductID: in.ProductID, Name: in.Name,
		CreditTypeID: ct,
		Extra:        newCommitExtra(in.Description, priority, in.ApplicableProductIDs, in.ApplicableProductTags, nil, in.CustomFields),
		CreatedAt:    now, Seq: c.Seq,
		Segments: []*Segment{},
	}
	r := &RecurringBalance{
		ID: id, CommitID: cm.ID, Type: typ, UnitPrice: price, Quantity: qty, DurationPeriods: dur,
		StartingAt: start, EndingBefore: in.EndingBefore, Frequency: in.Frequency, Proration: proration,
		SubscriptionID: subID, Allocation: in.Allocation, SeatIncreaseProrated: in.SeatIncreaseProrated, NextGrant: start,
	}
	return r, cm, nil
}

// end is when the recurring grants stop: its end or the contract's.
func (r *RecurringBalance) end(k *Contract) Nanos { return termEnd(r.EndingBefore, k.EndingBefore) }

// period returns the whole period containing t and that period cut to the
// recurring term.
func (r *RecurringBalance) period(k *Contract, t Nanos) (fs, fe, s, e Nanos) {
	freq := r.Frequency
	if freq == "" {
		freq = k.StatementFrequency()
	}
	fs, fe = anchoredPeriod(k.seatAnchor(), frequencyMonths(freq), t)
	s, e = fs, fe
	if s < r.StartingAt {
		s = r.StartingAt
	}
	if end := r.end(k); end != 0 && e > end {
		e = end
	}
	return
}

// seats is the quantity a grant at t multiplies: the linked subscription's
// quantity, or one.
func (r *RecurringBalance) seats(k *Contract, t Nanos) money.Amount {
	if sub := k.Subscription(r.SubscriptionID); sub != nil {
		return sub.QuantityAt(t)
	}
	return amountOne
}

// advanceRecurring applies, in time order up to now, the recurring
// balance's grants (a segment per period) and the seat increases of its
// subscription (adjustments of the current period's segment).
func (k *Contract) advanceRecurring(r *RecurringBalance, now Nanos) {
	cm := k.Commit(r.CommitID)
	if cm == nil || cm.ArchivedAt() != 0 {
		return
	}
	sub := k.Subscription(r.SubscriptionID)
	for {
		grantDue := r.NextGrant != 0 && r.NextGrant <= now
		stepDue := sub != nil && r.StepsDone < len(sub.Quantities) && sub.Quantities[r.StepsDone].At <= now
		if !grantDue && !stepDue {
			return
		}
		if grantDue && (!stepDue || r.NextGrant <= sub.Quantities[r.StepsDone].At) {
			at := r.NextGrant
			fs, fe, s, e := r.period(k, at)
			seats := r.seats(k, at)
			amount := r.UnitPrice.Mul(r.Quantity).Mul(seats)
			if (s > fs && r.Proration != ProrationNone && r.Proration != ProrationLast) ||
				(e < fe && r.Proration != ProrationNone && r.Proration != ProrationFirst) {
				amount = prorate(amount, e-s, fe-fs)
			}
			// The grant lasts DurationPeriods periods, within the term.
			until := e
			for n := int64(1); n < r.DurationPeriods && (r.end(k) == 0 || until < r.end(k)); n++ {
				_, _, _, until = r.period(k, until)
			}
			sid := DeriveID(r.ID, "grant", fmtTime(s))
			cm.Segments = append(cm.Segments, newSegment(sid, 0, amount, s, until))
			r.PeriodStart, r.PeriodEnd, r.SegmentID, r.GrantedSeats = s, e, sid, seats
			r.NextGrant = 0
			if end := r.end(k); end == 0 || e < end {
				r.NextGrant = e
			}
			continue
		}
		st := sub.Quantities[r.StepsDone]
		r.StepsDone++
		if st.At < r.PeriodStart || st.At >= r.PeriodEnd || !st.Quantity.GreaterThan(r.GrantedSeats) {
			continue // outside the granted period, or no increase
		}
		added := st.Quantity.Sub(r.GrantedSeats)
		r.GrantedSeats = st.Quantity
		amount := r.UnitPrice.Mul(r.Quantity).Mul(added)
		if r.SeatIncreaseProrated {
			fs, fe, _, _ := r.period(k, st.At)
			amount = prorate(amount, r.PeriodEnd-st.At, fe-fs)
		}
		for _, sg := range cm.Segments {
			if cm.SegmentID(sg) == r.SegmentID && !sg.Expired {
				sg.Amount = sg.Amount.Add(amount)
				sg.EditExtra(func(x *SegmentExtra) {
					x.SeatAdjustments = append(x.SeatAdjustments, SeatAdjustment{At: st.At, Amount: amount})
				})
			}
		}
	}
}

// addRecurring builds a create or edit's recurring credits and commits
// onto k (subscriptions first, so links resolve).
func (s *shard) addRecurring(c *Customer, cat *Catalog, rc *RateCard, k *Contract, field string, list []RecurringInput, typ string, temp map[string]string, now Nanos) *Error {
	for i := range list {
		r, cm, err := s.newRecurring(c, cat, rc, k, field, i, &list[i], typ, temp, now)
		if err != nil {
			return err
		}
		if k.Commit(cm.ID) != nil || k.RecurringBalance(r.ID) != nil {
			return errorf(Conflict, "%s[%d].id: %s already exists on the contract", field, i, r.ID)
		}
		k.Balances = append(k.Balances, cm)
		k.EditExtra(func(e *ContractExtra) { e.Recurring = append(e.Recurring, r) })
	}
	return nil
}
