package engine

import "time"

// DefaultInvoiceGracePeriod is how long after a period's end its draft
// invoice still takes late events when Config leaves it unset.
const DefaultInvoiceGracePeriod = 24 * time.Hour

// frequencyMonths is the length of a statement or recurring period in months.
func frequencyMonths(f string) int {
	switch f {
	case FrequencyQuarterly:
		return 3
	case FrequencySemiAnnual:
		return 6
	case FrequencyAnnual:
		return 12
	}
	return 1
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// addMonths returns t plus n calendar months (UTC), keeping the time of day
// and clamping the day to the target month's last day: the 31st of January
// plus one month is the 28th (or 29th) of February.
func addMonths(t Nanos, n int) Nanos {
	tt := time.Unix(0, t).UTC()
	y, m, d := tt.Date()
	total := int(m) - 1 + n
	ny, nm := y+floorDiv(total, 12), time.Month(total-12*floorDiv(total, 12)+1)
	if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return time.Date(ny, nm, d, tt.Hour(), tt.Minute(), tt.Second(), tt.Nanosecond(), time.UTC).UnixNano()
}

// firstOfMonth returns midnight UTC of the first day of t's month.
func firstOfMonth(t Nanos) Nanos {
	tt := time.Unix(0, t).UTC()
	return time.Date(tt.Year(), tt.Month(), 1, 0, 0, 0, 0, time.UTC).UnixNano()
}

// anchoredPeriod returns the period [anchor + n·months, anchor + (n+1)·months)
// containing t.
func anchoredPeriod(anchor Nanos, months int, t Nanos) (Nanos, Nanos) {
	at, tt := time.Unix(0, anchor).UTC(), time.Unix(0, t).UTC()
	diff := (tt.Year()-at.Year())*12 + int(tt.Month()) - int(at.Month())
	n := floorDiv(diff, months)
	s := addMonths(anchor, n*months)
	for s > t {
		n--
		s = addMonths(anchor, n*months)
	}
	e := addMonths(anchor, (n+1)*months)
	for e <= t {
		n++
		s, e = e, addMonths(anchor, (n+1)*months)
	}
	return s, e
}

// periodBounds returns the usage statement period containing t, clipped to
// the contract's term: calendar months from the first of the month for
// contracts without an anchor (every contract before statement schedules),
// otherwise whole multiples of the frequency from the billing anchor.
func (k *Contract) periodBounds(t Nanos) (Nanos, Nanos) {
	var s, e Nanos
	if k.StatementAnchor == 0 {
		s = firstOfMonth(t)
		e = addMonths(s, 1)
	} else {
		s, e = anchoredPeriod(k.StatementAnchor, frequencyMonths(k.StatementFrequency()), t)
	}
	if s < k.StartingAt {
		s = k.StartingAt
	}
	if k.EndingBefore != 0 && e > k.EndingBefore {
		e = k.EndingBefore
	}
	return s, e
}

// statementAnchor resolves a contract's schedule to its billing anchor.
func statementAnchor(in *StatementScheduleInput, startingAt Nanos) (freq, day string, anchor Nanos, err *Error) {
	freq, day = FrequencyMonthly, DayFirstOfMonth
	if in != nil {
		if in.Frequency != "" {
			freq = in.Frequency
		}
		if in.Day != "" {
			day = in.Day
		}
	}
	switch freq {
	case FrequencyMonthly, FrequencyQuarterly, FrequencyAnnual:
	default:
		return "", "", 0, errorf(Invalid, "usage_statement_schedule.frequency: must be MONTHLY, QUARTERLY or ANNUAL")
	}
	switch day {
	case DayFirstOfMonth:
		anchor = firstOfMonth(startingAt)
	case DayContractStart:
		anchor = startingAt
	case DayCustomDate:
		if in.BillingAnchorDate <= 0 {
			return "", "", 0, errorf(Invalid, "usage_statement_schedule.billing_anchor_date: is required for CUSTOM_DATE")
		}
		anchor = in.BillingAnchorDate
	default:
		return "", "", 0, errorf(Invalid, "usage_statement_schedule.day: must be FIRST_OF_MONTH, CONTRACT_START or CUSTOM_DATE")
	}
	if in != nil && in.BillingAnchorDate != 0 && day != DayCustomDate {
		return "", "", 0, errorf(Invalid, "usage_statement_schedule.billing_anchor_date: is only for day CUSTOM_DATE")
	}
	return freq, day, anchor, nil
}

// FinalizesAt is when the invoice's draft closes: its period's end plus the
// contract's grace period; a SCHEDULED invoice is finalized when issued, at
// its charges' timestamp.
func (k *Contract) FinalizesAt(inv *Invoice) Nanos {
	if inv.Scheduled() {
		return inv.End
	}
	return inv.End + k.InvoiceGracePeriod
}

// finalizeDue finalizes the drafts whose period and grace have passed at now.
// A finalized invoice never changes again (but for the provider's invoice
// it is recorded with: Invoice.External). The end of the run announces
// the ones it finalized (invoice.finalized, invoice_finalized.go) and
// sends them to Stripe when the contract's billing_provider_configuration
// selects it (stripe_invoice.go).
func (k *Contract) finalizeDue(now Nanos) {
	for _, inv := range k.Invoices {
		if inv.Status == InvoiceDraft && k.FinalizesAt(inv) <= now {
			inv.Status = InvoiceFinalized
			inv.FinalizedAt = k.FinalizesAt(inv)
			k.noteFinalized(inv)
		}
	}
}

// periodClosed reports whether the statement period containing t is past
// its grace at now: an event for it can no longer be billed.
func (k *Contract) periodClosed(t, now Nanos) bool {
	_, end := k.periodBounds(t)
	return end+k.InvoiceGracePeriod <= now
}
