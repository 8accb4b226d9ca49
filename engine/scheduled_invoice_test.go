package engine

import (
	"testing"

	"burndown/money"
)

// seed 004's platform fee: 10000 on the first of each month, over three
// months, with usage of 3 calls at 10 in January.
func scheduledFeeContract(t *testing.T, separate bool) (*harness, string) {
	h, rc, _, fixed, cust := paygo(t, "2026-01-01T00:00:00Z")
	fee := dec("10000")
	h.must(&CreateContract{CustomerID: cust, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z"),
		SeparateScheduledInvoices: separate,
		ScheduledCharges: []ScheduledChargeInput{{ProductID: fixed, Name: "Platform fee", Recurring: &RecurringScheduleInput{
			StartingAt: ns(t, "2026-01-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z"), Frequency: FrequencyMonthly,
			AmountDistribution: DistributionEach, Amount: &fee}}}})
	h.setClock("2026-01-15T00:00:00Z")
	h.must(h.events("acme", "call", "a", 0, 3, "2026-01-10T00:00:00Z"))
	return h, cust
}

// By default each item of a scheduled charge is a SCHEDULED invoice of its
// own, dated at the item and finalized (and announced) then, without the
// usage invoices' grace; the usage invoice holds only usage.
func TestScheduledChargesOnSeparateInvoices(t *testing.T) {
	h, cust := scheduledFeeContract(t, true)
	invs := h.invoices(cust)
	var sched, usage []Invoice
	for _, inv := range invs {
		if inv.Scheduled() {
			sched = append(sched, inv)
		} else {
			usage = append(usage, inv)
		}
	}
	if len(sched) != 3 || len(usage) != 1 {
		t.Fatalf("%d SCHEDULED and %d usage invoices, want 3 and 1", len(sched), len(usage))
	}
	for i, inv := range sched {
		want := ns(t, []string{"2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}[i])
		if inv.Start != want || inv.Type() != InvoiceTypeScheduled || !inv.Total.Equal(money.MustParse("10000")) ||
			len(inv.Lines) != 1 || inv.Lines[0].Type != LineScheduled || inv.CreditTypeID != USDCreditTypeID {
			t.Fatalf("SCHEDULED invoice %d: %+v", i, inv)
		}
	}
	// January's, dated at the contract's start, was issued at once.
	if sched[0].Status != InvoiceFinalized || sched[0].FinalizedAt != sched[0].Start || sched[1].Status != InvoiceDraft {
		t.Fatalf("statuses %s %s", sched[0].Status, sched[1].Status)
	}
	if u := usage[0]; u.Type() != InvoiceTypeUsage || !u.Total.Equal(money.MustParse("30")) || len(u.Lines) != 1 || u.Lines[0].Type != LineUsage {
		t.Fatalf("usage invoice %+v", u)
	}
	h.notes()
	// February's is finalized at its timestamp, a day before January's
	// usage invoice leaves its grace.
	h.setClock("2026-02-01T00:00:00Z")
	wantNotes(t, h.notes(), NoteInvoiceFinalized)
	h.setClock("2026-02-02T00:00:00Z")
	wantNotes(t, h.notes(), NoteInvoiceFinalized)
	byID := map[string]Invoice{}
	for _, inv := range h.invoices(cust) {
		byID[inv.ID] = inv
	}
	if inv := byID[sched[1].ID]; inv.Status != InvoiceFinalized || inv.FinalizedAt != ns(t, "2026-02-01T00:00:00Z") {
		t.Fatalf("February's SCHEDULED invoice %+v", inv)
	}
	// Archiving the charge drops the drafts left (March's), not the issued.
	h.must(&EditContract{CustomerID: cust, ContractID: sched[0].ContractID, ArchiveScheduledCharges: []string{h.charge(cust)}})
	n := 0
	for _, inv := range h.invoices(cust) {
		if inv.Scheduled() {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d SCHEDULED invoices after archiving the charge, want the 2 issued", n)
	}
}

// With scheduled_charges_on_usage_invoices ALL (and for every contract a
// command written before the choice created) each item is a line of the
// usage invoice of its period, as before.
func TestScheduledChargesOnUsageInvoices(t *testing.T) {
	h, cust := scheduledFeeContract(t, false)
	invs := h.invoices(cust)
	if len(invs) != 3 {
		t.Fatalf("%d invoices, want one per month", len(invs))
	}
	for i, inv := range invs {
		want := "10000"
		if i == 0 {
			want = "10030"
		}
		if inv.Scheduled() || inv.Type() != InvoiceTypeUsage || inv.Total.String() != want {
			t.Fatalf("month %d: %s invoice of %s, want USAGE of %s", i+1, inv.Type(), inv.Total, want)
		}
	}
}

// charge is the id of the customer's first scheduled charge.
func (h *harness) charge(cust string) string {
	var id string
	h.e.read(h.t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) { id = c.Contracts[0].ScheduledCharges()[0].ID })
	return id
}

// invoice_total_reached watches the usage invoice of the period in force:
// with separate SCHEDULED invoices the fee is not on it, so a threshold of
// 5000 stays ok at 30 of usage, where the consolidated invoice (10030)
// reaches it. The monthly invoice total counts every invoice of the month,
// the SCHEDULED ones included (10000 + 30).
func TestScheduledInvoicesInInvoiceTotalAlerts(t *testing.T) {
	for _, separate := range []bool{true, false} {
		h, cust := scheduledFeeContract(t, separate)
		total := h.must(&CreateAlert{CustomerID: cust, Name: "invoice", Type: AlertInvoiceTotal, Threshold: dec("5000"), EvaluateOnCreate: true}).ID
		monthly := h.must(&CreateAlert{CustomerID: cust, Name: "month", Type: AlertMonthlyInvoiceTotal, Threshold: dec("10030"), EvaluateOnCreate: true}).ID
		want := AlertInAlarm
		if separate {
			want = AlertOK
		}
		if got := h.status(cust, total); got != want {
			t.Errorf("separate %v: invoice_total_reached %s, want %s", separate, got, want)
		}
		if got := h.status(cust, monthly); got != AlertInAlarm {
			t.Errorf("separate %v: monthly invoice total %s, want in alarm", separate, got)
		}
	}
}

// A Stripe contract's SCHEDULED invoice is sent to Stripe when issued, at
// its charge's timestamp, with invoice.finalized: one send of 250 (25000
// cents), dated at the charge.
func TestScheduledInvoiceSentToStripe(t *testing.T) {
	h := newHarness(t, "2026-01-01T00:00:00Z")
	fixed := h.must(&CreateProduct{Name: "Platform", Type: ProductFixed}).ID
	rc := h.must(&CreateRateCard{Name: "Card"}).ID
	s := h.must(&CreateCustomer{Name: "Stripe Co", BillingProviders: []BillingProviderConfig{{BillingProvider: "stripe",
		Configuration: map[string]string{"stripe_customer_id": "cus_sched"}}}}).ID
	fee := dec("25000")
	h.must(&CreateContract{CustomerID: s, RateCardID: rc, StartingAt: ns(t, "2026-01-01T00:00:00Z"), BillingProviderConfiguration: stripeBilling(),
		SeparateScheduledInvoices: true,
		ScheduledCharges:          []ScheduledChargeInput{{ProductID: fixed, Items: []ChargeItemInput{{Timestamp: ns(t, "2026-01-10T00:00:00Z"), Amount: &fee}}}}})
	h.notes()
	h.setClock("2026-01-09T23:59:59Z")
	wantNotes(t, h.notes())
	h.setClock("2026-01-10T00:00:00Z")
	n := h.notes()
	wantNotes(t, n, NoteInvoiceFinalized, NoteStripeInvoice)
	p := stripeInvoiceNote(t, note(n[1]))
	if p.TotalCents != 25000 || p.StartTimestamp != "2026-01-10T00:00:00Z" || p.EndTimestamp != p.StartTimestamp || p.StripeCustomerID != "cus_sched" {
		t.Fatalf("stripe send %+v", p)
	}
}

// Editing a contract with separate SCHEDULED invoices: an added charge's
// future item is a draft SCHEDULED invoice; one dated at an issued
// SCHEDULED invoice is refused, naming it; ending the contract earlier
// drops the draft SCHEDULED invoices after the new end (and their items),
// keeping the issued ones.
func TestScheduledInvoicesAfterEdits(t *testing.T) {
	h, cust := scheduledFeeContract(t, true)
	var k, fixed string
	h.e.read(h.t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		k, fixed = c.Contracts[0].ID, c.Contracts[0].ScheduledCharges()[0].ProductID
	})
	extra := dec("50")
	h.must(&EditContract{CustomerID: cust, ContractID: k, AddScheduledCharges: []ScheduledChargeInput{{ProductID: fixed,
		Items: []ChargeItemInput{{Timestamp: ns(t, "2026-02-01T00:00:00Z"), Amount: &extra}}}}})
	r := h.apply(&EditContract{CustomerID: cust, ContractID: k, AddScheduledCharges: []ScheduledChargeInput{{ProductID: fixed,
		Items: []ChargeItemInput{{Timestamp: ns(t, "2026-01-01T00:00:00Z"), Amount: &extra}}}}})[0]
	if r.Err == nil || r.Err.Message != "add_scheduled_charges[0].schedule: the SCHEDULED invoice of the item at 2026-01-01T00:00:00Z is finalized" {
		t.Fatalf("an item on an issued SCHEDULED invoice: %+v", r.Err)
	}
	feb := func() *Invoice {
		for _, inv := range h.invoices(cust) {
			if inv.Scheduled() && inv.Start == ns(t, "2026-02-01T00:00:00Z") {
				return &inv
			}
		}
		return nil
	}
	if inv := feb(); inv == nil || inv.Total.String() != "10050" || len(inv.Lines) != 2 || inv.Status != InvoiceDraft {
		t.Fatalf("February's SCHEDULED invoice with the added item: %+v", inv)
	}
	h.must(&UpdateEndDate{CustomerID: cust, ContractID: k, EndingBefore: ns(t, "2026-02-01T00:00:00Z")})
	if inv := feb(); inv != nil {
		t.Fatalf("February's draft SCHEDULED invoice kept after the contract ends before it: %+v", inv)
	}
	var scheduled []Invoice
	for _, inv := range h.invoices(cust) {
		if inv.Scheduled() {
			scheduled = append(scheduled, inv)
		}
	}
	if len(scheduled) != 1 || scheduled[0].Status != InvoiceFinalized {
		t.Fatalf("SCHEDULED invoices after the new end: %+v", scheduled)
	}
}

// A prepaid commit's invoice schedule follows the same choice: by default
// each item is a commit_purchase line on the SCHEDULED invoice of its
// timestamp (shared with a scheduled charge's item of the same instant),
// issued then; with ALL, a line of the usage invoice of its period.
// Archiving the commit drops its draft SCHEDULED invoices, not the issued.
func TestCommitPurchasesOnScheduledInvoices(t *testing.T) {
	for _, separate := range []bool{true, false} {
		h, cust := scheduledFeeContract(t, separate)
		k := h.contractOf(cust)
		h.must(&EditContract{CustomerID: cust, ContractID: k, AddCommits: []CommitInput{{Type: CommitPrepaid, ProductID: h.fixedProduct(cust), Name: "Prepay",
			AccessSchedule:  []ScheduleItem{{Amount: dec("600"), StartingAt: ns(t, "2026-02-01T00:00:00Z"), EndingBefore: ns(t, "2026-04-01T00:00:00Z")}},
			InvoiceSchedule: []InvoiceItem{{Timestamp: ns(t, "2026-02-01T00:00:00Z"), Amount: dec("400")}, {Timestamp: ns(t, "2026-03-15T00:00:00Z"), Amount: dec("200")}}}}})
		byStart := map[string]Invoice{}
		for _, inv := range h.invoices(cust) {
			byStart[inv.Type()+" "+fmtTime(inv.Start)] = inv
		}
		if !separate {
			if feb := byStart["USAGE 2026-02-01T00:00:00Z"]; feb.Total.String() != "10400" {
				t.Fatalf("consolidated: February's usage invoice totals %s, want the fee and the first purchase (10400)", feb.Total)
			}
			if mar := byStart["USAGE 2026-03-01T00:00:00Z"]; mar.Total.String() != "10200" {
				t.Fatalf("consolidated: March's usage invoice totals %s, want 10200", mar.Total)
			}
			continue
		}
		feb := byStart["SCHEDULED 2026-02-01T00:00:00Z"]
		if feb.Total.String() != "10400" || len(feb.Lines) != 2 || feb.Lines[1].Type != LineCommitPurchase {
			t.Fatalf("February's SCHEDULED invoice: total %s, lines %+v; want the fee and the purchase (10400)", feb.Total, feb.Lines)
		}
		mid := byStart["SCHEDULED 2026-03-15T00:00:00Z"]
		if mid.Total.String() != "200" || len(mid.Lines) != 1 || mid.Lines[0].Type != LineCommitPurchase || mid.Status != InvoiceDraft {
			t.Fatalf("the SCHEDULED invoice of March 15: %+v", mid)
		}
		if u := byStart["USAGE 2026-02-01T00:00:00Z"]; len(u.Lines) != 0 {
			t.Fatalf("February's usage invoice has lines %+v, want none (no usage, purchases on their own invoices)", u.Lines)
		}
		h.setClock("2026-02-01T00:00:00Z")
		h.must(&EditContract{CustomerID: cust, ContractID: k, ArchiveCommits: []string{h.commitNamed(cust, "Prepay")}})
		after := map[string]Invoice{}
		for _, inv := range h.invoices(cust) {
			after[inv.Type()+" "+fmtTime(inv.Start)] = inv
		}
		if _, ok := after["SCHEDULED 2026-03-15T00:00:00Z"]; ok {
			t.Fatal("archiving the commit left its draft SCHEDULED invoice of March 15")
		}
		if f := after["SCHEDULED 2026-02-01T00:00:00Z"]; f.Status != InvoiceFinalized || f.Total.String() != "10400" {
			t.Fatalf("February's issued SCHEDULED invoice after the archive: %s of %s, want it kept, finalized, 10400", f.Status, f.Total)
		}
	}
}

// contractOf is the id of the customer's first contract.
func (h *harness) contractOf(cust string) string {
	var id string
	h.e.read(h.t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) { id = c.Contracts[0].ID })
	return id
}

// fixedProduct is the product of the customer's first scheduled charge.
func (h *harness) fixedProduct(cust string) string {
	var id string
	h.e.read(h.t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) { id = c.Contracts[0].ScheduledCharges()[0].ProductID })
	return id
}

// commitNamed is the id of the customer's commit or credit of that name.
func (h *harness) commitNamed(cust, name string) string {
	var id string
	h.e.read(h.t.Context(), cust, func(c *Customer, _ *Catalog, _ Nanos) {
		for _, cm := range c.Contracts[0].Balances {
			if cm.Name == name {
				id = cm.ID
			}
		}
	})
	return id
}
